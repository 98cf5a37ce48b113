"""Feeds the event log to a projection in batches, exactly once, and reports its lag.

Each batch is one transaction: the projection's rows and its new tracking
position commit together, guarded by the position it started from, so a crash
or a second runner can never apply an event twice or skip one. PostgreSQL
assigns positions under the recorder's table lock, so positions commit in
order and reading ``position > last`` never passes over a later-committing gap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.sealing import KeyScope, LeftSealed, OpenedWhenRead
from domain.service import CaseService
from projections import state
from projections.base import Projection
from projections.state import BUILDING, RETIRED, SERVING
from storage.db import Database, PostgresTx, Tx

DEFAULT_BATCH = 1000


@dataclass(frozen=True)
class Lag:
    name: str
    version: int
    position: int
    head: int
    seconds: float

    @property
    def events(self) -> int:
        return max(0, self.head - self.position)


class PositionMoved(Exception):
    """Another runner advanced this projection first; reload and go on."""


class VersionRetired(Exception):
    """A rebuild replaced the version this runner feeds; follow the new one."""


class ProjectionRunner:
    """Runs one projection version against the application's event log."""

    def __init__(
        self,
        service: CaseService,
        db: Database,
        projection_class: type[Projection],
        *,
        version: int | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        self.service = service
        self.db = db
        self.projection_class = projection_class
        self.batch_size = batch_size
        state.create_state_table(db)
        with db.transaction() as tx:
            if isinstance(tx, PostgresTx):
                # One process at a time sets a read model up (creates its
                # tables, fills new ones): two workers may start at once.
                tx.fetchone(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"dossier:projection:{projection_class.name}",),
                )
            if version is None:
                version = state.serving_version(tx, projection_class.name)
            if version is None:
                version = 1
                state.insert_state(tx, projection_class.name, version, SERVING)
            self.projection = projection_class(version)
            self.projection.keyring = service.keyring
            self.projection.create_tables(tx, db)
            position = state.position_of(tx, projection_class.name, version)
            if position is None:
                state.insert_state(tx, projection_class.name, version, BUILDING)
                position = 0
        self.position: int = position
        # Topics whose personal values are opened: None for all, empty for none.
        self._opened_topics: set[str] | None = set()
        if projection_class.needs_personal_data:
            chosen = projection_class.personal_data_events
            self._opened_topics = {get_topic(t) for t in chosen} if chosen else None
        self._wanted_topics: set[str] | None = None
        if not projection_class.handles_all_events:
            handled = projection_class.handled_types()
            self._wanted_topics = {get_topic(t) for t in handled} | {
                get_topic(s) for t in handled for s in subclasses(t)
            }
        self._caught_up_at = time.monotonic()
        self._progress = threading.Condition()
        self._hurry = threading.Event()

    @property
    def name(self) -> str:
        return self.projection_class.name

    @property
    def version(self) -> int:
        return self.projection.version

    # --- processing -------------------------------------------------------------

    def process_batch(self, *, up_to: int | None = None) -> int:
        """Process the next batch of events; the number processed (0 at the head)."""
        limit = self.batch_size
        notifications = self.service.recorder.select_notifications(
            start=self.position + 1, limit=limit, stop=up_to
        )
        if not notifications:
            self._caught_up_at = time.monotonic()
            return 0
        # One scope for decoding and handling: a key read once per batch.
        with KeyScope():
            events = self._decode(notifications)
            with self.db.transaction() as tx:
                commit_without_waiting_for_the_disk(tx)
                self.apply(tx, notifications, events)
        self._advanced(notifications[-1].id, len(notifications) < limit)
        return len(notifications)

    def apply(
        self, tx: Tx, notifications: Sequence[Notification], events: Sequence[Any]
    ) -> None:
        """Apply decoded events and move the position, in the caller's transaction."""
        found = state.tracked(tx, self.name, self.version)
        if found is not None and found[1] == RETIRED:
            raise VersionRetired(f"{self.name} v{self.version}")
        if found is None or found[0] != self.position:
            self.position = found[0] if found else self.position
            raise PositionMoved(self.name)
        projection = self.projection
        projection.preload(tx, events)
        projection.begin_batch(tx)
        for notification, event in zip(notifications, events, strict=True):
            if event is not None:
                projection.handle(event, notification.id, tx)
        projection.end_batch(tx)
        state.set_position(tx, self.name, self.version, notifications[-1].id)

    def finish_in(self, tx: Tx, head: int) -> None:
        """Bring this runner to ``head`` inside an open transaction (a rebuild's
        switch). A live runner may have moved the position since this one read
        it: ``apply`` then reloads it (and from there on this transaction holds
        the row, so it moves no more)."""
        while self.position < head:
            notifications = self.service.recorder.select_notifications(
                start=self.position + 1, limit=self.batch_size, stop=head
            )
            if not notifications:
                break
            try:
                # One scope for decoding and handling: a key read once per batch.
                with KeyScope():
                    self.apply(tx, notifications, self._decode(notifications))
            except PositionMoved:
                continue
            self.position = notifications[-1].id

    def _decode(self, notifications: Sequence[Notification]) -> list[Any]:
        """Decode the events the projection handles; the others stay undecoded
        (``None``) and only advance the position: decoding is most of the work."""
        mapper = self.service.mapper
        wanted = self._wanted_topics
        opened = self._opened_topics
        chosen = [n for n in notifications if wanted is None or n.topic in wanted]
        keeps = self.projection.keeps_values_sealed
        events: list[Any] = []
        with KeyScope():  # the batch's keys read at once, forgotten after it
            if opened is None or opened:
                self.service.keyring.prefetch(
                    {
                        UUID(str(n.originator_id))
                        for n in chosen
                        if opened is None or n.topic in opened
                    }
                )
            for n in notifications:
                if wanted is not None and n.topic not in wanted:
                    events.append(None)
                    continue
                opening: AbstractContextManager[None] = (
                    (OpenedWhenRead() if keeps else nullcontext())
                    if opened is None or n.topic in opened
                    else LeftSealed()
                )
                with opening:
                    events.append(mapper.to_domain_event(n))
        return events

    def _advanced(self, position: int, at_head: bool) -> None:
        with self._progress:
            self.position = position
            if at_head:
                self._caught_up_at = time.monotonic()
            self._progress.notify_all()

    def catch_up(
        self,
        *,
        up_to: int | None = None,
        on_batch: Callable[[int, int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Process until the head (or ``up_to``); the number of events processed."""
        total = 0
        while stop is None or not stop.is_set():
            try:
                n = self.process_batch(up_to=up_to)
            except PositionMoved:
                continue
            except VersionRetired:
                self.follow_serving_version()
                continue
            total += n
            if on_batch is not None and n:
                on_batch(n, self.position)
            if n == 0 or (up_to is not None and self.position >= up_to):
                break
        return total

    def run(
        self,
        stop: threading.Event,
        wakeup: threading.Event,
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        """Process as events arrive until ``stop`` is set, batches at least the
        projection's ``batch_interval_seconds`` apart. The batch in hand always
        finishes. ``wakeup`` is set by whoever learns of new events (NOTIFY, an
        in-process save); the timeout makes a lost wake-up cost a second, never
        a stall."""
        interval = self.projection_class.batch_interval_seconds
        last_batch = float("-inf")
        while not stop.is_set():
            if interval:
                pause = last_batch + interval - time.monotonic()
                if pause > 0:
                    self._hurry.wait(pause)
                self._hurry.clear()
            began = time.monotonic()
            try:
                n = self.process_batch()
            except PositionMoved:
                continue
            except VersionRetired:
                self.follow_serving_version()
                continue
            if n:
                last_batch = began
            # A short batch reached the head as it was read: wait for the next
            # wake-up instead of asking again (one query per runner per save
            # saved). A save committed meanwhile has set ``wakeup`` already.
            if n < self.batch_size:
                wakeup.wait(timeout=poll_seconds)
                wakeup.clear()

    def follow_serving_version(self) -> None:
        """Switch to the version that serves now (after a rebuild elsewhere)."""
        with self.db.transaction() as tx:
            version = state.serving_version(tx, self.name)
            if version is None or version == self.version:
                return
            position = state.position_of(tx, self.name, version)
        with self._progress:
            self.projection = self.projection_class(version)
            self.projection.keyring = self.service.keyring
            self.position = position or 0
            self._progress.notify_all()

    # --- read-your-writes and lag ---------------------------------------------

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until this runner has processed ``position``; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while self.position < position:
                self._hurry.set()  # no pause between batches while we wait
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._progress.wait(remaining)
        return True

    def lag(self) -> Lag:
        head = self.service.recorder.max_notification_id() or 0
        behind = head > self.position
        return Lag(
            name=self.name,
            version=self.version,
            position=self.position,
            head=head,
            seconds=time.monotonic() - self._caught_up_at if behind else 0.0,
        )


def commit_without_waiting_for_the_disk(tx: Tx) -> None:
    """A batch's commit returns before PostgreSQL has flushed it to disk
    (``synchronous_commit = off`` for this transaction only). It is visible to
    every reader at once; only a crash of PostgreSQL within a fraction of a
    second could lose it, and then it loses the tracking position with the
    rows, so the runner applies those events again: exactly once still. Under
    load a batch otherwise waited behind every command's flush of the WAL."""
    if isinstance(tx, PostgresTx):
        tx.execute("SET LOCAL synchronous_commit = off")


def subclasses(cls: type) -> set[type]:
    """Every subclass, at any depth (a handler for a base class takes them all)."""
    found: set[type] = set()
    children: list[type] = cls.__subclasses__()
    for child in children:
        found.add(child)
        found |= subclasses(child)
    return found
