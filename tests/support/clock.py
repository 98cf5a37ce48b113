"""A clock the tests set and move: the one outside thing we fake."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from domain.clock import Clock


class FakeClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            # Every reading moves on a microsecond, so events are strictly ordered.
            self._now += timedelta(microseconds=1)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now
