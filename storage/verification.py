"""Verifying the log: the walk over a store's events and snapshots against the
chain and the signed checkpoints, and a checkpoint made of the head."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from storage.chain import (
    ChainedLog,
    ChainError,
    SnapshotLog,
    Walk,
    walk_events,
    walk_snapshots,
)
from storage.checkpoints import Checkpoint, SigningKey

T = TypeVar("T")
Progress = Callable[[int], None]
EVERY = 10_000  # rows between two progress reports


def counted(rows: Iterable[T], progress: Progress | None) -> Iterator[T]:
    """``rows``, telling ``progress`` how many went by every so often."""
    if progress is None:
        yield from rows
        return
    seen = 0
    for row in rows:
        yield row
        seen += 1
        if seen == EVERY:
            progress(seen)
            seen = 0
    progress(seen)


def verify_log(
    log: ChainedLog,
    snapshots: SnapshotLog | None,
    checkpoints: Iterable[Checkpoint] = (),
    progress: Progress | None = None,
) -> Walk:
    """Walk every event in position order until the first break, matching the
    checkpoints on the way; then check every snapshot."""
    signed = {c.position: c.chain_hash for c in checkpoints}
    walk = walk_events(counted(log.chain_rows(), progress), Walk(), signed)
    if snapshots is not None:
        walk_snapshots(
            snapshots.snapshot_rows(),
            snapshots.orphan_snapshots(log.events_table_name),
            walk,
        )
    return walk


def make_checkpoint(log: ChainedLog, key: SigningKey, now: datetime) -> Checkpoint:
    """Sign the log's head and keep the checkpoint beside the log."""
    head = log.chain_head()
    if head is None:
        raise ChainError("the log is empty: nothing to sign yet")
    position, chain_hash = head
    if chain_hash is None:
        raise ChainError(
            "the log is not chained yet: run `dossier chain backfill` first"
        )
    checkpoint = key.sign(position, chain_hash, now)
    log.record_checkpoint(checkpoint)
    return checkpoint
