"""The retention worker: every so often, one proposal round (a destruction list
of the cases the retention period made due). It proposes; it never erases:
review, approval and the run are people's (domain/destruction.py)."""

from __future__ import annotations

import threading

import structlog

from domain.service import CaseService
from domain.values import SYSTEM_ACTOR
from projections.retention import propose_due
from storage.db import Database
from storage.outage import store_unavailable

log = structlog.get_logger(__name__)
# The first round waits this long after the start: the read models catch up first.
FIRST_ROUND_SECONDS = 60.0


class RetentionWorker:
    """Proposes a destruction list every ``every_seconds`` in a thread of its own."""

    def __init__(
        self,
        service: CaseService,
        db: Database,
        *,
        years: int,
        every_seconds: float,
        first_after: float = FIRST_ROUND_SECONDS,
    ) -> None:
        self.service = service
        self.db = db
        self.years = years
        self.every_seconds = every_seconds
        self.first_after = first_after
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="retention", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def run_once(self) -> str | None:
        """One round; the id of the list proposed, None when nothing was due."""
        proposal = propose_due(self.service, self.db, years=self.years, by=SYSTEM_ACTOR)
        made = proposal.destruction_list
        if made is None:
            log.info("retention_nothing_due", candidates=proposal.candidates)
            return None
        log.info(
            "retention_proposed",
            list_id=str(made.id),
            cases=len(made.listed),
            held=len(made.held),
        )
        return str(made.id)

    def _loop(self) -> None:
        wait = self.first_after
        while not self._stop.wait(wait):
            wait = self.every_seconds
            try:
                self.run_once()
            except Exception as error:
                # The next round tries again; an outage is no reason to stop.
                log.warning(
                    "retention_round_failed",
                    error_type=type(error).__name__,
                    outage=store_unavailable(error),
                )
