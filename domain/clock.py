"""The clock the domain reads the time from; tests and the demo give their own."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    """The real clock: timezone-aware UTC now."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)
