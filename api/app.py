"""The FastAPI application: routers, problem details, logging and metrics."""

from __future__ import annotations

from fastapi import FastAPI

from api import docs, observability, openapi, problems
from api.container import Container
from api.limits import BodyLimit
from api.reads import prepare_access_log
from api.routers import (
    audit,
    case_commands,
    cases,
    consultants,
    dashboard,
    destruction_lists,
    health,
    privacy,
)
from api.security import SecurityHeaders

DESCRIPTION = """\
Dossier's HTTP API for the onderwijs(zorg)consulenten's case management.

Authenticate with `Authorization: Bearer <token>` (`dossier users add NAME --role
ROLE` prints one). Errors are `application/problem+json` (RFC 9457). Commands
answer with the case, its `ETag` and the log position reached (`X-Log-Position`);
send `If-Match` to refuse a stale write (412) and `Idempotency-Key` to retry
safely. Read-model queries take `min_position` to read their own writes.
"""


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="Dossier",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # served by api.docs from the package
        redoc_url=None,
    )
    app.state.container = container
    metrics = observability.Metrics(container)
    app.state.metrics = metrics
    prepare_access_log(container)
    problems.install(app)
    # Innermost of ours, next to the router that reads the body.
    app.add_middleware(
        BodyLimit,
        max_bytes=container.max_body_bytes,
        body_seconds=container.body_timeout_seconds,
    )
    observability.install(app, metrics)
    # Added last, so outermost: it sees every error the others let through,
    # and every answer (its own problems too) gets the security headers.
    app.add_middleware(problems.LastResort, outage_seen=container.outage_seen)
    app.add_middleware(SecurityHeaders)
    for module in (
        cases,
        case_commands,
        consultants,
        dashboard,
        audit,
        destruction_lists,
        privacy,
        health,
    ):
        app.include_router(module.router)
    docs.install(app)
    openapi.document(app)
    return app
