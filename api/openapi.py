"""The OpenAPI document told truthfully: bearer auth, problem details for every
error a route can answer, and the headers commands send back."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import MEDIA_TYPE
from api.schemas import Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    "401": "No token, or an unknown or revoked one",
    "403": "The role may not do this, or the case is not the consultant's",
    "404": "Unknown case or consultant (or not yet there at as_of)",
    "409": "Not allowed in the case's state, or a concurrent update",
    "412": "If-Match does not match the case's (or consultant's) version",
    "422": "Invalid body, parameter or header (each field listed)",
    "503": "The read model did not reach min_position in time",
}
HEADERS = {
    "ETag": {"description": 'The case\'s version, "<n>"', "schema": {"type": "string"}},
    "X-Log-Position": {
        "description": "The event log position the command reached",
        "schema": {"type": "integer"},
    },
    "Location": {"description": "Where the new case is", "schema": {"type": "string"}},
}


def problem(code: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[code],
        "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }


def document(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
        components["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer"}
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                amend(path, method, operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            components["schemas"].pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def amend(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if not path.startswith("/api/"):
        return
    operation["security"] = [{"bearerAuth": []}]
    codes = ["401", "403", "422"]
    if "{" in path:
        codes.append("404")
    names = {p.get("name") for p in operation.get("parameters", [])}
    if "min_position" in names:
        codes.append("503")
    if method == "post" and path.startswith("/api/v1/cases"):
        codes += ["409", "412"]
    if method == "patch":
        codes += ["409", "412"]
    for code in codes:
        responses[code] = problem(code)
    for code, response in responses.items():
        if (
            code.startswith("2")
            and method in ("post", "patch", "get")
            and ("/cases" in path or "/consultants/" in path)
        ):
            headers = response.setdefault("headers", {})
            if "{" in path or method == "post":
                headers["ETag"] = HEADERS["ETag"]
            if method == "post" and path.startswith("/api/v1/cases"):
                headers["X-Log-Position"] = HEADERS["X-Log-Position"]
            if method == "post" and code == "201":
                headers["Location"] = HEADERS["Location"]
