"""The one settings module. Every deployment difference is an environment variable with a safe default.

Without DATABASE_URL / REDIS_URL an embedded PostgreSQL and Redis under var/ are started (see embedded.py).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from dalian_minzheng import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _env_bool(name: str, default: bool) -> bool:
    """Strict boolean: a typo such as DEBUG=ture must stop the start, not silently mean False."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env.str(name, default=None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def _database_config(url: str) -> dict:
    """Parse DATABASE_URL; the message never repeats the URL, which may hold a password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid URL ({exc})") from None
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            "DATABASE_URL must point at PostgreSQL (postgres://user:password@host:5432/name), not "
            f"{parts.scheme + '://…' if parts.scheme else 'a URL without a scheme'}: "
            "the portal relies on PostgreSQL's SQL, triggers and row locks"
        )
    if not parts.path.strip("/"):
        raise ImproperlyConfigured("DATABASE_URL names no database (postgres://user:password@host:5432/name)")
    try:
        return env.db_url_config(url)
    except Exception as exc:  # django-environ raises assorted errors for a malformed URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None


def _check_redis_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ImproperlyConfigured(f"REDIS_URL is not a valid URL ({exc})") from None
    if parts.scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(
            f"REDIS_URL must start with redis:// or rediss:// (redis://host:6379/0), not {parts.scheme!r}"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("REDIS_URL names no host (redis://host:6379/0)")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ImproperlyConfigured(f"REDIS_URL database {db!r} is not a number (redis://host:6379/0)")
    return url


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and _env_bool("REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # A development-only key; production sets SECRET_KEY (and REQUIRE_SECRET_KEY=true to enforce it). The
    # "django-insecure-" prefix makes `manage.py check --deploy` flag a deployment that forgot SECRET_KEY.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production-dalian-minzheng"

ALLOWED_HOSTS = [
    h.strip() for h in env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]) if h.strip()
]
if not ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("ALLOWED_HOSTS is empty: list the host names the portal answers to, comma-separated")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env.list("CSRF_TRUSTED_ORIGINS", default=[]) if o.strip()]
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"CSRF_TRUSTED_ORIGINS entry {_origin!r} must start with https:// (or http://)")
HTTPS = _env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
# The container healthcheck calls /healthz over plain HTTP inside the container; every other URL is redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _env_bool("BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = _env_int("SESSION_COOKIE_AGE", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline (no on* attributes,
# no <script> blocks: behaviour lives in static/js). Style attributes stay allowed (templates and ECharts' tooltips
# use them; they cannot run code), style elements and sheets only from our origin. Bootstrap's CSS draws its icons
# from data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")

# ---------------------------------------------------------------- apps
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "django_filters",
    "django_htmx",
    "import_export",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    # shared kernel
    "dalian_minzheng.core",
    "dalian_minzheng.people",
    "dalian_minzheng.accounts",
    "dalian_minzheng.audit",
    "dalian_minzheng.spreadsheets",
    # domain apps
    "assistance",
    "assistance.checks",
    "assistance.raises",
    "assistance.petitions",
    "assistance.public",
    "eldercare",
    "social_orgs",
    "funeral",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 413 for an over-limit body before CsrfViewMiddleware (the first to read request.POST) reads any of it
    "dalian_minzheng.core.bodylimit.BodyLimitMiddleware",
    # 400 for a NUL character in the path, query or form (PostgreSQL refuses it) and for a DataError
    "dalian_minzheng.core.inputs.InputGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "dalian_minzheng.core.middleware.NoStoreForUsersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dalian_minzheng.accounts.middleware.IdleTimeoutMiddleware",
    "dalian_minzheng.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # attaches the acting user and URL to every audit row written during the request
    "pghistory.middleware.HistoryMiddleware",
    # turns a refused login of a locked-out account into the lockout page (last, as django-axes asks)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dalian_minzheng.urls"
WSGI_APPLICATION = "dalian_minzheng.wsgi.application"

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
                "django.template.context_processors.i18n",
                "dalian_minzheng.core.context_processors.portal",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
DATABASE_URL = env.str("DATABASE_URL", default="") or embedded.postgres_url()
DATABASES = {"default": _database_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = _env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The role the portal, workers and beat connect as (DATABASE_URL's user in production); `manage.py setup_db_roles`,
# run by bin/migrate as the owner (MIGRATE_DATABASE_URL), creates it and grants it only what it needs
# (dalian_minzheng/core/db_roles.py). Its password comes from DB_RUNTIME_PASSWORD, read by that command only.
DB_RUNTIME_ROLE = env.str("DB_RUNTIME_ROLE", default="minzheng_runtime")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- redis, cache, celery
REDIS_URL = _check_redis_url(env.str("REDIS_URL", default="") or embedded.redis_url())

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "minzheng",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "Asia/Shanghai"
# A task is acknowledged only after it finishes, and re-queued if its worker dies, so work is never lost;
# tasks are therefore written to be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Longer than the longest chunk of any job (a chunk is minutes at most), so Redis never re-delivers a running task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)}
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_TASK_TRACK_STARTED = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False

# Jobs whose worker died (core/jobs.py): a running job refreshes its heartbeat every JOBS_HEARTBEAT_SECONDS; beat
# looks every JOBS_SWEEP_SECONDS for heartbeats older than JOBS_STALE_SECONDS and re-queues those jobs, failing one
# (with a message) after JOBS_MAX_ATTEMPTS starts. DatabaseScheduler copies this entry into its tables at start.
JOBS_HEARTBEAT_SECONDS = _env_int("JOBS_HEARTBEAT_SECONDS", 5, minimum=1)
JOBS_STALE_SECONDS = _env_int("JOBS_STALE_SECONDS", 60, minimum=2)
JOBS_SWEEP_SECONDS = _env_int("JOBS_SWEEP_SECONDS", 30, minimum=1)
JOBS_MAX_ATTEMPTS = _env_int("JOBS_MAX_ATTEMPTS", 3, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "core: re-queue jobs whose worker died": {
        "task": "core.recover_stalled_jobs",
        "schedule": float(JOBS_SWEEP_SECONDS),
        "options": {"expires": float(JOBS_SWEEP_SECONDS)},
    },
    # eldercare: last month's operating subsidy lists on the 1st (drafts for the districts to approve), and star
    # grades past their validity expire every night
    "eldercare: monthly operating subsidy lists": {
        "task": "eldercare.compute_subsidy_lists",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "eldercare: expire star grades": {"task": "eldercare.expire_grades", "schedule": crontab(minute=10, hour=1)},
    # social organisations: credit-list escalation and evaluation grade expiry fall due with the date
    "social_orgs: nightly rules": {"task": "social_orgs.nightly_rules", "schedule": crontab(minute=20, hour=1)},
}

# ---------------------------------------------------------------- auth
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "dalian_minzheng.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The lockout check (django-axes) comes before the password check.
AUTHENTICATION_BACKENDS = [
    "dalian_minzheng.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after AXES_FAILURE_LIMIT wrong passwords for one user name from one address, for AXES_COOLOFF_MINUTES.
# Counted per pair, so nobody can lock a colleague out from another machine by typing their user name.
AXES_FAILURE_LIMIT = _env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dalian_minzheng.accounts.views.lockout"
AXES_VERBOSE = False
# Logins are access events already (accounts/signals.py); axes keeps only the failure counts.
AXES_DISABLE_ACCESS_LOG = True
# Besides the absolute SESSION_COOKIE_AGE: logged out after this many seconds without a request (0: never).
SESSION_IDLE_TIMEOUT = _env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
# One-time codes (TOTP) for city admins: optional, or compulsory with OTP_REQUIRED_FOR_CITY_ADMINS=true.
OTP_REQUIRED_FOR_CITY_ADMINS = _env_bool("OTP_REQUIRED_FOR_CITY_ADMINS", False)
OTP_TOTP_ISSUER = "Dalian Civil Affairs Portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# ---------------------------------------------------------------- i18n
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- files
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and _env_bool("MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"  # never served publicly: uploads and exports are streamed through views that check access
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
SPREADSHEET_MAX_UPLOAD_BYTES = _env_int("SPREADSHEET_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
# What an xlsx may unpack to before any reader sees it (dalian_minzheng/spreadsheets/limits.py): the zip bomb and
# XFD1048576 attacks of issue 13. 100× follows Apache POI's minimum inflate ratio of 0.01.
SPREADSHEET_MAX_UNPACKED_BYTES = _env_int("SPREADSHEET_MAX_UNPACKED_BYTES", 512 * 1024 * 1024)
SPREADSHEET_MAX_MEMBER_BYTES = _env_int("SPREADSHEET_MAX_MEMBER_BYTES", 512 * 1024 * 1024)
SPREADSHEET_MAX_COMPRESSION_RATIO = _env_int("SPREADSHEET_MAX_COMPRESSION_RATIO", 100)
SPREADSHEET_MAX_ZIP_MEMBERS = _env_int("SPREADSHEET_MAX_ZIP_MEMBERS", 2000)
SPREADSHEET_MAX_ROWS = _env_int("SPREADSHEET_MAX_ROWS", 1_048_576)
SPREADSHEET_MAX_COLUMNS = _env_int("SPREADSHEET_MAX_COLUMNS", 512)
SPREADSHEET_MAX_CELLS = _env_int("SPREADSHEET_MAX_CELLS", 20_000_000)
# The upload page's first look at a file runs in a forked child under these limits (spreadsheets/sandbox.py):
# memory beyond what the web process already maps, CPU seconds, and wall-clock seconds before the child is killed.
SPREADSHEET_PARSE_MEMORY_BYTES = _env_int("SPREADSHEET_PARSE_MEMORY_BYTES", 2 * 1024 * 1024 * 1024)
SPREADSHEET_PARSE_CPU_SECONDS = _env_int("SPREADSHEET_PARSE_CPU_SECONDS", 60)
SPREADSHEET_PARSE_WALL_SECONDS = _env_int("SPREADSHEET_PARSE_WALL_SECONDS", 90)
# A pause between the cross-department check's chunks (seconds), so a long daytime run leaves the database to
# interactive users; 0 (the default) runs flat out.
CHECKS_CHUNK_PAUSE_SECONDS = env.float("CHECKS_CHUNK_PAUSE_SECONDS", default=0.0)
# Request bodies over these sizes get 413 before a byte of them is read (dalian_minzheng/core/bodylimit.py):
# signed-in users may upload a spreadsheet (plus the multipart envelope); anonymous requests (the login page, the
# public pages) are small forms. Views that take more or less say so with @body_limit (the department API).
REQUEST_MAX_BODY_BYTES = _env_int("REQUEST_MAX_BODY_BYTES", SPREADSHEET_MAX_UPLOAD_BYTES + 1024 * 1024)
ANONYMOUS_MAX_BODY_BYTES = _env_int("ANONYMOUS_MAX_BODY_BYTES", 64 * 1024)

# Demo accounts are created by `make run` only when this is on; never in production.
DEMO_DATA = _env_bool("DEMO_DATA", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# pghistory: every tracked model's events carry the context (user, url, task) set by middleware or tasks, and the
# event tables get triggers that refuse UPDATE and DELETE, so nobody can rewrite the audit trail.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_ALL_EVENTS = True
# Event rows are looked up by the object they record (pgh_obj) and by who/what caused them (pgh_context); the foreign
# keys copied from the tracked model (division, household, programme …) are never searched in the event tables, and
# each of their indexes was paid on every audited insert of the bulk imports and raises. So only those two are indexed.
import pghistory  # noqa: E402

PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=True)
