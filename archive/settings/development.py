"""Local development: DEBUG on, embedded PostgreSQL unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import env_list

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"  # noqa: F405
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

# Serve static files straight from the finders; no collectstatic needed while developing.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
