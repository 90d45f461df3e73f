"""Settings for the whole service, read from the environment (see core/env.py and README.md).

Defaults give the embedded demo: SQLite under var/, local-memory cache, eager Celery, fake WeChat.
With DJANGO_DEBUG off, the settings production must provide are required and checked at start.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from core.env import check_required, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DJANGO_DEBUG", False)
_missing: list[str] = []

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-demo-key-only-for-local-debugging-0123456789abcdef"
    else:
        _missing.append("SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    _missing.append("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "core.admin_site.GrowthAdminConfig",  # django.contrib.admin, with the operators' home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Listed for its translations only (zh_Hans token errors): Django loads an app's locale/.
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    "core",
    "events",
    "points",
    "mall",
    "accounts",
    "checkin",
    "referral",
    "campaigns",
    "analytics",
]

# The admin home: operators' apps in this order, then the system tables under 系统.
ADMIN_APP_ORDER = ["analytics", "checkin", "mall", "campaigns", "referral", "accounts", "points", "core"]
ADMIN_SYSTEM_APPS = ["auth", "token_blacklist", "django_celery_beat", "events"]
ADMIN_FIRST_MODELS = ["analytics.DailyMetric", "mall.Order", "checkin.Challenge"]  # first within their app

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware, or its 413 speaks the language of the thread's previous request.
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not DEBUG:
    # Static files (admin, API docs) straight from gunicorn; runserver serves them when debugging.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: PostgreSQL in production and CI, a SQLite file for the embedded demo.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL and not DEBUG:
    _missing.append("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs several threads on one file; wait for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The hottest statements (the check-in's) are prepared once per connection (core.db.fetch_prepared).
# Set 0 behind a transaction-pooling proxy that does not follow prepared statements (PgBouncer
# before 1.21, or without max_prepared_statements).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
# Raise the moment a path takes a row lock out of the one lock order (core.locks); on in DEBUG
# and so in the test suite, off in production where it would only cost time.
LOCK_ORDER_CHECK = env_bool("LOCK_ORDER_CHECK", DEBUG)
if DB_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # Django turns psycopg's preparing off altogether; this lets the explicit `prepare=True` work
    # while never preparing anything on its own (the threshold is never reached).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1

# Cache: Redis when configured (also throttles and leaderboards), else local memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "growth"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                # Redis down must not take the API down: the cache (throttle counters, cached
                # posters, tokens) degrades to misses and logs; ledger and check-ins live in PostgreSQL.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "growth"}}

# Celery: a broker when one is configured, else every task runs eagerly in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# CELERY_EAGER=1 forces in-process tasks even with Redis configured (the test suite does this).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, so a worker killed mid-task leaves it for another worker;
# every task is idempotent, so a redelivery changes nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env_str("CELERY_TIMEZONE", "UTC")

# Passwords
AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language and time: operators read Chinese; every "day" is a local day.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Request size: a JSON body beyond this is refused with 413 before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_UPLOAD_REQUEST_BYTES = env_int("MAX_UPLOAD_REQUEST_BYTES", 8 * 1024 * 1024)
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 2 * 1024 * 1024)
AVATAR_MAX_PIXELS = 4096 * 4096

# The client address that throttles count by. 0: REMOTE_ADDR, X-Forwarded-For ignored, since
# anyone can send it (a new value per request would escape every limit). N (the number of proxies
# in front of the app, each appending the address it saw): the N-th address from the right of
# X-Forwarded-For, the one our outermost proxy wrote. Behind one nginx or load balancer, 1; with 0
# there, every client counts as the proxy and shares one login limit. NUM_PROXIES is the old name.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", env_int("NUM_PROXIES", 0))
if TRUSTED_PROXY_COUNT < 0:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, got {TRUSTED_PROXY_COUNT}.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handlers.api_exception_handler",
    # DRF's anon, user and scoped throttles, counted atomically in Redis (core.api.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonThrottle",
        "core.api.throttling.UserThrottle",
        "core.api.throttling.ScopedThrottle",
    ],
    # Scoped rates for endpoints that attract abuse; the cache backs the counters.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "120/min"),
        "user": env_str("THROTTLE_USER", "600/min"),
        "login": env_str("THROTTLE_LOGIN", "20/min"),
        "checkin": env_str("THROTTLE_CHECKIN", "30/min"),
        "write": env_str("THROTTLE_WRITE", "60/min"),
    },
    # Every throttle counts by the address DRF's get_ident reads through this (see TRUSTED_PROXY_COUNT).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Growth mini-program API",
    "DESCRIPTION": "Check-in challenges, points, referral and mall for the mini-program client. "
    'Every error is {"code", "detail"} with a 4xx status.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# WeChat: `fake` answers locally (login code X -> openid fake-X); `live` calls WeChat's API.
WECHAT_MODE = env_str("WECHAT_MODE", "fake" if DEBUG else "live")
if WECHAT_MODE not in {"fake", "live"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"WECHAT_MODE must be 'fake' or 'live', got {WECHAT_MODE!r}.")
WECHAT_APPID = env_str("WECHAT_APPID")
WECHAT_SECRET = env_str("WECHAT_SECRET")
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/")
WECHAT_TIMEOUT_SECONDS = float(env_str("WECHAT_TIMEOUT_SECONDS", "5"))
WECHAT_CLIENT = {
    "fake": "core.wechat.fake.FakeWeChatClient",
    "live": "core.wechat.live.LiveWeChatClient",
}[WECHAT_MODE]
if WECHAT_MODE == "live":
    _missing += [name for name in ("WECHAT_APPID", "WECHAT_SECRET") if not env_str(name)]

# Points expiry: credits form lots that expire (off by default; the demo turns it on).
POINTS_EXPIRY_ENABLED = env_bool("POINTS_EXPIRY_ENABLED", False)
# "end_of_next_year" (local time), or a number of days such as "365".
POINTS_EXPIRY_RULE = env_str("POINTS_EXPIRY_RULE", "end_of_next_year")
POINTS_EXPIRING_SOON_DAYS = env_int("POINTS_EXPIRING_SOON_DAYS", 30)
# Growth value a user can gain per local day (0 = no cap).
POINTS_GROWTH_DAILY_CAP = env_int("POINTS_GROWTH_DAILY_CAP", 200)

# Member codes (会员码) staff scan at the desk: a code changes every this many seconds and is
# accepted for two periods, so a screenshot is useless within two minutes.
MEMBER_CODE_SECONDS = env_int("MEMBER_CODE_SECONDS", 60)

# Referral posters: a CJK font so Chinese nicknames render (Debian: fonts-wqy-microhei).
_POSTER_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]
POSTER_FONT_PATH = env_str("POSTER_FONT_PATH", next((p for p in _POSTER_FONT_CANDIDATES if Path(p).exists()), ""))

DEMO_ADMIN_USERNAME = "admin"  # a superuser, for engineers
DEMO_ADMIN_PASSWORD = "demo-admin-2026"
DEMO_OPERATOR_USERNAME = "operator"  # the 运营 group: what a clinic's operator may do
DEMO_OPERATOR_PASSWORD = "demo-operator-2026"
DEMO_CLERK_USERNAME = "clerk"  # 门店核销员 at the demo store: the front-desk page, /staff/
DEMO_CLERK_PASSWORD = "demo-clerk-2026"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a hard-to-undo commitment of the whole domain (hstspreload.org): an opt-in
        # (SECURE_HSTS_PRELOAD=1), so `check --deploy` does not warn while it is off.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django logs every 4xx answer as a warning: a flash sale's thousands of "sold out" are
        # the product working, and the access log has them. 5xx are still logged as errors.
        "django.request": {"level": env_str("REQUEST_LOG_LEVEL", "ERROR")},
    },
}

check_required(_missing)
