"""Rebuilding a read model: a new version filled beside the serving one, verified,
switched to atomically; and dropping the versions a rebuild retired.

Readers keep reading the serving version throughout. Verification brings both
versions to the same log position inside the switching transaction and compares
a checksum over every row; the switch is two status changes in that same
transaction, so readers see either the old version or the new one, complete.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from domain.service import CaseService
from projections import state
from projections.base import Projection, checksum
from projections.runner import ProjectionRunner
from projections.state import BUILDING, RETIRED, SERVING
from storage.db import Database, Tx


@dataclass(frozen=True)
class RebuildReport:
    name: str
    old_version: int | None
    new_version: int
    position: int
    rows: int
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

    ``compare=False`` when the projection's logic changed on purpose and the old
    version is known to differ. A first build (no version serves yet) serves at
    once. If anything fails, the version being built is dropped again.
    """
    started = time.monotonic()
    name = projection_class.name
    state.create_state_table(db)
    with db.transaction() as tx:
        old = state.serving_version(tx, name)
        new = state.next_version(tx, name)
        state.insert_state(tx, name, new, BUILDING if old is not None else SERVING)
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
            drop_version(tx, projection_class, new)
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
        for runner in (builder, serving):
            position = state.position_of(tx, name, runner.version, lock=True)
            runner.position = runner.position if position is None else position
        head = max(
            service.recorder.max_notification_id() or 0,
            builder.position,
            serving.position,
        )
        for runner in (builder, serving):
            runner.finish_in(tx, head)
        if compare:
            new_sum = checksum(builder.projection.checksum_rows(tx))
            old_sum = checksum(serving.projection.checksum_rows(tx))
            if new_sum != old_sum:
                raise RebuildMismatch(
                    f"{name} v{new} has {new_sum[0]} rows, checksum {new_sum[1][:12]}; "
                    f"serving v{old} has {old_sum[0]} rows, {old_sum[1][:12]}"
                )
        state.set_status(tx, name, old, RETIRED)
        state.set_status(tx, name, new, SERVING)


def drop_version(tx: Tx, projection_class: type[Projection], version: int) -> None:
    """Drop a version's tables and its tracking row."""
    projection_class(version).drop_tables(tx)
    state.delete_state(tx, projection_class.name, version)


def drop_retired(db: Database, projection_class: type[Projection]) -> list[int]:
    """Drop the tables of retired versions (once no reader can still use them)."""
    with db.transaction() as tx:
        versions = state.versions_with(tx, projection_class.name, RETIRED)
        for version in versions:
            drop_version(tx, projection_class, version)
    return versions


def _report(
    builder: ProjectionRunner,
    old: int | None,
    db: Database,
    compared: bool,
    started: float,
) -> RebuildReport:
    # Counted, not checksummed: a checksum opens every sealed value (the audit
    # trail's: half a rebuild's time), and only the comparison needs one.
    projection = builder.projection
    rows = 0
    with db.reading() as tx:
        for base in projection.tables:
            (count,) = tx.fetchall(
                "SELECT count(*) FROM {t}", t=projection.table(base)
            )[0]
            rows += int(count)
    return RebuildReport(
        name=builder.name,
        old_version=old,
        new_version=builder.version,
        position=builder.position,
        rows=rows,
        compared_with_old=compared,
        seconds=time.monotonic() - started,
    )
