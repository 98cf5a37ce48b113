# syntax=docker/dockerfile:1
# Dossier's service image: the locked dependencies (hash-checked), then the project itself.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DOSSIER_LOG_FORMAT=json

RUN python -m venv /opt/venv

# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock

# The project, without dependencies: everything it needs came from the lock above.
COPY pyproject.toml README.md /src/
COPY domain/ /src/domain/
COPY projections/ /src/projections/
COPY api/ /src/api/
COPY workers/ /src/workers/
COPY dossier/ /src/dossier/
RUN pip install --no-deps /src && rm -rf /src

# A fixed numeric uid, so an orchestrator can check runAsNonRoot; var/ is where the
# embedded SQLite default would live, so it must be writable by that user; /keys
# holds the key-encryption keys (a volume of its own in compose.yaml).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home dossier \
    && mkdir -p /app/var /keys \
    && chown -R dossier:dossier /app /keys
WORKDIR /app
USER 10001:10001

EXPOSE 8000
CMD ["dossier", "serve"]
