"""Settings shared by every environment. Environment variables are documented in README.md."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Part of every ETag: a deploy with new templates must not be answered "not modified".
ARCHIVE_VERSION = os.environ.get("ARCHIVE_VERSION", "0.1.0")
DEBUG = False
ALLOWED_HOSTS: list[str] = env_list("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "ninja",
    "axes",
    "replies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "archive.middleware.ReadOnlyCorsMiddleware",
    "archive.middleware.RejectNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "archive.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns locked-out logins into a refusal page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin logins: after 5 failures for one username from one address, wait an hour.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", 1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# No inline scripts anywhere; styles allow inline attributes because the admin and the
# bundled Swagger UI set them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

ROOT_URLCONF = "archive.urls"
WSGI_APPLICATION = "archive.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "replies.context_processors.latest_dataset",
            ],
        },
    },
]

# Data directory for everything the archive keeps on local disk (embedded database, dumps).
DATA_DIR = Path(os.environ.get("ARCHIVE_DATA_DIR", BASE_DIR / ".data"))

# Public research snapshots (`manage.py dump_dataset`), listed and served at /datasets/.
ARCHIVE_DATASET_DIR = Path(os.environ.get("ARCHIVE_DATASET_DIR", DATA_DIR / "datasets"))

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    from archive.embedded_pg.server import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(DATA_DIR)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded and ingested sources are kept in the database (Source.content), not on disk.
UPLOAD_MAX_BYTES = int(os.environ.get("ARCHIVE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Contact names, phone numbers and e-mail addresses are hidden from the public copy of a reply.
ARCHIVE_REDACT_CONTACTS = env_bool("ARCHIVE_REDACT_CONTACTS", True)
# Limits on uploads and ZIP archives (per archive).
ARCHIVE_ZIP_MAX_FILES = int(os.environ.get("ARCHIVE_ZIP_MAX_FILES", 500))
ARCHIVE_ZIP_MAX_TOTAL_BYTES = int(os.environ.get("ARCHIVE_ZIP_MAX_TOTAL_BYTES", 200 * 1024 * 1024))
# Uploaded files nobody reviewed are forgotten after this many days.
ARCHIVE_PENDING_UPLOAD_DAYS = int(os.environ.get("ARCHIVE_PENDING_UPLOAD_DAYS", 14))

# Rows an export may hold: anonymous readers are capped, staff practically not.
ARCHIVE_EXPORT_ANON_LIMIT = int(os.environ.get("ARCHIVE_EXPORT_ANON_LIMIT", 5000))
ARCHIVE_EXPORT_STAFF_LIMIT = int(os.environ.get("ARCHIVE_EXPORT_STAFF_LIMIT", 1_000_000))

# Searches are remembered per database snapshot (replies/search.py, `search_cache_key`):
# a commit anywhere changes the snapshot, so a cached answer is never stale; this only bounds
# how long an unused one lingers. 0 turns the cache off. Each process keeps its own.
ARCHIVE_SEARCH_CACHE_SECONDS = int(os.environ.get("ARCHIVE_SEARCH_CACHE_SECONDS", 600))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "archive",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("ARCHIVE_CACHE_ENTRIES", 500))},
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
