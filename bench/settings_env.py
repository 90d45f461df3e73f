"""The environment of the benchmark: a production start (DEBUG off) on the bench database.

The same variables serve gunicorn, the settling child processes and bench/run.py itself.
"""

import os

DATABASE = os.environ.get("BENCH_DATABASE", "bench")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def bench_env() -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "core.settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{PG_SERVER}/{DATABASE}",
            "REDIS_URL": REDIS_URL,
            "SECURE_SSL_REDIRECT": "0",
            "WECHAT_MODE": "fake",
            "LOG_LEVEL": "WARNING",
            # Throttles guard against abuse by one client; the benchmark measures capacity, so its
            # many requests per user must not be turned away (the throttle code still runs).
            "THROTTLE_USER": "100000000/min",
            "THROTTLE_CHECKIN": "100000000/min",
            "THROTTLE_WRITE": "100000000/min",
            "THROTTLE_ANON": "100000000/min",
        }
    )
    return env


def apply() -> None:
    os.environ.update(bench_env())
