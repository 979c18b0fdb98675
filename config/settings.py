"""Tandem settings: every value comes from the environment, with safe defaults.

Each variable is documented in `.env.example`. With nothing set, Tandem runs on SQLite under
`var/` with a development secret key generated there; `DEBUG` is off unless set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TANDEM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _dev_secret_key() -> str:
    """A per-checkout development key, generated once into var/ so sessions survive restarts."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG")
# TANDEM_PRODUCTION=1 marks a real deployment: a SECRET_KEY must be given, DEBUG and the demo
# are refused, and HTTPS settings default on.
PRODUCTION = env_bool("TANDEM_PRODUCTION")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when TANDEM_PRODUCTION=1.")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when TANDEM_PRODUCTION=1.")
    SECRET_KEY = _dev_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
DEMO_MODE = env_bool("TANDEM_DEMO") and not PRODUCTION
# The address links in emails point to. The demo serves on $PORT (`PORT=9000 make run`), so its
# default follows the port; a deployment sets SITE_URL to its public address.
_LOCAL_PORT = (os.environ.get("PORT") or "8000") if DEMO_MODE else "8000"
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{_LOCAL_PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: "20,000 participants"
    "axes",
    "django_tasks",
    "django_tasks_db",
    "tandem.core",
    "tandem.accounts",
    "tandem.organizations",
    "tandem.programs",
    "tandem.mentorships",
    "tandem.matching",
    "tandem.support",
    "tandem.health",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files carry the policy headers too.
    "csp.middleware.CSPMiddleware",
    "tandem.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tandem.accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "tandem.core.context_processors.site",
                "tandem.organizations.context_processors.roles",
                "tandem.accounts.notifications.unread_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tandem.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process and the task worker read while the other writes;
        # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
_test_name = os.environ.get("TEST_DATABASE_NAME") or None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not _test_name:
    # A file, not memory: tests that race threads need SQLite's real locking between
    # connections, which a shared in-memory database does not give. One file per process, so
    # that test runs side by side (or xdist workers) never share one.
    _test_name = str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
DATABASES["default"]["TEST"] = {"NAME": _test_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, but a session of an account whose address is unverified is none.
    "tandem.accounts.backends.VerifiedEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A sign-up's verification link stops working after this long; the log-in page sends a new one.
EMAIL_VERIFICATION_MAX_AGE_DAYS = int(os.environ.get("EMAIL_VERIFICATION_MAX_AGE_DAYS", "3"))
# Account emails a visitor can trigger (password reset, sign-up, verification link), per hour:
# per address, and per client address (a whole office signing up at once shares one).
EMAIL_THROTTLE_PER_ADDRESS = int(os.environ.get("EMAIL_THROTTLE_PER_ADDRESS", "3"))
EMAIL_THROTTLE_PER_CLIENT = int(os.environ.get("EMAIL_THROTTLE_PER_CLIENT", "20"))

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_CALLABLE = "tandem.accounts.throttling.lockout_username"
# The client's address as BEHIND_PROXY trusts it, not the proxy's (accounts/throttling.py).
AXES_CLIENT_IP_CALLABLE = "tandem.accounts.throttling.client_address"
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)

# Request size: a form's fields together up to 2.5 MB (the bulk invitation of 5,000 addresses
# is about 150 KB), at most 2,000 fields and 5 files; beyond that the request is refused with
# templates/400.html. CSV files are checked on their own (tandem.programs.forms.MAX_IMPORT_BYTES);
# the reverse proxy in front should cap whole bodies too (README, "Limits on input").
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
DATA_UPLOAD_MAX_NUMBER_FILES = 5

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): only the site's own files run or style a page; nothing
# inline, so a stored script cannot run even if an escaping mistake lets one through.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for the empty favicon of base.html
        "connect-src": [SELF],  # htmx fetches fragments from the site itself
        "font-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}
# Powerful browser features Tandem never uses; no page (nor anything framed) may ask for them.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
HTTPS = env_bool("HTTPS", default=PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
# One trusted reverse proxy in front: it sets X-Forwarded-Proto, and appends the client's address
# to X-Forwarded-For (the right-most entry is the one trusted). Off: both headers are ignored.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _email_settings() -> dict[str, object]:
    """EMAIL_URL (smtp://user:pass@host:port?tls=1, console:, locmem:) or separate variables."""
    url = os.environ.get("EMAIL_URL", "")
    if url:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        backends = {
            "smtp": "django.core.mail.backends.smtp.EmailBackend",
            "smtps": "django.core.mail.backends.smtp.EmailBackend",
            "console": "django.core.mail.backends.console.EmailBackend",
            "locmem": "django.core.mail.backends.locmem.EmailBackend",
        }
        if parts.scheme not in backends:
            raise ImproperlyConfigured(f"EMAIL_URL: unknown scheme {parts.scheme!r}")
        return {
            "EMAIL_BACKEND": backends[parts.scheme],
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": query.get("tls", "0") in {"1", "true"},
            "EMAIL_USE_SSL": parts.scheme == "smtps",
        }
    return {
        "EMAIL_BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend"
            if os.environ.get("EMAIL_HOST")
            else "django.core.mail.backends.console.EmailBackend",
        ),
        "EMAIL_HOST": os.environ.get("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": int(os.environ.get("EMAIL_PORT", "25")),
        "EMAIL_HOST_USER": os.environ.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS"),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL"),
    }


_email = _email_settings()
EMAIL_BACKEND = str(_email["EMAIL_BACKEND"])
EMAIL_HOST = str(_email["EMAIL_HOST"])
EMAIL_PORT = int(str(_email["EMAIL_PORT"]))
EMAIL_HOST_USER = str(_email["EMAIL_HOST_USER"])
EMAIL_HOST_PASSWORD = str(_email["EMAIL_HOST_PASSWORD"])
EMAIL_USE_TLS = bool(_email["EMAIL_USE_TLS"])
EMAIL_USE_SSL = bool(_email["EMAIL_USE_SSL"])
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))

# --- Background tasks -----------------------------------------------------------------------
# The database backend runs tasks in `manage.py db_worker`; TASKS_IMMEDIATE=1 runs them inline
# (used by `make run`'s demo mode when no worker is wanted, and by tests that say so).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if env_bool("TASKS_IMMEDIATE")
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Internationalization, static files -----------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production sets STATIC_MANIFEST=1 and runs `collectstatic`; otherwise WhiteNoise serves the
# files straight from the source folders, so `make run` and the tests need no collect step.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
if not STATIC_MANIFEST:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Tandem ---------------------------------------------------------------------------------
PARTICIPANTS_PER_PAGE = 50
MENTORS_PER_PAGE = 10  # self-match browse: compact cards, a phone screen or two
# Personal invitation links (to a program, or to coordinate) stop working after this long;
# the coordinator or admin sends a fresh one.
INVITATION_MAX_AGE_DAYS = int(os.environ.get("INVITATION_MAX_AGE_DAYS", "30"))
