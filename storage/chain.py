"""The event log's hash chain: what each stored event's hashes cover, and the walk
that finds the first place where the log no longer matches them.

Every event row carries two hashes. ``event_digest`` covers the row's stored
bytes (aggregate id, version, topic and the sealed state, so that erasing a
case, which destroys its key and never touches an event, leaves it intact);
``chain_hash`` links that digest, the row's log position and the previous
row's ``chain_hash``: one chain over the whole log in position order. The
digest is computed before the insert takes the table lock; inside the lock
only the short link is hashed. Keeping both lets the walk say what differs:
the event's bytes, its digest, or its link (a position changed, or an event
deleted, inserted or moved before it).

Snapshots are a cache of events, not part of the log: each carries a digest
of its own bytes, and the walk checks that digest and that the log holds the
event the snapshot was taken at. Nothing here reads a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from storage.checkpoints import Checkpoint

GENESIS = bytes(32)  # the "previous hash" of the log's first event
HASH_BYTES = 32
# The signed checkpoints' table, and how many events a backfill hashes per
# transaction (each under the event table's lock), on either store.
CHECKPOINT_TABLE = "chain_checkpoints"
BACKFILL_BATCH = 5000
_EVENT = b"dossier-event-v1\x00"
_SNAPSHOT = b"dossier-snapshot-v1\x00"


class ChainError(Exception):
    """The chain cannot be extended or filled as asked (a one-line message)."""


def _id_bytes(originator_id: Any) -> bytes:
    # The id as stored: a uuid on PostgreSQL, 32 hex digits on SQLite. An id that
    # is not a uuid (a tampered row) is hashed as its text, so it never matches.
    if isinstance(originator_id, UUID):
        return b"\x01" + originator_id.bytes
    text = str(originator_id)
    try:
        return b"\x01" + UUID(text).bytes
    except ValueError:
        raw = text.encode("utf-8", "surrogateescape")
        return b"\x02" + len(raw).to_bytes(4, "big") + raw


def _row_bytes(
    tag: bytes, originator_id: Any, version: int, topic: str, state: bytes
) -> bytes:
    encoded = topic.encode("utf-8", "surrogateescape")
    return b"".join(
        (
            tag,
            _id_bytes(originator_id),
            int(version).to_bytes(8, "big", signed=True),
            len(encoded).to_bytes(4, "big"),
            encoded,
            bytes(state),
        )
    )


def event_digest(originator_id: Any, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one event's stored bytes (its position is in the link)."""
    return hashlib.sha256(
        _row_bytes(_EVENT, originator_id, version, topic, state)
    ).digest()


def snapshot_digest(
    originator_id: Any, version: int, topic: str, state: bytes
) -> bytes:
    """The hash of one snapshot's stored bytes."""
    return hashlib.sha256(
        _row_bytes(_SNAPSHOT, originator_id, version, topic, state)
    ).digest()


def link(previous: bytes, position: int, digest: bytes) -> bytes:
    """The chain hash of the event at ``position`` after ``previous``."""
    return hashlib.sha256(
        previous + int(position).to_bytes(8, "big", signed=True) + digest
    ).digest()


def chain(
    previous: bytes, positions: Sequence[int], digests: Sequence[bytes]
) -> list[bytes]:
    """The chain hashes of consecutive new events after the head ``previous``."""
    hashes = []
    for position, digest in zip(positions, digests, strict=True):
        previous = link(previous, position, digest)
        hashes.append(previous)
    return hashes


def head_hash(head: tuple[int, bytes | None] | None) -> bytes | None:
    """The previous hash for the next insert, from the log's last row
    (position, chain hash): GENESIS for an empty log, None when the last row
    is not chained yet (a store from before the chain, until its backfill)."""
    if head is None:
        return GENESIS
    return bytes(head[1]) if head[1] is not None else None


@dataclass(frozen=True)
class EventRow:
    """One event row as the walk reads it."""

    position: int
    originator_id: Any
    version: int
    topic: str
    state: bytes
    digest: bytes | None
    chain_hash: bytes | None


@dataclass(frozen=True)
class SnapshotRow:
    originator_id: Any
    version: int
    topic: str
    state: bytes
    digest: bytes | None


@dataclass(frozen=True)
class Break:
    """Where the log stops matching its chain, and what differs there."""

    position: int | None  # None for a snapshot
    originator_id: str
    version: int | None
    what: str

    def line(self) -> str:
        if self.position is None:
            at = f"snapshot of aggregate {self.originator_id} at version {self.version}"
        else:
            at = f"position {self.position}"
            if self.version is not None:
                at += f" (aggregate {self.originator_id}, version {self.version})"
        return f"{at}: {self.what}"


@dataclass
class Walk:
    """The result of walking the log."""

    events: int = 0
    unchained: int = 0  # rows before the first chained one (a store to backfill)
    head: tuple[int, bytes] | None = None
    broken: Break | None = None
    snapshots: int = 0
    snapshot_breaks: list[Break] = field(default_factory=list)
    checkpoints_matched: int = 0


def diagnose(
    row: EventRow, previous: bytes, previous_position: int | None
) -> str | None:
    """What is wrong with ``row`` after a verified ``previous`` hash; None if
    nothing is."""
    digest = event_digest(row.originator_id, row.version, row.topic, row.state)
    expected = link(previous, row.position, digest)
    if row.chain_hash is not None and bytes(row.chain_hash) == expected:
        if row.digest is not None and bytes(row.digest) == digest:
            return None
        return "its event_digest column was changed (the bytes and the chain agree)"
    if row.chain_hash is None:
        return "it has no chain hash (removed, or written around the chain)"
    stored = bytes(row.digest) if row.digest is not None else None
    if stored is not None and stored != digest:
        if link(previous, row.position, stored) == bytes(row.chain_hash):
            return (
                "its stored bytes (aggregate id, version, topic or state) differ"
                " from those recorded"
            )
        return "its bytes and its hashes all differ from those recorded"
    after = (
        f"the event at position {previous_position}"
        if previous_position is not None
        else "the start of the log"
    )
    return (
        f"it does not follow {after}: an event before it was deleted, inserted"
        " or moved, its position changed, or its chain hash was altered"
    )


def walk_events(
    rows: Iterable[EventRow],
    walk: Walk,
    checkpoints: dict[int, bytes] | None = None,
) -> Walk:
    """Walk ``rows`` (in position order) until the first break; checkpoints
    (position: signed hash) are matched on the way."""
    pending = dict(sorted((checkpoints or {}).items()))
    previous: bytes | None = None
    previous_position: int | None = None
    for row in rows:
        walk.events += 1
        if previous is None:
            if row.chain_hash is None and walk.unchained == walk.events - 1:
                walk.unchained += 1  # the prefix from before the chain
                previous_position = row.position
                continue
            previous = GENESIS if walk.unchained == 0 else None
            if previous is None:
                walk.broken = Break(
                    row.position,
                    str(row.originator_id),
                    row.version,
                    "the events before it have no chain hash (a store from before"
                    " the chain: run `dossier chain backfill`; or hashes removed)",
                )
                return walk
        problem = diagnose(row, previous, previous_position)
        if problem is not None:
            walk.broken = Break(
                row.position, str(row.originator_id), row.version, problem
            )
            return walk
        previous, previous_position = bytes(row.chain_hash or b""), row.position
        walk.head = (row.position, previous)
        if pending and next(iter(pending)) <= row.position:
            missed = _match(pending, row.position, previous, walk)
            if missed is not None:
                walk.broken = missed
                return walk
    if pending:
        position = next(iter(pending))
        end = walk.head[0] if walk.head else 0
        walk.broken = Break(
            position,
            "-",
            None,
            f"a signed checkpoint is at this position, but the log ends at {end}"
            " (events at its end were removed)",
        )
    return walk


def _match(
    pending: dict[int, bytes], position: int, hash_: bytes, walk: Walk
) -> Break | None:
    """Tick off checkpoints up to ``position``; a break if one differs or its
    position is no longer in the log."""
    while pending:
        first = next(iter(pending))
        if first > position:
            return None
        signed = pending.pop(first)
        if first < position:
            return Break(
                first,
                "-",
                None,
                "a signed checkpoint is at this position, which the log no longer"
                " holds",
            )
        if signed != hash_:
            return Break(
                first,
                "-",
                None,
                f"the log's chain hash here is {hash_.hex()}, the signed checkpoint"
                f" says {signed.hex()}: the log was rewritten up to here",
            )
        walk.checkpoints_matched += 1
    return None


def walk_snapshots(
    rows: Iterable[SnapshotRow], orphans: Iterable[tuple[Any, int]], walk: Walk
) -> Walk:
    """Check each snapshot's digest, and that its event is in the log."""
    for row in rows:
        walk.snapshots += 1
        digest = snapshot_digest(row.originator_id, row.version, row.topic, row.state)
        if row.digest is None or bytes(row.digest) != digest:
            what = (
                "a snapshot without a digest"
                if row.digest is None
                else "a snapshot whose bytes differ from those recorded"
            )
            walk.snapshot_breaks.append(
                Break(None, str(row.originator_id), row.version, what)
            )
    for originator_id, version in orphans:
        walk.snapshot_breaks.append(
            Break(
                None,
                str(originator_id),
                version,
                "a snapshot of a version the log does not hold",
            )
        )
    return walk


class ChainedLog(Protocol):
    """What the walk, the backfill and the checkpoints need of an event store
    (both of Dossier's event recorders: storage.chain_sqlite, chain_postgres)."""

    events_table_name: str

    def chain_rows(self) -> Iterator[EventRow]: ...

    def chain_count(self) -> int: ...

    def chain_head(self) -> tuple[int, bytes | None] | None: ...

    def backfill_chain(self, progress: Callable[[int], None] | None = None) -> int: ...

    def record_checkpoint(self, checkpoint: Checkpoint) -> bool: ...

    def checkpoints(self) -> list[Checkpoint]: ...


class SnapshotLog(Protocol):
    """What the walk and the backfill need of a snapshot store."""

    def snapshot_rows(self) -> Iterator[SnapshotRow]: ...

    def orphan_snapshots(self, events_table: str) -> list[tuple[Any, int]]: ...

    def backfill_snapshots(self) -> int: ...
