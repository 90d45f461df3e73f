# Two commands for a newcomer: `make run` (demo on embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# The demo always runs on its embedded defaults, whatever the shell exports.
DEMO_ENV := env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL DJANGO_DEBUG=1 WECHAT_MODE=fake POINTS_EXPIRY_ENABLED=1
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/growth
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test lint format messages types services-run clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Compile the zh-hans (and any other) translations; needs GNU gettext's msgfmt.
messages: $(VENV)/.runtime
	@if command -v msgfmt >/dev/null; then DJANGO_DEBUG=1 $(MANAGE) compilemessages --ignore=.venv --verbosity 0; \
	else echo "WARNING: msgfmt (GNU gettext) not found: admin will show English. apt-get install gettext"; fi

run: $(VENV)/.runtime messages
	mkdir -p var
	$(DEMO_ENV) $(MANAGE) migrate --noinput
	$(DEMO_ENV) $(MANAGE) seed_demo --history 30
	@echo ""
	@echo "  API:        http://127.0.0.1:8000/api/   (docs: http://127.0.0.1:8000/api/docs/)"
	@echo "  Admin:      http://127.0.0.1:8000/admin/   operator / demo-operator-2026 (运营), admin / demo-admin-2026 (superuser)"
	@echo "  Dashboard:  http://127.0.0.1:8000/admin/analytics/dailymetric/   (30 days of simulated history)"
	@echo "  Front desk: http://127.0.0.1:8000/staff/   clerk / demo-clerk-2026 (门店核销员 at 示范门店); visits at /staff/visits/"
	@echo "  Health:     http://127.0.0.1:8000/healthz"
	@echo "  Try:        curl -X POST -H 'Content-Type: application/json' -d '{\"code\":\"demo-alice\"}' http://127.0.0.1:8000/api/auth/wechat/login"
	@echo "              (demo-alice and demo-bob joined 全天打卡（演示） yesterday: they can check in today)"
	@echo ""
	$(DEMO_ENV) $(MANAGE) runserver 127.0.0.1:8000

test: $(VENV)/.dev messages
	$(BIN)/python scripts/run_tests.py $(ARGS)

# TypeScript types for the mini-program from the OpenAPI schema (docs/frontend.md). Commit the
# file: a test fails when it differs from what the code's schema gives.
types: $(VENV)/.runtime
	$(DEMO_ENV) $(BIN)/python scripts/api_types.py

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff format .

# Production-like: gunicorn, Celery worker and beat on PostgreSQL and Redis (see Procfile).
services-run: $(VENV)/.dev messages
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='growth'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE growth"
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) DJANGO_DEBUG=1 $(MANAGE) migrate --noinput
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) DJANGO_DEBUG=1 $(MANAGE) seed_demo
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) DJANGO_DEBUG=1 $(MANAGE) collectstatic --noinput --verbosity 0
	DATABASE_URL=$(SERVICES_DATABASE_URL) REDIS_URL=$(SERVICES_REDIS_URL) DJANGO_DEBUG=1 $(BIN)/honcho start -f Procfile

clean:
	rm -rf var/db.sqlite3 var/media var/static
