#!/usr/bin/env bash
# The morning rush: gunicorn (DEBUG off, several workers) on PostgreSQL and Redis, its own database,
# a few minutes of locust, then the ledger audit and the check-in invariants. Results: docs/reliability.md.
#   tests/reliability/rush/run.sh [users] [duration] [workers]
set -euo pipefail
cd "$(dirname "$0")/../../.."
USERS=${1:-60}
DURATION=${2:-120s}
WORKERS=${3:-4}
PORT=${RUSH_PORT:-8077}
DB=${RUSH_DB:-reliability}
OUT=${RUSH_OUT:-var/rush}
mkdir -p "$OUT"

export DJANGO_DEBUG=0
export SECRET_KEY="rush-only-secret-key-not-for-production-0123456789abcdef"
export ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL=${RUSH_REDIS_URL:-redis://127.0.0.1:6379/13}
export CACHE_KEY_PREFIX=rush
export CELERY_EAGER=1
export WECHAT_MODE=fake
export SECURE_SSL_REDIRECT=0
# Every simulated phone comes from 127.0.0.1: the per-IP login and anonymous limits would stop the
# rush at its first minute, so they are lifted; per-user limits (check-in, writes) stay as shipped.
export THROTTLE_LOGIN=100000/min THROTTLE_ANON=100000/min
export RUSH_CONFIG="$OUT/config.json"
export STATIC_ROOT="$OUT/static"  # the API serves no static files; an empty directory keeps WhiteNoise quiet
mkdir -p "$STATIC_ROOT"

psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
redis-cli -u "$REDIS_URL" flushdb >/dev/null
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python tests/reliability/rush/setup_rush.py "$RUSH_CONFIG" "$((USERS * 2))"

.venv/bin/gunicorn core.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --log-level warning --error-logfile "$OUT/gunicorn.log" &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

.venv/bin/locust -f tests/reliability/rush/locustfile.py --headless -u "$USERS" -r 10 -t "$DURATION" \
  --host "http://127.0.0.1:$PORT" --csv "$OUT/locust" --only-summary 2>&1 | tee "$OUT/locust.txt" || true
kill $GUNICORN; wait $GUNICORN 2>/dev/null || true

echo "== server errors logged by gunicorn/Django:"
grep -c "Internal Server Error\|Traceback" "$OUT/gunicorn.log" || true
echo "== ledger audit:"
.venv/bin/python manage.py audit_ledger
echo "== check-ins: rows, distinct (entry, day) pairs, entries with more than one check-in today:"
psql -h 127.0.0.1 -U postgres -d "$DB" -tAc \
  "SELECT count(*), count(DISTINCT (entry_id, local_date)), (SELECT count(*) FROM (SELECT entry_id FROM checkin_checkin GROUP BY entry_id, local_date HAVING count(*) > 1) d) FROM checkin_checkin"
echo "== orders, their points, and the points the ledger took for redemptions:"
psql -h 127.0.0.1 -U postgres -d "$DB" -tAc \
  "SELECT count(*), coalesce(sum(points),0), (SELECT -coalesce(sum(e.amount),0) FROM points_entry e JOIN points_transaction t ON t.id=e.transaction_id JOIN points_account a ON a.id=e.account_id WHERE t.kind='redemption' AND a.user_id IS NOT NULL) FROM points_order"
