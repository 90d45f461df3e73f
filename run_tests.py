"""`make test`: find PostgreSQL and Redis on 127.0.0.1, say what the suite will use, run pytest.

With REQUIRE_SERVICES=1 (CI) a missing service is an error, never a quiet fallback to SQLite.
"""

import os
import sys

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_answers(url: str) -> bool:
    try:
        import psycopg

        # The server is what matters: ask its maintenance database (the test database is created
        # by pytest-django, and the database named in the URL need not exist).
        server = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(server, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def main() -> int:
    env = os.environ
    required = env.get("REQUIRE_SERVICES") == "1"
    database_url = env.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = env.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    have_pg, have_redis = postgres_answers(database_url), redis_answers(redis_url)

    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
    env["CELERY_EAGER"] = "1"
    env.pop("CELERY_BROKER_URL", None)
    env.setdefault("WECHAT_MODE", "fake")
    notices = []
    if have_pg:
        env["DATABASE_URL"] = database_url
        print(f"make test: PostgreSQL answers at {database_url.split('@')[-1]}: using it.")
    else:
        env.pop("DATABASE_URL", None)
        notices.append("PostgreSQL is not answering: running on SQLite; concurrency tests are SKIPPED.")
    if have_redis:
        env["REDIS_URL"] = redis_url
        print(f"make test: Redis answers at {redis_url.split('@')[-1]}: using it.")
    else:
        env.pop("REDIS_URL", None)
        notices.append("Redis is not answering: local-memory cache; Redis and worker tests are SKIPPED.")
    for notice in notices:
        print("!" * 100 + f"\n!!! {notice}\n" + "!" * 100, file=sys.stderr)
    if notices and required:
        print("REQUIRE_SERVICES=1: refusing to run without PostgreSQL and Redis.", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execvp(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
