"""Errors as RFC 9457 problem details: one mapping from domain errors to HTTP."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    ConsultantError,
    ConsultantNotFound,
    DossierError,
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
    VersionMismatch,
)

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
    (NotPermitted, 403, "Not permitted"),
    (VersionMismatch, 412, "Precondition failed"),
    (ConcurrentUpdate, 409, "Concurrent update"),
    (InvalidCaseData, 422, "Invalid data"),
    (IllegalTransition, 409, "Not allowed in this state"),
    (ConsultantError, 422, "Invalid consultant data"),
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
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
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
        kind = {404: "not-found", 405: "method-not-allowed"}.get(
            error.status_code, "http-error"
        )
        return problem_response(
            error.status_code,
            kind,
            str(error.detail) if error.status_code != 404 else "Not found",
            str(error.detail),
            headers=dict(error.headers or {}),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Never echo the error: it may hold personal data. The log has the type.
        log.error(
            "unhandled_error",
            error_type=type(error).__name__,
            path=request.url.path,
        )
        return problem_response(
            500, "internal-error", "Internal error", "something went wrong on our side"
        )
