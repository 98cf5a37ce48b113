"""The key-encryption keys' schedule: rotate when due, destroy expired epochs."""

from __future__ import annotations

import threading
from datetime import timedelta

import structlog

from domain.clock import Clock
from storage.keyrings import Rotation, StoreKeyRing

log = structlog.get_logger(__name__)
CHECK_SECONDS = 3600.0


class KeyMaintenance:
    """Every hour: a new KEK epoch when the current one is older than
    ``rotate_every`` (every surviving case key wrapped under it), and the
    destruction of epochs retired longer ago than ``backup_window``. Several
    processes may run it: the KEK file and the key table serialise them."""

    def __init__(
        self,
        keyring: StoreKeyRing,
        clock: Clock,
        *,
        rotate_every: timedelta,
        backup_window: timedelta,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.keyring = keyring
        self.clock = clock
        self.rotate_every = rotate_every
        self.backup_window = backup_window
        self.check_seconds = check_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        try:
            done = self.keyring.maintain(
                self.clock.now(), self.rotate_every, self.backup_window
            )
        except Exception as error:  # the store or the key file away: next time
            log.warning("key_maintenance_failed", error_type=type(error).__name__)
            return
        if isinstance(done, Rotation):
            log.info(
                "kek_rotated",
                epoch=done.epoch,
                rewrapped=done.rewrapped,
                destroyed=done.destroyed,
            )
        elif done:
            log.info("kek_epochs_destroyed", destroyed=done)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="key-maintenance", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while True:
            self.run_once()
            if self._stop.wait(self.check_seconds):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
