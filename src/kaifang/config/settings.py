"""Settings for Kaifang. Everything stateful lives under KAIFANG_HOME (default ./var)."""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Everything the process writes under KAIFANG_HOME (keys, the SQLite database, uploads, Parquet, the raw zone)
# is for this user only: files 0600, directories 0700. KAIFANG_UMASK (octal) loosens it, e.g. 027 when a web
# server in the same group serves KAIFANG_HOME/static itself.
os.umask(int(os.environ.get("KAIFANG_UMASK", "077"), 8))
KAIFANG_HOME = Path(os.environ.get("KAIFANG_HOME", "var")).resolve()
KAIFANG_HOME.mkdir(mode=0o700, parents=True, exist_ok=True)


def _owner_only(*paths: Path) -> None:
    """Files made before the umask above (older releases wrote them world-readable) are closed on start."""
    for path in paths:
        try:
            mode = path.stat().st_mode & 0o777
            wanted = 0o700 if path.is_dir() else 0o600
            if mode & 0o077:
                path.chmod(mode & wanted)
        except OSError:  # gone, or not ours to change
            pass


def _secret_key() -> str:
    if os.environ.get("KAIFANG_SECRET_KEY"):
        return os.environ["KAIFANG_SECRET_KEY"]
    path = KAIFANG_HOME / "secret_key"
    if not path.exists():
        # Written once per instance so sessions survive restarts without a shared default key; 0600 from the
        # first byte, whatever the umask.
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        os.replace(tmp, path)
    return path.read_text().strip()


_owner_only(
    KAIFANG_HOME,
    *(KAIFANG_HOME / name for name in ("secret_key", "field.key", "raw_zone.key")),
    *KAIFANG_HOME.glob("kaifang.sqlite3*"),
)


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("KAIFANG_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("KAIFANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KAIFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Listed so /api/docs renders with ninja's bundled Swagger UI, never a CDN.
    "ninja",
    "django_tasks_db",
    "kaifang.core",
    "kaifang.tenancy",
    "kaifang.accounts",
    "kaifang.notifications",
    "kaifang.catalog",
    "kaifang.access",
    "kaifang.tabular",
    "kaifang.feeds",
    "kaifang.privacy",
    "kaifang.search",
    "kaifang.scenarios",
    "kaifang.operations",
    "kaifang.interaction",
    "kaifang.portal",
    "kaifang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kaifang.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kaifang.accounts.security.StaffSecondFactorMiddleware",
    "kaifang.access.calllog.CallLogMiddleware",
    "kaifang.core.middleware.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "kaifang.config.urls"
WSGI_APPLICATION = "kaifang.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "kaifang.portal.context.platform",
                "kaifang.notifications.context.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{KAIFANG_HOME / 'kaifang.sqlite3'}"),
        conn_max_age=int(os.environ.get("KAIFANG_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer commits; IMMEDIATE avoids lock upgrades mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = (
        {"NAME": os.environ.get("KAIFANG_TEST_SQLITE", "")} if os.environ.get("KAIFANG_TEST_SQLITE") else {}
    )

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:workbench"  # staff and the evaluator: /staff/; everyone else: /me/
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = KAIFANG_HOME / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = KAIFANG_HOME / "files"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Server-side sessions: logging out deletes the row, so a copied cookie stops working (a signed cookie would
# stay valid until it expires). Not cached_db: the cache is per process, so another worker would still
# accept a session that was ended in this one.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("KAIFANG_SESSION_AGE", str(14 * 24 * 3600)))
# Addresses (or networks) of the reverse proxies in front of the platform. Only when REMOTE_ADDR is one of
# them is X-Forwarded-For read, and then its rightmost hop that is not a trusted proxy is the client
# (accounts.security.client_address): login throttling counts per client, not per proxy.
KAIFANG_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("KAIFANG_TRUSTED_PROXIES", "").split(",") if p.strip()]
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work (ingest) goes through django.tasks. The database backend needs no extra service: rows in
# django_tasks_db's table are claimed by `kaifang worker` (started alongside gunicorn by `kaifang serve` and
# `kaifang demo`) with SELECT ... FOR UPDATE SKIP LOCKED. A Redis backend can replace it at scale.
# KAIFANG_TASKS_BACKEND=django.tasks.backends.immediate.ImmediateBackend runs tasks inline (tests, scripts).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KAIFANG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Starts of one upload's ingest before a worker found dead mid-ingest fails it instead of retrying.
# Threads of each process's DuckDB database (queries of the data API, ingest, exports).
KAIFANG_DUCKDB_THREADS = int(os.environ.get("KAIFANG_DUCKDB_THREADS", "2"))
KAIFANG_INGEST_MAX_ATTEMPTS = int(os.environ.get("KAIFANG_INGEST_MAX_ATTEMPTS", "2"))

# The platform's identity; another city changes these and the demo data.
KAIFANG_CITY_REGION_CODE = os.environ.get("KAIFANG_CITY_REGION_CODE", "421200")
KAIFANG_PLATFORM_NAME = _("咸宁市公共数据开放平台")
KAIFANG_OPEN_DATASET_TARGET = int(os.environ.get("KAIFANG_OPEN_DATASET_TARGET", "1000"))
KAIFANG_KEY_DOMAIN_TARGET = 15

# Staff pages require a one-time password; `kaifang demo` turns this off so the demo accounts work as printed.
KAIFANG_STAFF_2FA_REQUIRED = os.environ.get("KAIFANG_STAFF_2FA_REQUIRED", "1") == "1"
# Both on in production; the access benchmark turns them off to measure what they cost.
KAIFANG_RATELIMIT_ENABLED = os.environ.get("KAIFANG_RATELIMIT_ENABLED", "1") == "1"
KAIFANG_CALLLOG_ENABLED = os.environ.get("KAIFANG_CALLLOG_ENABLED", "1") == "1"
KAIFANG_BASE_URL = os.environ.get("KAIFANG_BASE_URL", "http://127.0.0.1:8000")
# Mail goes to files under KAIFANG_HOME unless an SMTP server is configured (KAIFANG_EMAIL_HOST). Nothing is
# sent inline: notifications queue mail in the database and `kaifang worker` delivers it, retrying.
EMAIL_BACKEND = os.environ.get(
    "KAIFANG_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("KAIFANG_EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = KAIFANG_HOME / "mail"
EMAIL_HOST = os.environ.get("KAIFANG_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KAIFANG_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KAIFANG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KAIFANG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("KAIFANG_EMAIL_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("KAIFANG_EMAIL_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("KAIFANG_EMAIL_TIMEOUT", "30"))
# A message that fails is tried again 1, 2, 4 … minutes later (at most 6 hours apart), then kept as failed.
KAIFANG_MAIL_MAX_ATTEMPTS = int(os.environ.get("KAIFANG_MAIL_MAX_ATTEMPTS", "8"))
KAIFANG_MAIL_RETRY_SECONDS = int(os.environ.get("KAIFANG_MAIL_RETRY_SECONDS", "60"))
DEFAULT_FROM_EMAIL = os.environ.get("KAIFANG_FROM_EMAIL", "noreply@kaifang.local")

# --- Security headers (docs/decisions/0009-content-security-policy.md) ---
# No inline script or style anywhere: scripts are static files, inline JSON data blocks are not executed, and
# an inline <script> that ever becomes necessary carries {{ csp_nonce }}. htmx runs with allowEval off and
# without its injected indicator styles (the <meta name="htmx-config"> in base.html).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # data: for the small SVG icons Swagger UI and Leaflet embed in their stylesheets.
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind HTTPS (directly or through a TLS-terminating proxy) set KAIFANG_HTTPS=1: cookies are sent over HTTPS
# only and browsers are told to keep using HTTPS (HSTS). Off by default so `kaifang demo` works over plain HTTP.
KAIFANG_HTTPS = os.environ.get("KAIFANG_HTTPS", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = KAIFANG_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("KAIFANG_HSTS_SECONDS", "31536000")) if KAIFANG_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("KAIFANG_HSTS_INCLUDE_SUBDOMAINS", "") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("KAIFANG_HSTS_PRELOAD", "") == "1"
SECURE_SSL_REDIRECT = KAIFANG_HTTPS and os.environ.get("KAIFANG_SSL_REDIRECT", "") == "1"


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    if not value:
        return None
    header, sep, secure_value = (part.strip() for part in value.partition(","))
    if not (header.startswith("HTTP_") and sep and secure_value):
        raise ValueError('KAIFANG_PROXY_SSL_HEADER must look like "HTTP_X_FORWARDED_PROTO,https"')
    return header, secure_value


# "HTTP_X_FORWARDED_PROTO,https": the header the reverse proxy sets and the value that means HTTPS. Only set it
# when the proxy always sets (or strips) that header, or a client could claim HTTPS over plain HTTP.
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(os.environ.get("KAIFANG_PROXY_SSL_HEADER", ""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAIFANG_LOG_LEVEL", "WARNING")},
}
