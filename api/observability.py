"""Per-request logging and metrics: request id, trace context (W3C traceparent,
api.tracing), actor, route, status, duration.

No personal data is logged: routes are logged as templates
(``/api/v1/cases/{case_id}``), never with query strings or bodies.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import unquote

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.container import Container
from api.problems import problem_response
from api.tracing import trace_for
from projections.state import positions
from storage.outage import store_unavailable

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("dossier.http")


class Metrics:
    def __init__(self, container: Container) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "dossier_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.commands = Counter(
            "dossier_commands_total",
            "Commands given over HTTP, by type and outcome status",
            ["command", "status"],
            registry=self.registry,
        )
        self.uptime = Gauge(
            "dossier_uptime_seconds", "Seconds since start", registry=self.registry
        )
        self.uptime.set_function(lambda: time.monotonic() - container.started_at)
        self.registry.register(ProjectionLag(container))


class ProjectionLag(Collector):
    """Projection positions and lag, read at scrape time from the tracking rows."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[GaugeMetricFamily]:
        head = self.container.service.recorder.max_notification_id() or 0
        position = GaugeMetricFamily(
            "dossier_projection_position",
            "Log position processed by each serving projection",
            labels=["projection"],
        )
        lag = GaugeMetricFamily(
            "dossier_projection_lag_events",
            "Events not yet processed by each serving projection",
            labels=["projection"],
        )
        for name, _version, at, status in positions(self.container.db):
            if status == "serving":
                position.add_metric([name], at)
                lag.add_metric([name], max(0, head - at))
        head_metric = GaugeMetricFamily(
            "dossier_log_head", "The event log's last position", value=head
        )
        yield from (position, lag, head_metric)


def install(app: FastAPI, metrics: Metrics) -> None:
    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if "\x00" in unquote(request.url.query):
            # No store keeps a NUL in text: refuse it before it reaches one.
            return problem_response(
                422,
                "invalid-request",
                "Invalid request",
                "a query parameter contains a NUL character",
            )
        given = request.headers.get("X-Request-ID", "")
        request_id = given if REQUEST_ID.match(given) else str(uuid.uuid4())
        request.state.request_id = request_id
        container: Container = request.app.state.container
        trace = trace_for(
            request.headers.get("traceparent"), container.service.clock.now()
        )
        request.state.trace = trace
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, trace_id=trace.trace_id, span_id=trace.span_id
        )
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
        except Exception as error:
            # Answered outside, by api.problems.LastResort: log what it answers.
            if store_unavailable(error):
                status = 503
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = _route(request)
            metrics.latency.labels(request.method, route, str(status)).observe(elapsed)
            if request.method == "POST" and route.startswith("/api/v1/cases"):
                metrics.commands.labels(_command(route), str(status)).inc()
            user = getattr(request.state, "user", None)
            log.info(
                "request",
                method=request.method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                actor=getattr(user, "actor_id", None),
                role=str(user.role) if user is not None else None,
            )
        response.headers["X-Request-ID"] = request_id
        response.headers["traceparent"] = trace.traceparent()
        return response


def _route(request: Request) -> str:
    route: Any = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def _command(route: str) -> str:
    tail = route.rstrip("/").rsplit("/", 1)[-1]
    return "register" if tail == "cases" else tail
