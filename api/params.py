"""Query parameters every router checks the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header
from pydantic import BeforeValidator

from api.problems import Problem

# Log positions and versions are 64-bit integers in both stores.
MAX_POSITION = 2**62
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339(value: Any) -> datetime:
    """Only an RFC 3339 text with an offset: never a number read as epoch
    seconds, as pydantic's lax mode would."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 time with an offset")
    return datetime.fromisoformat(value.replace("z", "Z"))


# A moment in a query: RFC 3339 with an offset, as api.md says.
Moment = Annotated[datetime, BeforeValidator(_rfc3339)]


def moment(name: str, value: datetime | None) -> datetime | None:
    """An RFC 3339 time with an offset, within a plausible range, or 422."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            f"{name} needs a UTC offset (RFC 3339)",
            errors=[{"field": name, "message": "needs a UTC offset"}],
        )
    if not EARLIEST <= value <= LATEST:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            f"{name} must lie between 1900 and 2200",
            errors=[{"field": name, "message": "out of range"}],
        )
    return value


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The ETag ("<version>") of the case or consultant as read.',
    ),
]


ETAG = re.compile(r"[0-9]{1,18}")


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    # ASCII digits only (str.isdigit also takes "²"), and few enough for a
    # version: int() of a long digit string is Python's edge, not ours.
    if not ETAG.fullmatch(tag):
        raise Problem(
            412,
            "version-mismatch",
            "Precondition failed",
            'If-Match must be an ETag such as "3"',
        )
    return int(tag)
