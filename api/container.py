"""What the HTTP layer is handed by its composition root: the parts it talks to."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.service import CaseService
from projections.state import serving_positions
from storage.db import Database
from storage.users import UserStore


class Projections(Protocol):
    """In-process projection runners, when this process runs them."""

    def wait_for(
        self, position: int, timeout: float, names: Sequence[str] | None = None
    ) -> bool: ...


@dataclass
class Container:
    service: CaseService
    db: Database
    users: UserStore
    projections: Projections | None = None
    max_body_bytes: int = 1_000_000
    body_timeout_seconds: float = 30.0
    # Cases ended longer ago are proposed for destruction (DOSSIER_RETENTION_YEARS).
    retention_years: int = 2
    # The organisation named in access overviews and subject exports.
    organisation: str = "Onderwijsconsulenten"
    # Told when a request met a database outage (to heal the pools at once).
    outage_seen: Callable[[], None] = lambda: None
    started_at: float = field(default_factory=time.monotonic)
    # Readiness: the last position seen per projection, and since when.
    progress: dict[str, tuple[int, float]] = field(default_factory=dict)

    def wait_for(self, position: int, timeout: float, names: Sequence[str]) -> bool:
        """Read-your-writes: wait until the named read models processed
        ``position``. In-process runners signal at once; otherwise the tracking
        rows are polled every few milliseconds."""
        if self.projections is not None:
            return self.projections.wait_for(position, timeout, names)
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            if self._tracked_at_least(position, names):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _tracked_at_least(self, position: int, names: Sequence[str]) -> bool:
        with self.db.reading() as tx:
            positions = serving_positions(tx, names)
        return all(positions.get(n, -1) >= position for n in names)
