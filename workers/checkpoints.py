"""The hash chain's schedule: sign the head of the log at regular intervals."""

from __future__ import annotations

import threading

import structlog

from domain.clock import Clock
from storage.chain import ChainedLog
from storage.checkpoints import SigningKey
from storage.verification import make_checkpoint

log = structlog.get_logger(__name__)


class CheckpointWorker:
    """Every ``every_seconds``: a signed checkpoint of the head, when the log
    moved since the last one. Several processes may run it: a checkpoint at a
    position that has one already is not kept twice."""

    def __init__(
        self,
        events: ChainedLog,
        key: SigningKey,
        clock: Clock,
        *,
        every_seconds: float,
    ) -> None:
        self.events = events
        self.key = key
        self.clock = clock
        self.every_seconds = every_seconds
        self._last: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        try:
            head = self.events.chain_head()
            if head is None or head[1] is None or head[0] == self._last:
                return  # empty, not chained yet (backfill), or unmoved
            made = make_checkpoint(self.events, self.key, self.clock.now())
        except Exception as error:  # the store or the key file away: next time
            log.warning("checkpoint_failed", error_type=type(error).__name__)
            return
        self._last = made.position
        log.info("chain_checkpoint", position=made.position, key_id=made.key_id)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="chain-checkpoints", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_seconds):
            self.run_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
