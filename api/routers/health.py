"""Liveness, readiness and metrics for operators."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ContainerDep
from api.read_models import read_model_states
from projections.state import SERVING

router = APIRouter(tags=["operations"])
STALL_SECONDS = 60.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(*, container: ContainerDep) -> JSONResponse:
    """The store answers and no projection is stalled."""
    checks: dict[str, Any] = {}
    ready = True
    try:
        _, every = read_model_states(container)
        states = [s for s in every if s.status == SERVING]
        checks["store"] = "ok"
    except Exception as error:
        return JSONResponse(
            {"status": "unavailable", "checks": {"store": type(error).__name__}},
            status_code=503,
        )
    now = time.monotonic()
    for state in states:
        name, position, behind = state.name, state.position, state.lag_events
        # Stalled: behind, and no progress seen for a while (by this process).
        seen_position, since = container.progress.get(name, (-1, now))
        if position != seen_position:
            container.progress[name] = (position, now)
            since = now
        stalled = behind > 0 and now - since > STALL_SECONDS
        checks[f"projection:{name}"] = {
            "position": position,
            "lag_events": behind,
            "lag_seconds": round(state.lag_seconds, 3),
            "stalled": stalled,
        }
        ready = ready and not stalled
    return JSONResponse(
        {"status": "ready" if ready else "stalled", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format."""
    started = time.perf_counter()
    body = generate_latest(request.app.state.metrics.registry)
    response = Response(body, media_type=CONTENT_TYPE_LATEST)
    response.headers["X-Scrape-Seconds"] = f"{time.perf_counter() - started:.4f}"
    return response
