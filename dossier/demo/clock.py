"""The demo's clock: set by the seeder, so that events get past timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.clock import Clock


class SettableClock(Clock):
    """A clock that reads what the seeder set, so events get past timestamps.

    It refuses a moment later than the real now: demo data must never claim to
    have happened in the future.
    """

    def __init__(self, moment: datetime | None = None) -> None:
        self._moment = datetime.now(tz=UTC) if moment is None else as_utc(moment)

    def now(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        moment = as_utc(moment)
        if moment > datetime.now(tz=UTC):
            raise ValueError(f"{moment.isoformat()} lies in the future")
        self._moment = moment


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment must carry its timezone")
    return moment.astimezone(UTC)
