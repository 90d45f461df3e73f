"""The mixed workload for minutes or hours: a soak of every write endpoint, checked as it goes.

    cd /work/main
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth \\
        .venv/bin/python -m tests.reliability.soak --minutes 10 --users 40 --seed 7

What it does:
- takes the PostgreSQL server of DATABASE_URL (or --database-url) and works in its own database on
  it, `mixed_workload_soak` by default (--database), dropped and created afresh at the start and
  left behind afterwards for inspection (--drop removes it at the end);
- sets Django up itself (core.settings, DJANGO_DEBUG=1 unless set, fake WeChat, Celery eager, the
  local-memory cache unless --redis-url is given), migrates, and lifts the throttles;
- builds the world of tests/reliability/workload.py (users, funded wallets, products with small
  stock, offers, campaigns, challenges with a round running today) and runs the workload, one
  thread per user (--threads to change), in epochs of --epoch-seconds (60 by default);
- after each epoch checks every invariant, prints a progress line, then lets operators top up the
  stock (logged stock changes) and the wallets, so later epochs still succeed and not only refuse;
- at the end prints the status counts per endpoint, the 5xx with their exception and location,
  503 busy, undocumented statuses, the lock races retried, the deadlocks PostgreSQL counted in
  the soak database (pg_stat_database) and the invariant violations.

Exit status 0 when nothing failed (no 5xx but rare 503 busy, no deadlock, no violation), else 1.
The seed is printed; the same --seed replays the same choices (not the threads' interleaving).
LOCK_ORDER_CHECK=0 in the environment turns the lock-order tripwire off (it is on with DEBUG),
to see what the database itself does with an out-of-order path: a wait, a deadlock or nothing.
"""

import argparse
import os
import random
import sys
import time
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def recreate_database(url: str, name: str) -> str:
    """Drop and create `name` on the server of `url`; returns the URL of the new database."""
    import psycopg
    from psycopg import sql

    maintenance = _with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _with_database(url, name)


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance = _with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def setup_django(database_url: str, redis_url: str) -> None:
    """Configure the environment core.settings reads, then django.setup()."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "soak-secret-key-not-for-production-0123456789abcdef")
    os.environ["WECHAT_MODE"] = "fake"
    os.environ["CELERY_EAGER"] = "1"
    os.environ.pop("CELERY_BROKER_URL", None)
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    for scope in ("ANON", "USER", "LOGIN", "CHECKIN", "WRITE"):
        os.environ[f"THROTTLE_{scope}"] = "10000000/min"
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the workload runs (default 5)")
    parser.add_argument("--users", type=int, default=40, help="home users, one thread each (default 40)")
    parser.add_argument("--seed", type=int, default=None, help="master seed (default: random, printed)")
    parser.add_argument("--threads", type=int, default=None, help="threads (default: one per user)")
    parser.add_argument("--epoch-seconds", type=float, default=60.0, help="invariants checked after each (60)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        help="a PostgreSQL URL naming the server (default: DATABASE_URL)",
    )
    parser.add_argument("--database", default="mixed_workload_soak", help="the soak's own database (recreated)")
    parser.add_argument("--redis-url", default="", help="use this Redis for cache and throttles (default: none)")
    parser.add_argument("--drop", action="store_true", help="drop the soak database at the end")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print(f"soak: needs PostgreSQL, got {args.database_url!r}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**9)
    soak_url = recreate_database(args.database_url, args.database)
    setup_django(soak_url, args.redis_url)

    from django.core.management import call_command
    from django.db import connection

    from tests.reliability import workload

    print(f"soak: seed {seed}, {args.users} users, {args.minutes:g} min, database {args.database}", flush=True)
    call_command("migrate", verbosity=0)
    failures: list[str] = []
    with workload.throttles_lifted():
        world = workload.build_world(seed=seed, users=args.users)
        deadlocks_before = workload.deadlock_count()
        recorder = workload.Recorder()
        started = time.monotonic()
        end = started + args.minutes * 60
        epoch, violations = 0, []
        while time.monotonic() < end - 1:
            epoch += 1
            seconds = min(args.epoch_seconds, end - time.monotonic())
            workload.run_workload(world, seconds=seconds, threads=args.threads, recorder=recorder)
            violations = workload.check_invariants(world)
            deadlocks = workload.deadlock_count(settle=True) - deadlocks_before
            print(
                f"epoch {epoch} at {(time.monotonic() - started) / 60:.1f} min: {len(recorder.calls)} requests, "
                f"5xx {len(recorder.server_errors())}, busy {len(recorder.busy())}, deadlocks {deadlocks}, "
                f"violations {len(violations)}",
                flush=True,
            )
            workload.replenish(world, rng=random.Random(f"{seed}:replenish:{epoch}"), round_no=epoch)
        deadlocks = workload.deadlock_count(settle=True) - deadlocks_before
        violations = workload.check_invariants(world)

    print(recorder.summary())
    print(f"deadlocks in the soak database: {deadlocks}")
    print(workload.world_figures(world))
    print(workload.violations_text(violations))
    failures += recorder.failures()
    if deadlocks:
        failures.append(f"{deadlocks} deadlock(s) detected by PostgreSQL")
    failures += violations
    print(f"soak (seed {seed}): {'FAILED, ' + str(len(failures)) + ' failure(s)' if failures else 'ok'}")
    connection.close()
    if args.drop:
        drop_database(args.database_url, args.database)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
