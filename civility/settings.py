"""Django settings, all taken from the environment: the one place Civility reads CIVILITY_*.

Defaults give the embedded setup (SQLite in ./civility-data, local-memory cache); production sets
DATABASE_URL (postgres://...), CIVILITY_REDIS_URL, CIVILITY_SECRET_KEY and CIVILITY_ALLOWED_HOSTS.
The README's configuration table lists every variable read here (a test checks it).
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from civility.i18n import LANGUAGES as I18N_LANGUAGES
from civility.i18n import LOCALE_DIR

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CIVILITY_DATA_DIR", Path.cwd() / "civility-data"))


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw not in {"0", "false", "no", "off"}


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
DEBUG = _env_bool("CIVILITY_DEBUG", False)
ALLOWED_HOSTS = _env_list("CIVILITY_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CIVILITY_CSRF_TRUSTED_ORIGINS", "")
PUBLIC_URL = os.environ.get("CIVILITY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Whether PUBLIC_URL was configured (else `createsite` looks for a running demo's address).
PUBLIC_URL_CONFIGURED = bool(os.environ.get("CIVILITY_PUBLIC_URL", "").strip())

INSTALLED_APPS = [
    # Django's admin on a site that asks staff for their second factor (civility/moderation).
    "civility.moderation.admin_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # Swagger UI's files for /api/v1/docs, served from here (no CDN)
    "civility.accounts",
    "civility.comments",
    "civility.moderation",
    "civility.api",
    "civility.perspective",
    "civility.imports",
    "civility.ops",  # /healthz, /readyz, /metrics, request ids (civility/ops)
    "axes",  # login lock-out (civility/accounts/lockout.py)
    "django_otp",  # second factor for staff (civility/moderation/second_factor.py)
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "civility.ops.requests.RequestMiddleware",  # first: request id, metrics, the request's log line
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, API docs) compressed, with cache-busted names, from STATIC_ROOT.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language (Accept-Language; the widget sends the page's) for every answer.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): second factor given
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "civility.moderation.csp.DeskPolicyMiddleware",  # Content-Security-Policy on /moderate/
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into its answer (429)
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
    DATABASES["default"]["CONN_MAX_AGE"] = _env_int("CIVILITY_DB_CONN_MAX_AGE", 60)

REDIS_URL = os.environ.get("CIVILITY_REDIS_URL", "")
# Live-update streams one process keeps open at once (see civility.events.sse_response).
LIVE_STREAMS = _env_int("CIVILITY_LIVE_STREAMS", 24)
if REDIS_URL:
    # django-redis, so a Redis that is down costs a cache miss (read from the database), not an
    # error: Redis is optional in fact. Short timeouts keep a dead Redis from stalling requests.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Languages with complete catalogues (civility/i18n.py; civility/locale/*/LC_MESSAGES/*.po).
LANGUAGE_CODE = "en"
LANGUAGES = I18N_LANGUAGES
LOCALE_PATHS = [LOCALE_DIR]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("CIVILITY_STATIC_ROOT", DATA_DIR / "static"))
# WhiteNoise: `civility serve` and `civility demo` run collectstatic at start (gzip and Brotli
# copies, content-hashed names cached for a year). Before a collectstatic (tests, `manage`) the
# storage falls back to the plain names, which WhiteNoise then serves from the apps' folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "civility.staticfiles.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
try:  # WhiteNoise warns about a missing STATIC_ROOT until the first collectstatic
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
except OSError:
    pass
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
# The widget lives in an iframe on the publisher's page: its cookies are third-party there.
SESSION_COOKIE_SAMESITE = os.environ.get("CIVILITY_COOKIE_SAMESITE", "Lax")
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
# Secure (HTTPS-only) cookies whenever Civility is reached over https; the variable overrides.
SESSION_COOKIE_SECURE = _env_bool("CIVILITY_SECURE_COOKIES", PUBLIC_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Sessions are the desk's and the admin's (the widget uses bearer tokens): a working day, not
# Django's two weeks.
SESSION_COOKIE_AGE = int(_env_float("CIVILITY_SESSION_HOURS", 12.0) * 3600)
X_FRAME_OPTIONS = "DENY"  # the embed view opts out explicitly

# Proxies in front of Civility (civility/clientip.py): "" = none (the socket address is the
# reader's), a count, or a comma-separated list of addresses / CIDR networks.
TRUSTED_PROXIES = os.environ.get("CIVILITY_TRUSTED_PROXIES", "")
if TRUSTED_PROXIES.strip() and not TRUSTED_PROXIES.strip().isdigit():
    for _part in TRUSTED_PROXIES.split(","):
        try:
            ipaddress.ip_network(_part.strip(), strict=False)
        except ValueError:
            raise SystemExit(
                f"CIVILITY_TRUSTED_PROXIES: {_part.strip()!r} is not an address or network"
            ) from None

# Salt for hashing reader IPs: only hashes are stored.
IP_HASH_SALT = os.environ.get("CIVILITY_IP_SALT", SECRET_KEY)

# --- accounts hardening --------------------------------------------------------------------------
# Login lock-out (django-axes) on every password form: the API's /auth/login, the desk's
# /moderate/login/ and /admin/. After LOGIN_FAILURE_LIMIT failures for one username from one
# address, that pair is refused (429) for LOGIN_LOCKOUT_MINUTES after the last counted failure.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = _env_int("CIVILITY_LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = _env_float("CIVILITY_LOGIN_LOCKOUT_MINUTES", 15.0)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out do not push the end of the lock-out further (Retry-After holds).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "civility.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "civility.accounts.lockout.lockout_response"
# Keep only what the lock-out needs: no log of every successful sign-in with its address.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Second factor (django-otp, TOTP) for staff. Staff who enrolled always confirm their sign-in;
# a site can require it of its staff (desk settings), and this requires it of all staff, the
# Django admin's included.
REQUIRE_STAFF_2FA = _env_bool("CIVILITY_REQUIRE_STAFF_2FA", False)
OTP_TOTP_ISSUER = "Civility"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Publisher SSO tokens (civility.accounts.actions.sso_login): the longest exp - iat accepted.
SSO_MAX_TOKEN_SECONDS = _env_int("CIVILITY_SSO_MAX_TOKEN_SECONDS", 3600)

# Limits per client address or reader (civility.ratelimit windows).
SIGNUPS_PER_HOUR = _env_int("CIVILITY_SIGNUPS_PER_HOUR", 10)  # local accounts per address
GUESTS_PER_HOUR = _env_int("CIVILITY_GUESTS_PER_HOUR", 20)  # guest identities per address
REACTIONS_PER_MINUTE = _env_int("CIVILITY_REACTIONS_PER_MINUTE", 30)  # per reader

# Logs (civility/ops/logs.py): one JSON object a line with the request id ("text": readable
# lines), and one line per request on the civility.request logger unless CIVILITY_REQUEST_LOG=0.
LOG_FORMAT = "text" if os.environ.get("CIVILITY_LOG_FORMAT", "").strip() == "text" else "json"
REQUEST_LOG = _env_bool("CIVILITY_REQUEST_LOG", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "civility.ops.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "civility.ops.logs.JsonFormatter"},
        "text": {"()": "civility.ops.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CIVILITY_LOG_LEVEL", "WARNING")},
    "loggers": {"civility.request": {"level": "INFO" if REQUEST_LOG else "WARNING"}},
}
# /metrics (civility/ops/views.py): client addresses or networks allowed, and a bearer token
# that is allowed from anywhere ("" = none).
METRICS_ALLOW = os.environ.get("CIVILITY_METRICS_ALLOW", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("CIVILITY_METRICS_TOKEN", "")

# --- the scoring model (civility.moderation.scoring) --------------------------------------------
# Another artifact folder instead of the bundled model ("" = bundled).
SCORING_ARTIFACT = os.environ.get("CIVILITY_SCORING_ARTIFACT", "")
# The most a request waits for the model (a post, the Coral hook, the nudge); past it a comment is
# held ("scoring unavailable"), or, for posts while the model is busy, decided when it is scored.
SCORING_TIMEOUT = _env_float("CIVILITY_SCORING_TIMEOUT", 2.0)
SCORING_LOAD_TIMEOUT = _env_float("CIVILITY_SCORING_LOAD_TIMEOUT", 30.0)  # first load
SCORING_STAGE2 = _env_bool("CIVILITY_SCORING_STAGE2", True)  # False: stage 1 alone (faster)
# Stage-1 TOXICITY (0-1) from which stage 2 re-scores a comment ("" = the model's own point).
SCORING_ROUTE_FROM = os.environ.get("CIVILITY_SCORING_ROUTE_FROM", "")
# Posts do not wait for the model while more than a batch is queued: they are stored held and
# decided when scored (never published unscored). False: every post waits (up to the timeout).
SCORING_DEFER = _env_bool("CIVILITY_SCORING_DEFER", True)
ENCODER_THREADS = _env_int("CIVILITY_ENCODER_THREADS", 0)  # stage 2 threads (0 = CPU count)
BATCH_MAX = _env_int("CIVILITY_BATCH_MAX", 32)  # micro-batching of all scoring in a process
BATCH_WAIT_MS = _env_float("CIVILITY_BATCH_WAIT_MS", 2.0)

# --- `civility serve` (gunicorn) -----------------------------------------------------------------
BIND = os.environ.get("CIVILITY_BIND", "127.0.0.1:8000")
WORKERS = _env_int("CIVILITY_WORKERS", 2)
# Request slots per worker: requests of one process that run the application at once (the
# rest wait their turn off the CPU; civility.metrics.RequestSlots). Two, measured: each
# runnable thread past one costs CPU in GIL turns (bench/RESULTS-comments.md).
THREADS = _env_int("CIVILITY_THREADS", 2)
ACCESS_LOG = os.environ.get("CIVILITY_ACCESS_LOG", "")  # a path or "-" for stdout; off if empty

# Perspective migration kit
# The discovery document's rootUrl: CIVILITY_PUBLIC_URL when set, else the URL a request came to.
PERSPECTIVE_DISCOVERY_ROOT_URL = os.environ.get("CIVILITY_PUBLIC_URL", "").rstrip("/")
# Log mode (`civility perspective log`, off by default): comments:analyze and :suggestscore go to
# Perspective, its answers come back unchanged, and analyze's text and scores are kept locally.
PERSPECTIVE_LOG = _env_bool("CIVILITY_PERSPECTIVE_LOG", False)
PERSPECTIVE_LOG_UPSTREAM = os.environ.get(
    "CIVILITY_PERSPECTIVE_LOG_UPSTREAM", "https://commentanalyzer.googleapis.com"
).rstrip("/")
# Set: callers use Civility keys and Perspective is called with this one. Empty: callers' own
# Perspective keys are passed on.
PERSPECTIVE_LOG_UPSTREAM_KEY = os.environ.get("CIVILITY_PERSPECTIVE_LOG_UPSTREAM_KEY", "")
PERSPECTIVE_LOG_RETENTION_DAYS = _env_int("CIVILITY_PERSPECTIVE_LOG_RETENTION_DAYS", 90)

# --- background tasks (civility.tasks) and webhooks (civility.webhooks) -------------------------
# Django's task API (django.tasks on Django 6, the django-tasks backport on 5.2). "db" (default):
# the ORM backend (django-tasks-db), tasks in this database, no other service; "rq": Redis
# through django-tasks-rq (needs CIVILITY_REDIS_URL). Run workers with `civility worker`.
TASK_BACKEND = os.environ.get("CIVILITY_TASK_BACKEND", "db").strip().lower() or "db"
TASK_QUEUES = ["default", "webhooks", "scoring", "mail"]
if TASK_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
    INSTALLED_APPS += ["django_tasks_db"]
elif TASK_BACKEND == "rq":
    if not REDIS_URL:
        raise SystemExit("CIVILITY_TASK_BACKEND=rq needs CIVILITY_REDIS_URL")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in TASK_QUEUES}
    INSTALLED_APPS += ["django_tasks", "django_rq"]
else:
    raise SystemExit(f"CIVILITY_TASK_BACKEND must be db or rq, got {TASK_BACKEND!r}")
INSTALLED_APPS += ["civility.tasks", "civility.webhooks"]
# A failing task is tried this many times in all, waiting RETRY_SECONDS * 2^(n-1) (at most
# RETRY_MAX_SECONDS) between tries, then parked: kept, listed in the admin, never dropped.
TASK_MAX_ATTEMPTS = _env_int("CIVILITY_TASK_MAX_ATTEMPTS", 8)
TASK_RETRY_SECONDS = _env_float("CIVILITY_TASK_RETRY_SECONDS", 5.0)
TASK_RETRY_MAX_SECONDS = _env_float("CIVILITY_TASK_RETRY_MAX_SECONDS", 3600.0)
# A worker that has not said it is alive for this long is taken for dead: the task it was
# running is run again by another worker, and work left undone is queued again.
WORKER_LEASE_SECONDS = _env_float("CIVILITY_WORKER_LEASE_SECONDS", 30.0)
# A comment held while its score was pending is scored by a task if still waiting after this.
SCORE_PENDING_AFTER = _env_float("CIVILITY_SCORE_PENDING_AFTER", 60.0)
# Webhooks: attempts per delivery (the retry wait doubles from TASK_RETRY_SECONDS, capped at
# TASK_RETRY_MAX_SECONDS: 16 tries span about nine hours), the receiver's time to answer, how
# long a rotated-out secret still signs, and how long the delivery log keeps delivered events.
WEBHOOK_MAX_ATTEMPTS = _env_int("CIVILITY_WEBHOOK_MAX_ATTEMPTS", 16)
WEBHOOK_TIMEOUT = _env_float("CIVILITY_WEBHOOK_TIMEOUT", 10.0)
WEBHOOK_SECRET_GRACE_HOURS = _env_float("CIVILITY_WEBHOOK_SECRET_GRACE_HOURS", 24.0)
WEBHOOK_LOG_DAYS = _env_int("CIVILITY_WEBHOOK_LOG_DAYS", 30)

# --- EU Digital Services Act (civility/moderation/dsa.py, appeals.py, campaigns.py) ---------------
# A held comment gets a statement of reasons once held this long (a site may set its own,
# Site.settings["statement_hold_hours"]); authors may appeal a removal or ban for APPEAL_DAYS
# (the DSA asks for at least six months). Statements are e-mailed to authors with an address
# STATEMENT_EMAIL_DELAY seconds after the decision, unless it was undone meanwhile.
STATEMENT_HOLD_HOURS = _env_float("CIVILITY_STATEMENT_HOLD_HOURS", 24.0)
APPEAL_DAYS = _env_int("CIVILITY_APPEAL_DAYS", 183)
STATEMENT_EMAILS = _env_bool("CIVILITY_STATEMENT_EMAILS", True)
STATEMENT_EMAIL_DELAY = _env_float("CIVILITY_STATEMENT_EMAIL_DELAY", 60.0)
# Campaign view: near-same comments (word-shingle Jaccard >= CAMPAIGN_SIMILARITY after
# normalizing case, whitespace, punctuation and digits) from at least CAMPAIGN_MIN_ACCOUNTS
# accounts within CAMPAIGN_WINDOW_MINUTES are one card in the queue.
CAMPAIGN_WINDOW_MINUTES = _env_float("CIVILITY_CAMPAIGN_WINDOW_MINUTES", 60.0)
CAMPAIGN_MIN_ACCOUNTS = _env_int("CIVILITY_CAMPAIGN_MIN_ACCOUNTS", 3)
CAMPAIGN_SIMILARITY = _env_float("CIVILITY_CAMPAIGN_SIMILARITY", 0.7)


# --- e-mail (civility/accounts/mail.py) ---------------------------------------------------------
# CIVILITY_EMAIL_URL picks Django's e-mail backend: smtp://user:pass@host:port (plain, or STARTTLS
# with ?tls=1), smtp+tls:// (STARTTLS, port 587), smtps:// or smtp+ssl:// (TLS from the start,
# port 465), console:// (print each message: the demo's), file:///folder, memory:// (Django's
# locmem, for tests) or dummy:// (drop). Unset: the usual EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL variables when EMAIL_HOST is set, else the
# console. User and password are percent-decoded (a "@" in a password is %40).
def _email_settings(url: str) -> dict[str, object]:
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    simple = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "memory": "django.core.mail.backends.locmem.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        return {"EMAIL_BACKEND": simple[scheme]}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path) or str(DATA_DIR / "mail"),
        }
    tls_schemes, ssl_schemes = {"smtp+tls", "submission"}, {"smtps", "smtp+ssl"}
    if scheme not in {"smtp"} | tls_schemes | ssl_schemes:
        raise SystemExit(
            f"CIVILITY_EMAIL_URL: unknown scheme {scheme!r} (smtp, smtp+tls, smtps, console,"
            " file, memory or dummy)"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError:
        raise SystemExit("CIVILITY_EMAIL_URL: the port is not a number") from None
    use_ssl = scheme in ssl_schemes or query.get("ssl", "") in {"1", "true", "yes"}
    use_tls = scheme in tls_schemes or query.get("tls", "") in {"1", "true", "yes"}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls and not use_ssl,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": float(query.get("timeout", 10)),
    }


EMAIL_URL = os.environ.get("CIVILITY_EMAIL_URL", "").strip()
if EMAIL_URL:
    globals().update(_email_settings(EMAIL_URL))
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = _env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = _env_float("EMAIL_TIMEOUT", 10.0)
else:  # nothing configured: print messages (the demo's), never a silent drop
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The sender of every message Civility sends (reset, verification, notifications).
DEFAULT_FROM_EMAIL = os.environ.get("CIVILITY_EMAIL_FROM", "Civility <civility@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Password reset and e-mail verification links stay valid this long (Django's token generator).
PASSWORD_RESET_TIMEOUT = int(_env_float("CIVILITY_EMAIL_LINK_HOURS", 24.0) * 3600)
# Reset and verification requests: at most this many an hour per address asked for and per
# client address (answered alike whether or not an account exists).
EMAIL_REQUESTS_PER_HOUR = _env_int("CIVILITY_EMAIL_REQUESTS_PER_HOUR", 5)
# Notification e-mail (replies, moderators' decisions) for readers who opt in: at most one
# message per reader every NOTIFY_EVERY_MINUTES; what happens meanwhile goes in the next one.
NOTIFY_EVERY_MINUTES = _env_float("CIVILITY_NOTIFY_EVERY_MINUTES", 15.0)
# The first notification waits this long before it is mailed (a moderator's undo window).
NOTIFY_GRACE_SECONDS = 60.0
