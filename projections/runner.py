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

from domain.sealing import LeftSealed
from domain.service import CaseService
from projections.base import (
    BUILDING,
    RETIRED,
    SERVING,
    STATE_TABLE,
    Projection,
    checksum,
    create_state_table,
)
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
        create_state_table(db)
        with db.transaction() as tx:
            if isinstance(tx, PostgresTx):
                # One process at a time sets a read model up (creates its
                # tables, fills new ones): two workers may start at once.
                tx.fetchone(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"dossier:projection:{projection_class.name}",),
                )
            if version is None:
                version = serving_version(tx, projection_class.name)
            if version is None:
                version = 1
                insert_state(tx, projection_class.name, version, SERVING)
            self.projection = projection_class(version)
            self.projection.create_tables(tx, db)
            row = tx.fetchone(
                "SELECT position FROM {t} WHERE name = %s AND version = %s",
                (projection_class.name, version),
                t=STATE_TABLE,
            )
            if row is None:
                insert_state(tx, projection_class.name, version, BUILDING)
                row = (0,)
        self.position: int = int(row[0])
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
        events = self._decode(notifications)
        with self.db.transaction() as tx:
            self.apply(tx, notifications, events)
        self._advanced(notifications[-1].id, len(notifications) < limit)
        return len(notifications)

    def apply(
        self, tx: Tx, notifications: Sequence[Notification], events: Sequence[Any]
    ) -> None:
        """Apply decoded events and move the position, in the caller's transaction."""
        row = tx.fetchone(
            "SELECT position, status FROM {t} WHERE name = %s AND version = %s"
            + (" FOR UPDATE" if self.db.dialect == "postgres" else ""),
            (self.name, self.version),
            t=STATE_TABLE,
        )
        if row is not None and row[1] == RETIRED:
            raise VersionRetired(f"{self.name} v{self.version}")
        if row is None or int(row[0]) != self.position:
            self.position = int(row[0]) if row else self.position
            raise PositionMoved(self.name)
        projection = self.projection
        projection.preload(tx, events)
        projection.begin_batch(tx)
        for notification, event in zip(notifications, events, strict=True):
            if event is not None:
                projection.handle(event, notification.id, tx)
        projection.end_batch(tx)
        tx.execute(
            "UPDATE {t} SET position = %s WHERE name = %s AND version = %s",
            (notifications[-1].id, self.name, self.version),
            t=STATE_TABLE,
        )

    def _decode(self, notifications: Sequence[Notification]) -> list[Any]:
        """Decode the events the projection handles; the others stay undecoded
        (``None``) and only advance the position: decoding is most of the work."""
        mapper = self.service.mapper
        wanted = self._wanted_topics
        opened = self._opened_topics
        chosen = [n for n in notifications if wanted is None or n.topic in wanted]
        if opened is None or opened:
            self.service.keyring.prefetch(
                {
                    UUID(str(n.originator_id))
                    for n in chosen
                    if opened is None or n.topic in opened
                }
            )
        events: list[Any] = []
        for n in notifications:
            if wanted is not None and n.topic not in wanted:
                events.append(None)
                continue
            opening: AbstractContextManager[None] = (
                nullcontext() if opened is None or n.topic in opened else LeftSealed()
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
        """Process as events arrive until ``stop`` is set. The batch in hand always
        finishes. ``wakeup`` is set by whoever learns of new events (NOTIFY, an
        in-process save); the timeout makes a lost wake-up cost a second, never
        a stall."""
        while not stop.is_set():
            try:
                n = self.process_batch()
            except PositionMoved:
                continue
            except VersionRetired:
                self.follow_serving_version()
                continue
            if n == 0:
                wakeup.wait(timeout=poll_seconds)
                wakeup.clear()

    def follow_serving_version(self) -> None:
        """Switch to the version that serves now (after a rebuild elsewhere)."""
        with self.db.transaction() as tx:
            version = serving_version(tx, self.name)
            if version is None or version == self.version:
                return
            row = tx.fetchone(
                "SELECT position FROM {t} WHERE name = %s AND version = %s",
                (self.name, version),
                t=STATE_TABLE,
            )
        with self._progress:
            self.projection = self.projection_class(version)
            self.position = int(row[0]) if row else 0
            self._progress.notify_all()

    # --- read-your-writes and lag ---------------------------------------------

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until this runner has processed ``position``; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while self.position < position:
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


# --- versions -------------------------------------------------------------------------


def insert_state(tx: Tx, name: str, version: int, status: str) -> None:
    tx.execute(
        "INSERT INTO {t} (name, version, position, status) VALUES (%s, %s, 0, %s)",
        (name, version, status),
        t=STATE_TABLE,
    )


def serving_version(tx: Tx, name: str) -> int | None:
    row = tx.fetchone(
        "SELECT version FROM {t} WHERE name = %s AND status = %s",
        (name, SERVING),
        t=STATE_TABLE,
    )
    return int(row[0]) if row else None


def positions(db: Database) -> list[tuple[str, int, int, str]]:
    """(name, version, position, status) of every projection version."""
    create_state_table(db)
    with db.reading() as tx:
        rows = tx.fetchall(
            "SELECT name, version, position, status FROM {t} ORDER BY name, version",
            t=STATE_TABLE,
        )
    return [(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]


@dataclass(frozen=True)
class RebuildReport:
    name: str
    old_version: int | None
    new_version: int
    position: int
    rows: int
    checksum: str
    compared_with_old: bool
    seconds: float


class RebuildMismatch(Exception):
    """The rebuilt version disagrees with the serving one; nothing was switched."""


def rebuild(
    service: CaseService,
    db: Database,
    projection_class: type[Projection],
    *,
    batch_size: int = 5000,
    on_batch: Callable[[int, int], None] | None = None,
    compare: bool = True,
) -> RebuildReport:
    """Build a new version beside the serving one, verify it, switch atomically.

    Readers keep reading the serving version throughout. Verification brings
    both versions to the same log position inside the switching transaction and
    compares a checksum over every row (``compare=False`` when the projection's
    logic changed on purpose and the old version is known to differ).
    """
    started = time.monotonic()
    name = projection_class.name
    create_state_table(db)
    with db.transaction() as tx:
        old = serving_version(tx, name)
        latest = tx.fetchone(
            "SELECT MAX(version) FROM {t} WHERE name = %s", (name,), t=STATE_TABLE
        )
        new = int(latest[0]) + 1 if latest and latest[0] is not None else 1
        insert_state(tx, name, new, BUILDING if old is not None else SERVING)
    builder = ProjectionRunner(
        service, db, projection_class, version=new, batch_size=batch_size
    )
    try:
        builder.catch_up(on_batch=on_batch)
        if old is None:
            return _report(builder, None, db, False, started)
        serving = ProjectionRunner(service, db, projection_class, version=old)
        _switch(service, db, builder, serving, compare)
    except BaseException:
        # Nothing switched: drop the version that was built.
        with db.transaction() as tx:
            builder.projection.drop_tables(tx)
            tx.execute(
                "DELETE FROM {t} WHERE name = %s AND version = %s",
                (name, new),
                t=STATE_TABLE,
            )
        raise
    return _report(builder, old, db, compare, started)


def _switch(
    service: CaseService,
    db: Database,
    builder: ProjectionRunner,
    serving: ProjectionRunner,
    compare: bool,
) -> None:
    name, new, old = builder.name, builder.version, serving.version
    with db.transaction() as tx:
        # Lock both state rows first: no other runner advances either while we
        # switch. Only then read where each stands and where the log ends (a
        # live runner may have gone past the head we saw before the lock).
        lock = " FOR UPDATE" if db.dialect == "postgres" else ""
        for runner in (builder, serving):
            row = tx.fetchone(
                "SELECT position FROM {t} WHERE name = %s AND version = %s" + lock,
                (name, runner.version),
                t=STATE_TABLE,
            )
            runner.position = int(row[0]) if row else runner.position
        head = max(
            service.recorder.max_notification_id() or 0,
            builder.position,
            serving.position,
        )
        for runner in (builder, serving):
            _finish_in(tx, runner, head)
        if compare:
            new_sum = checksum(builder.projection.checksum_rows(tx))
            old_sum = checksum(serving.projection.checksum_rows(tx))
            if new_sum != old_sum:
                raise RebuildMismatch(
                    f"{name} v{new} has {new_sum[0]} rows, checksum {new_sum[1][:12]}; "
                    f"serving v{old} has {old_sum[0]} rows, {old_sum[1][:12]}"
                )
        tx.execute(
            "UPDATE {t} SET status = %s WHERE name = %s AND version = %s",
            (RETIRED, name, old),
            t=STATE_TABLE,
        )
        tx.execute(
            "UPDATE {t} SET status = %s WHERE name = %s AND version = %s",
            (SERVING, name, new),
            t=STATE_TABLE,
        )


def _finish_in(tx: Tx, runner: ProjectionRunner, head: int) -> None:
    """Bring a runner to ``head`` inside an open transaction. A live runner may
    have moved the position since this one read it: ``apply`` then reloads it
    (and from there on this transaction holds the row, so it moves no more)."""
    while runner.position < head:
        notifications = runner.service.recorder.select_notifications(
            start=runner.position + 1, limit=runner.batch_size, stop=head
        )
        if not notifications:
            break
        try:
            runner.apply(tx, notifications, runner._decode(notifications))
        except PositionMoved:
            continue
        runner.position = notifications[-1].id


def drop_retired(db: Database, projection_class: type[Projection]) -> list[int]:
    """Drop the tables of retired versions (once no reader can still use them)."""
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT version FROM {t} WHERE name = %s AND status = %s",
            (projection_class.name, RETIRED),
            t=STATE_TABLE,
        )
        versions = [int(r[0]) for r in rows]
        for version in versions:
            projection_class(version).drop_tables(tx)
            tx.execute(
                "DELETE FROM {t} WHERE name = %s AND version = %s",
                (projection_class.name, version),
                t=STATE_TABLE,
            )
    return versions


def _report(
    builder: ProjectionRunner,
    old: int | None,
    db: Database,
    compared: bool,
    started: float,
) -> RebuildReport:
    with db.reading() as tx:
        rows, digest = checksum(builder.projection.checksum_rows(tx))
    return RebuildReport(
        name=builder.name,
        old_version=old,
        new_version=builder.version,
        position=builder.position,
        rows=rows,
        checksum=digest,
        compared_with_old=compared,
        seconds=time.monotonic() - started,
    )


def subclasses(cls: type) -> set[type]:
    """Every subclass, at any depth (a handler for a base class takes them all)."""
    found: set[type] = set()
    children: list[type] = cls.__subclasses__()
    for child in children:
        found.add(child)
        found |= subclasses(child)
    return found
