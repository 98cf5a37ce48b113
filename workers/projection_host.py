"""Runs projection runners in threads, woken by saves, NOTIFY, or a periodic tick.

Used by the `dossier worker` process and, on the embedded SQLite store, inside
the service process itself. A lost wake-up costs at most ``poll_seconds``:
every runner also polls, so no projection ever stalls waiting for a NOTIFY.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import psycopg
import structlog
from psycopg.sql import SQL, Identifier

from domain.service import CaseService
from projections.base import Projection
from projections.deadlines import DeadlinesProjection
from projections.runner import Lag, ProjectionRunner
from storage.db import Database
from storage.outage import store_unavailable

log = structlog.get_logger(__name__)


class ProjectionHost:
    def __init__(
        self,
        service: CaseService,
        db: Database,
        classes: Sequence[type[Projection]],
        *,
        poll_seconds: float = 1.0,
        listen_url: str | None = None,
        channel: str = "dossier_events",
        refresh_seconds: float = 300.0,
    ) -> None:
        self.service = service
        self.db = db
        self.poll_seconds = poll_seconds
        self.listen_url = listen_url
        self.channel = channel
        self.refresh_seconds = refresh_seconds
        self.runners = {cls.name: ProjectionRunner(service, db, cls) for cls in classes}
        self._stop = threading.Event()
        self._wakeups = {name: threading.Event() for name in self.runners}
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.service.add_listener(lambda _position: self.wake())
        for name, runner in self.runners.items():
            thread = threading.Thread(
                target=self._run,
                args=(runner, self._wakeups[name]),
                name=f"projection-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        if "deadlines" in self.runners:
            watcher = threading.Thread(
                target=self._watch_deadlines, name="deadline-watcher", daemon=True
            )
            watcher.start()
            self._threads.append(watcher)
        if self.listen_url is not None:
            listener = threading.Thread(
                target=self._listen, name="projection-listen", daemon=True
            )
            listener.start()
            self._threads.append(listener)

    def _run(self, runner: ProjectionRunner, wakeup: threading.Event) -> None:
        while not self._stop.is_set():
            try:
                runner.run(self._stop, wakeup, poll_seconds=self.poll_seconds)
            except Exception as error:
                # A failing batch rolls back; log it and try again shortly (an
                # outage is expected to pass: no traceback for it).
                if store_unavailable(error):
                    log.warning(
                        "projection_waiting_for_store",
                        projection=runner.name,
                        error_type=type(error).__name__,
                    )
                else:
                    log.exception("projection_failed", projection=runner.name)
                self._stop.wait(self.poll_seconds)

    def _listen(self) -> None:
        """LISTEN for the event store's NOTIFY; reconnect after a lost connection."""
        assert self.listen_url is not None
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.listen_url, autocommit=True) as conn:
                    conn.execute(SQL("LISTEN {}").format(Identifier(self.channel)))
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=self.poll_seconds, stop_after=1):
                            self.wake()
            except psycopg.Error:
                log.warning("projection_listen_lost", retry_in=self.poll_seconds)
                self._stop.wait(self.poll_seconds)

    def _watch_deadlines(self) -> None:
        """As days pass, running clocks become at risk and then missed without any
        new event: refresh their states now and then (on the serving version)."""
        runner = self.runners["deadlines"]
        while not self._stop.is_set():
            try:
                projection = runner.projection
                if isinstance(projection, DeadlinesProjection):
                    with self.db.transaction() as tx:
                        changed = projection.refresh(tx, projection.rules.today())
                    if changed:
                        log.info("deadlines_refreshed", changed=changed)
            except Exception:
                log.exception("deadline_refresh_failed")
            self._stop.wait(self.refresh_seconds)

    def wake(self) -> None:
        for wakeup in self._wakeups.values():
            wakeup.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Finish the batches in hand, then return."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)

    def wait_for(
        self, position: int, timeout: float, names: Sequence[str] | None = None
    ) -> bool:
        """Block until the named runners (all by default) processed ``position``."""
        deadline = time.monotonic() + timeout
        for name in names or list(self.runners):
            remaining = max(0.0, deadline - time.monotonic())
            if not self.runners[name].wait_for(position, remaining):
                return False
        return True

    def lags(self) -> list[Lag]:
        return [runner.lag() for runner in self.runners.values()]
