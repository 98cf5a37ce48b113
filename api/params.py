"""Query parameters every router checks the same way."""

from __future__ import annotations

from datetime import UTC, datetime

from api.problems import Problem

# Log positions and versions are 64-bit integers in both stores.
MAX_POSITION = 2**62
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


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
