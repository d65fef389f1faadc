# Production image: gunicorn behind whatever terminates TLS; PostgreSQL comes from DATABASE_URL.
# Not built in CI (the CI machine has no Docker engine); kept conventional on purpose.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=archive.settings.production

WORKDIR /app
RUN useradd --create-home --uid 10001 archive

COPY pyproject.toml README.md ./
COPY archive ./archive
COPY replies ./replies
RUN pip install .

COPY . .
# collectstatic needs settings but no database or real secret.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgresql://unused/unused \
    python manage.py collectstatic --noinput

USER archive
EXPOSE 8000
CMD ["gunicorn", "archive.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
