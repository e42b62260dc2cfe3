"""Django settings, all taken from the environment.

Defaults give the embedded setup (SQLite in ./civility-data, local-memory cache); production sets
DATABASE_URL (postgres://...), CIVILITY_REDIS_URL, CIVILITY_SECRET_KEY and CIVILITY_ALLOWED_HOSTS.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CIVILITY_DATA_DIR", Path.cwd() / "civility-data"))


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    key = os.environ.get("CIVILITY_SECRET_KEY")
    if key:
        return key
    # No key configured: keep one per data directory so sessions survive restarts of the demo.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("CIVILITY_DEBUG", "0") == "1"
ALLOWED_HOSTS = _env_list("CIVILITY_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CIVILITY_CSRF_TRUSTED_ORIGINS", "")
PUBLIC_URL = os.environ.get("CIVILITY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "civility.accounts",
    "civility.comments",
    "civility.moderation",
    "civility.api",
    "civility.perspective",
    "civility.imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "civility.urls"
WSGI_APPLICATION = "civility.wsgi.application"
ASGI_APPLICATION = "civility.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"

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

_default_db = f"sqlite:///{DATA_DIR / 'civility.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend plus a queue for write transactions (see civility/sqlite_backend).
    DATABASES["default"]["ENGINE"] = "civility.sqlite_backend"
    # WAL lets readers proceed while a writer commits; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Keep each worker thread's connection: closing the last one on a WAL database checkpoints
    # and removes the WAL file, which cost a fifth of every post when done per request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # Tests use a file too, not Django's shared in-memory database: that one reports "table is
    # locked" at once instead of waiting, unlike the WAL database the product runs on.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    if str(DATABASES["default"]["NAME"]) != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CIVILITY_DB_CONN_MAX_AGE", "60"))

REDIS_URL = os.environ.get("CIVILITY_REDIS_URL", "")
# Live-update streams one process keeps open at once (see civility.events.sse_response).
LIVE_STREAMS = int(os.environ.get("CIVILITY_LIVE_STREAMS", "24"))
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("CIVILITY_STATIC_ROOT", DATA_DIR / "static"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
# The widget lives in an iframe on the publisher's page: its cookies are third-party there.
SESSION_COOKIE_SAMESITE = os.environ.get("CIVILITY_COOKIE_SAMESITE", "Lax")
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
SESSION_COOKIE_SECURE = os.environ.get("CIVILITY_SECURE_COOKIES", "0") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"  # the embed view opts out explicitly

# Salt for hashing reader IPs: only hashes are stored.
IP_HASH_SALT = os.environ.get("CIVILITY_IP_SALT", SECRET_KEY)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CIVILITY_LOG_LEVEL", "WARNING")},
}
