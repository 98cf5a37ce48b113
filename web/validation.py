"""Reading a page's form as one of the API's request bodies (api/schemas.py):
the body, or the kind of error ("missing", "invalid") of each field that is wrong."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Body = TypeVar("Body", bound=BaseModel)


def parse(
    model: type[Body], data: dict[str, Any]
) -> tuple[Body | None, dict[str, str]]:
    """``data`` validated as ``model``; errors keyed by the form's field name, the
    body's path joined with "_" ("pupil_pc4"), or "form" for the body as a whole.
    The errors never carry the values typed (they may be personal data)."""
    try:
        return model.model_validate(data), {}
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for error in invalid.errors():
            name = "_".join(str(part) for part in error["loc"]) or "form"
            errors.setdefault(
                name, "missing" if error["type"] == "missing" else "invalid"
            )
        return None, errors


def without_blanks(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without its None values (in nested dicts too), so that the schema
    calls a required field left blank missing and an optional one its default."""
    return {
        k: without_blanks(v) if isinstance(v, dict) else v
        for k, v in data.items()
        if v is not None
    }
