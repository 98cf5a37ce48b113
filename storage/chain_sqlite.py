"""The hash chain on SQLite: the columns, the chained insert, the walk's reads,
the backfill and the checkpoints table.

A write transaction begins IMMEDIATE, so the database's write lock is held
before the last row's chain hash is read (a deferred one could read a head that
another process's commit then passes). Positions are the rowids SQLite would
give (the last plus one), written explicitly with their hashes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteCursor, SQLiteTransaction

from storage.chain import (
    BACKFILL_BATCH,
    CHECKPOINT_TABLE,
    ChainError,
    EventRow,
    SnapshotRow,
    chain,
    event_digest,
    head_hash,
    snapshot_digest,
)
from storage.checkpoints import Checkpoint

if TYPE_CHECKING:
    from eventsourcing.sqlite import SQLiteDatastore


class ImmediateTransaction(SQLiteTransaction):
    """The library's transaction (its commit, rollback and error mapping),
    begun with the write lock."""

    # Each try waits SQLite's busy timeout; nothing is done before the lock, so
    # trying again is safe. SQLite's busy handler polls with growing sleeps, and
    # with several writers on a loaded machine one of them can keep losing the
    # race for a whole timeout although every hold of the lock is short.
    attempts = 3

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        for attempt in range(1, self.attempts + 1):
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return cursor
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == self.attempts:
                    raise
        raise AssertionError("unreachable")


def add_columns(c: SQLiteCursor, table: str, columns: Sequence[str]) -> None:
    c.execute(f"PRAGMA table_info({table})")
    present = {row["name"] for row in c.fetchall()}
    for column in columns:
        if column not in present:
            c.execute(f"ALTER TABLE {table} ADD COLUMN {column} BLOB")


def _id(originator_id: Any) -> Any:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class SQLiteChain:
    """The event recorder's chain statements (mixed into CaseSQLiteRecorder)."""

    datastore: SQLiteDatastore
    events_table_name: str

    def _chain_create(self, c: SQLiteCursor) -> None:
        add_columns(c, self.events_table_name, ("event_digest", "chain_hash"))
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINT_TABLE} ("
            "position INTEGER PRIMARY KEY, chain_hash BLOB NOT NULL,"
            " made_at TEXT NOT NULL, key_id TEXT NOT NULL, signature BLOB NOT NULL)"
        )

    def _head(self, c: SQLiteCursor) -> tuple[int, bytes | None] | None:
        c.execute(
            f"SELECT rowid, chain_hash FROM {self.events_table_name}"
            " ORDER BY rowid DESC LIMIT 1"
        )
        row = c.fetchone()
        return None if row is None else (int(row[0]), row[1])

    def _insert_chained(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        """Insert the events with their positions and hashes (write lock held)."""
        digests = [
            event_digest(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        head = self._head(c)
        first = (head[0] if head else 0) + 1
        positions = list(range(first, first + len(stored_events)))
        previous = head_hash(head)
        hashes: Sequence[bytes | None] = (
            chain(previous, positions, digests)
            if previous is not None
            else [None] * len(positions)
        )
        c.executemany(
            f"INSERT INTO {self.events_table_name} (rowid, originator_id,"
            " originator_version, topic, state, event_digest, chain_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (p, _id(e.originator_id), e.originator_version, e.topic, e.state, d, h)
                for p, e, d, h in zip(
                    positions, stored_events, digests, hashes, strict=True
                )
            ],
        )
        return positions

    # --- reading -------------------------------------------------------------------

    def chain_rows(self) -> Iterator[EventRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT rowid, originator_id, originator_version, topic, state,"
                f" event_digest, chain_hash FROM {self.events_table_name}"
                " ORDER BY rowid"
            )
            while rows := c.sqlite_cursor.fetchmany(5000):
                for row in rows:
                    yield EventRow(*row)

    def chain_count(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) FROM {self.events_table_name}")
            return int(c.fetchone()[0])

    def chain_head(self) -> tuple[int, bytes | None] | None:
        with self.datastore.transaction(commit=False) as c:
            return self._head(c)

    # --- the backfill --------------------------------------------------------------

    def backfill_chain(self, progress: Any = None) -> int:
        """Hash every event not chained yet, a batch per write transaction."""
        table = self.events_table_name
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, chain_hash FROM {table} WHERE rowid < COALESCE("
                f"(SELECT min(rowid) FROM {table} WHERE chain_hash IS NULL),"
                " 9223372036854775807) ORDER BY rowid DESC LIMIT 1"
            )
            row = c.fetchone()
        previous, after = (
            (bytes(row[1]), int(row[0])) if row else (head_hash(None) or b"", 0)
        )
        done = 0
        while True:
            with (
                self.datastore.get_connection(commit=True) as conn,
                ImmediateTransaction(conn, commit=True) as c,
            ):
                c.execute(
                    "SELECT rowid, originator_id, originator_version, topic, state,"
                    f" chain_hash FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (after, BACKFILL_BATCH),
                )
                rows = c.fetchall()
                if not rows:
                    return done
                if any(r[5] is not None for r in rows):
                    raise ChainError(
                        "chained events follow unchained ones: run `dossier verify`"
                    )
                ids = [r[0] for r in rows]
                digests = [event_digest(r[1], r[2], r[3], r[4]) for r in rows]
                hashes = chain(previous, ids, digests)
                c.executemany(
                    f"UPDATE {table} SET event_digest = ?, chain_hash = ?"
                    " WHERE rowid = ?",
                    list(zip(digests, hashes, ids, strict=True)),
                )
            previous, after = hashes[-1], ids[-1]
            done += len(rows)
            if progress is not None:
                progress(len(rows))

    # --- checkpoints ----------------------------------------------------------------

    def record_checkpoint(self, checkpoint: Checkpoint) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {CHECKPOINT_TABLE} VALUES (?, ?, ?, ?, ?)",
                checkpoint.row(),
            )
            return bool(c.sqlite_cursor.rowcount == 1)

    def checkpoints(self) -> list[Checkpoint]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position, chain_hash, made_at, key_id, signature"
                f" FROM {CHECKPOINT_TABLE} ORDER BY position"
            )
            rows = c.fetchall()
        return [
            Checkpoint(
                r[0], bytes(r[1]), datetime.fromisoformat(r[2]), r[3], bytes(r[4])
            )
            for r in rows
        ]


class SQLiteSnapshotChain:
    """The snapshot recorder's digests (mixed into the snapshots' recorder)."""

    datastore: SQLiteDatastore
    events_table_name: str

    def _insert_digested(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]
    ) -> None:
        c.executemany(
            f"INSERT INTO {self.events_table_name} (originator_id,"
            " originator_version, topic, state, snapshot_digest)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (
                    _id(e.originator_id),
                    e.originator_version,
                    e.topic,
                    e.state,
                    snapshot_digest(
                        e.originator_id, e.originator_version, e.topic, e.state
                    ),
                )
                for e in stored_events
            ],
        )

    def snapshot_rows(self) -> Iterator[SnapshotRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT originator_id, originator_version, topic, state,"
                f" snapshot_digest FROM {self.events_table_name}"
            )
            while rows := c.sqlite_cursor.fetchmany(5000):
                for row in rows:
                    yield SnapshotRow(*row)

    def orphan_snapshots(self, events_table: str) -> list[tuple[Any, int]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT s.originator_id, s.originator_version FROM"
                f" {self.events_table_name} AS s WHERE NOT EXISTS (SELECT 1 FROM"
                f" {events_table} AS e WHERE e.originator_id = s.originator_id"
                " AND e.originator_version = s.originator_version)"
            )
            return [(r[0], r[1]) for r in c.fetchall()]

    def backfill_snapshots(self) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "SELECT originator_id, originator_version, topic, state"
                f" FROM {self.events_table_name} WHERE snapshot_digest IS NULL"
            )
            rows = c.fetchall()
            c.executemany(
                f"UPDATE {self.events_table_name} SET snapshot_digest = ?"
                " WHERE originator_id = ? AND originator_version = ?",
                [(snapshot_digest(r[0], r[1], r[2], r[3]), r[0], r[1]) for r in rows],
            )
        return len(rows)
