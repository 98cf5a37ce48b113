"""Per-request logging and metrics: request id, trace context (W3C traceparent,
api.tracing), actor, route, status, duration.

No personal data is logged: routes are logged as templates
(``/api/v1/cases/{case_id}``), never with query strings or bodies.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import structlog
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    app.add_middleware(Observe, metrics=metrics)


class Observe:
    """Request id, trace context, metrics and the request's log line.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's
    BaseHTTPMiddleware runs every request through a task group and memory
    streams of its own, a measurable part of the server's CPU per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in unquote(scope.get("query_string", b"").decode("latin-1")):
            # No store keeps a NUL in text: refuse it before it reaches one.
            refused = problem_response(
                422,
                "invalid-request",
                "Invalid request",
                "a query parameter contains a NUL character",
            )
            await refused(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.match(given) else str(uuid.uuid4())
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        container: Container = scope["app"].state.container
        trace = trace_for(headers.get("traceparent"), container.service.clock.now())
        state["trace"] = trace
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, trace_id=trace.trace_id, span_id=trace.span_id
        )
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = MutableHeaders(scope=message)
                answered["X-Request-ID"] = request_id
                answered["traceparent"] = trace.traceparent()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            # Answered outside, by api.problems.LastResort: log what it answers.
            status = 503 if store_unavailable(error) else 500
            raise
        finally:
            self._observed(scope, status, time.perf_counter() - started)

    def _observed(self, scope: Scope, status: int, elapsed: float) -> None:
        method = scope["method"]
        route = _route(scope)
        self.metrics.latency.labels(method, route, str(status)).observe(elapsed)
        if method == "POST" and route.startswith("/api/v1/cases"):
            self.metrics.commands.labels(_command(route), str(status)).inc()
        user = scope.get("state", {}).get("user")
        log.info(
            "request",
            method=method,
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
            actor=getattr(user, "actor_id", None),
            role=str(user.role) if user is not None else None,
        )


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def _command(route: str) -> str:
    tail = route.rstrip("/").rsplit("/", 1)[-1]
    return "register" if tail == "cases" else tail
