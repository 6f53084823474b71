# Dapur API: a slim image that runs as a non-root user. Build with `docker build -t dapur .`;
# README.md ("Running in production") and docs/operations.md say how to run it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENVIRONMENT=production \
    DATABASE_URL=sqlite:////data/dapur.db

RUN useradd --system --uid 10001 --no-create-home --home-dir /app dapur \
 && mkdir -p /data \
 && chown dapur:dapur /data

WORKDIR /app

# Dependencies before the code: pinned and hash-checked from the lock (`make lock` refreshes
# it), wheels only. An edit to the code reuses this layer instead of reinstalling them all.
COPY requirements.lock ./
RUN pip install --require-hashes --only-binary=:all: --no-deps -r requirements.lock

# The code runs from /app (`python -m app`, `alembic`, `uvicorn app.main:app`), owned by root:
# the service's user can read it, not change it.
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
RUN python -m compileall -q app migrations

USER dapur
# The SQLite default (DATABASE_URL above) lives here; give it a volume so the data outlives the
# container, or set DATABASE_URL to PostgreSQL.
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
# Migrate, then serve. Replicas that start together on PostgreSQL take turns on the migration
# lock (migrations/env.py); the later ones find nothing to do. Set SECRET_KEY (required in
# production), DATABASE_URL, and FORWARDED_ALLOW_IPS behind a proxy.
CMD ["sh", "-c", "alembic upgrade head && exec uvicorn app.main:app --host 0.0.0.0 --port 8000 --proxy-headers --workers ${WEB_CONCURRENCY:-2}"]
