"""Errors as RFC 9457 problem details: one mapping from domain errors to HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    ConsultantError,
    ConsultantNotFound,
    DestructionError,
    DestructionListNotFound,
    DossierError,
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
    VersionMismatch,
)
from storage.outage import store_unavailable

PROBLEM_BASE = "https://dossier.onderwijsconsulenten.nl/problems/"
MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger(__name__)


class Problem(Exception):
    """An HTTP-level refusal (auth, idempotency, waiting) raised by the API itself."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=headers, media_type=MEDIA_TYPE
    )


# domain error class -> (status, title); the problem type is the error's rule.
DOMAIN_STATUS: list[tuple[type[DossierError], int, str]] = [
    (CaseNotFound, 404, "Case not found"),
    (ConsultantNotFound, 404, "Consultant not found"),
    (DestructionListNotFound, 404, "Destruction list not found"),
    (NotPermitted, 403, "Not permitted"),
    (VersionMismatch, 412, "Precondition failed"),
    (ConcurrentUpdate, 409, "Concurrent update"),
    (InvalidCaseData, 422, "Invalid data"),
    (IllegalTransition, 409, "Not allowed in this state"),
    (ConsultantError, 422, "Invalid consultant data"),
    (DestructionError, 409, "Not allowed for this list"),
]


def domain_problem(error: DossierError) -> JSONResponse:
    for cls, status, title in DOMAIN_STATUS:
        if isinstance(error, cls):
            errors = None
            if isinstance(error, InvalidCaseData):
                errors = [{"field": error.field, "message": error.reason}]
            return problem_response(
                status, error.rule, title, error.detail, errors=errors
            )
    return problem_response(409, error.rule, "Refused", error.detail)


def install(app: FastAPI) -> None:
    @app.exception_handler(DossierError)
    async def _domain(_: Request, error: DossierError) -> JSONResponse:
        return domain_problem(error)

    @app.exception_handler(Problem)
    async def _problem(_: Request, error: Problem) -> JSONResponse:
        return problem_response(
            error.status,
            error.kind,
            error.title,
            error.detail,
            headers=error.headers,
            errors=error.errors,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e.get("msg", "invalid"),
                "type": e.get("type"),
            }
            for e in error.errors()
        ]
        return problem_response(
            422,
            "invalid-request",
            "Invalid request",
            f"{len(errors)} field(s) invalid",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            # FastAPI's own "error parsing the body" (e.g. not UTF-8): a body
            # the contract cannot read is an invalid request, as for bad JSON.
            return problem_response(
                422,
                "invalid-request",
                "Invalid request",
                "the body could not be read as JSON",
                errors=[{"field": "body", "message": str(error.detail)}],
            )
        kind = {
            404: "not-found",
            405: "method-not-allowed",
            408: "body-too-slow",
            413: "body-too-large",
        }.get(error.status_code, "http-error")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names the methods of the first route that matched the
            # path; the client needs every method the path takes.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem_response(
            error.status_code,
            kind,
            str(error.detail) if error.status_code != 404 else "Not found",
            str(error.detail),
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Only reached by an error raised outside LastResort (see below).
        # Never echo the error: it may hold personal data. The log has the type.
        log.error(
            "unhandled_error",
            error_type=type(error).__name__,
            path=request.url.path,
        )
        return problem_response(
            500, "internal-error", "Internal error", "something went wrong on our side"
        )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (asked of the
    router itself, so included routers count too)."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in routes
        )
    ]


def unavailable_response() -> JSONResponse:
    return problem_response(
        503,
        "store-unavailable",
        "Service unavailable",
        "the database cannot be reached just now; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


RETRY_AFTER_SECONDS = 2


class LastResort:
    """The outermost of our middlewares: an error that no handler answered
    becomes a problem here, so it is never re-raised to the server (which would
    log a traceback that may hold client input, and close a keep-alive
    connection). A database outage answers 503 with Retry-After, anything else
    500; the log has the error's type only."""

    def __init__(self, app: ASGIApp, *, outage_seen: Callable[[], None]) -> None:
        self.app = app
        self.outage_seen = outage_seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise  # half an answer went out: only closing can end it
            status = 500
            if store_unavailable(error):
                status = 503
                self.outage_seen()
                log.warning("store_unavailable", error_type=type(error).__name__)
                response: Response = unavailable_response()
            else:
                log.error(
                    "unhandled_error",
                    error_type=type(error).__name__,
                    path=scope.get("path"),
                )
                response = problem_response(
                    500,
                    "internal-error",
                    "Internal error",
                    "something went wrong on our side",
                )
            response = self._page_instead(scope, status) or response
            await response(scope, receive, send)

    @staticmethod
    def _page_instead(scope: Scope, status: int) -> Response | None:
        """The web pages' error page where the path is a page's (the pages
        put ``error_page`` in the app's state); None for the API."""
        app = scope.get("app")
        error_page = getattr(getattr(app, "state", None), "error_page", None)
        if error_page is None:
            return None
        try:
            page: Response | None = error_page(StarletteRequest(scope), status)
        except Exception as error:  # an error page must not fail the answer
            log.error("error_page_failed", error_type=type(error).__name__)
            return None
        return page
