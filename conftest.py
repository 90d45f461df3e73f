"""Defaults so that a plain `pytest` (not only `make test`) starts on the embedded setup."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("CELERY_EAGER", "1")
os.environ.setdefault("WECHAT_MODE", "fake")

# Every error code the API answers in the run must be declared in its operation's schema;
# pytester runs a session with that check to prove it fails (tests/core/test_error_codes.py).
pytest_plugins = ["tests.error_codes", "pytester"]
