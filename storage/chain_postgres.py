"""The hash chain on PostgreSQL: the columns, the chained COPY inside the
library's table lock, the walk's reads, the backfill, the checkpoints table
(a single save's chained insert is a server-side function: append_postgres.py).

Positions are drawn from the events' own sequence inside the table lock (one
statement that also reads the last row's chain hash), so each new row's link
is computed before it is written and the COPY stays one statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import StoredEvent
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

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
    from eventsourcing.postgres import PostgresDatastore


def add_columns(
    curs: Cursor[DictRow],
    schema: str,
    table: str,
    columns: Sequence[str],
    kind: str = "bytea",
) -> None:
    """Add the missing ``columns`` of type ``kind`` (a store from before them:
    the chain's, the key table's epoch). Only when missing: an ALTER takes the
    table's strongest lock even when it changes nothing, and would wait behind
    every reader and writer of it."""
    qualified = Identifier(schema, table).as_string(curs)
    curs.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND NOT attisdropped",
        (qualified,),
    )
    present = {row["attname"] for row in curs.fetchall()}
    for column in columns:
        if column not in present:
            curs.execute(
                SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} " + kind).format(
                    Identifier(schema, table), Identifier(column)
                )
            )


def copied(
    datastore: PostgresDatastore, statement: Composed, types: list[str]
) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``COPY (...) TO STDOUT (FORMAT BINARY)``, streamed."""
    with (
        datastore.get_connection() as conn,
        conn.cursor() as curs,
        curs.copy(statement) as copy,
    ):
        copy.set_types(types)
        yield from copy.rows()


class PostgresChain:
    """The event recorder's chain statements (mixed into CasePostgresRecorder)."""

    datastore: PostgresDatastore
    events_table_name: str

    def _chain_statements(self) -> None:
        schema = self.datastore.schema
        table = Identifier(schema, self.events_table_name)
        self.chain_table = table
        self.checkpoint_table = Identifier(schema, CHECKPOINT_TABLE)
        qualified = Literal(f'"{schema}"."{self.events_table_name}"')
        # The last row's chain hash and ``n`` new positions, under the lock.
        self.chain_head_statement: Composed = SQL(
            "SELECT h.notification_id, h.chain_hash, ARRAY("
            " SELECT nextval(pg_get_serial_sequence({}, 'notification_id'))"
            " FROM generate_series(1, %s)) AS ids"
            " FROM (SELECT 1) AS one LEFT JOIN LATERAL ("
            " SELECT notification_id, chain_hash FROM {}"
            " ORDER BY notification_id DESC LIMIT 1) AS h ON true"
        ).format(qualified, table)
        self.chained_copy_statement: Composed = SQL(
            "COPY {} (originator_id, originator_version, topic, state,"
            " notification_id, event_digest, chain_hash) FROM STDIN (FORMAT BINARY)"
        ).format(table)

    def _chain_create(self, curs: Cursor[DictRow]) -> None:
        add_columns(
            curs,
            self.datastore.schema,
            self.events_table_name,
            ("event_digest", "chain_hash"),
        )
        curs.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY,"
                " chain_hash bytea NOT NULL, made_at text NOT NULL,"
                " key_id text NOT NULL, signature bytea NOT NULL)"
            ).format(self.checkpoint_table)
        )

    # --- writing (inside the table lock) --------------------------------------------

    @staticmethod
    def digests_of(stored_events: Sequence[StoredEvent]) -> list[bytes]:
        return [
            event_digest(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]

    def _chained_rows(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        digests: Sequence[bytes],
    ) -> list[tuple[Any, ...]]:
        """The new rows with their positions and hashes, under the lock (the
        digests, hashed before it was taken: ``digests_of``)."""
        with curs.connection.cursor() as head_cursor:
            head_cursor.execute(
                self.chain_head_statement, (len(stored_events),), prepare=True
            )
            found = head_cursor.fetchone()
        assert found is not None
        ids = sorted(found["ids"])
        head = None if found["notification_id"] is None else found
        previous = head_hash(
            None if head is None else (head["notification_id"], head["chain_hash"])
        )
        hashes: Sequence[bytes | None] = (
            chain(previous, ids, digests) if previous is not None else [None] * len(ids)
        )
        return [
            (e.originator_id, e.originator_version, e.topic, e.state, i, d, h)
            for e, i, d, h in zip(stored_events, ids, digests, hashes, strict=True)
        ]

    def _copy_chained(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        digests: Sequence[bytes],
    ) -> None:
        rows = self._chained_rows(curs, stored_events, digests)
        with curs.copy(self.chained_copy_statement) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea", "int8", "bytea", "bytea"])
            for row in rows:
                copy.write_row(row)

    # --- reading -------------------------------------------------------------------

    def chain_rows(self) -> Iterator[EventRow]:
        """Every event in position order, streamed (COPY)."""
        statement = SQL(
            "COPY (SELECT notification_id, originator_id, originator_version,"
            " topic, state, event_digest, chain_hash FROM {}"
            " ORDER BY notification_id) TO STDOUT (FORMAT BINARY)"
        ).format(self.chain_table)
        types = ["int8", "uuid", "int8", "text", "bytea", "bytea", "bytea"]
        for row in copied(self.datastore, statement, types):
            yield EventRow(*row)

    def chain_count(self) -> int:
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                SQL("SELECT count(*) AS n FROM {}").format(self.chain_table)
            ).fetchone()
        return int(row["n"]) if row else 0

    def chain_head(self) -> tuple[int, bytes | None] | None:
        """The last row: (position, chain hash or None)."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                SQL(
                    "SELECT notification_id, chain_hash FROM {}"
                    " ORDER BY notification_id DESC LIMIT 1"
                ).format(self.chain_table)
            ).fetchone()
        if row is None:
            return None
        found = row["chain_hash"]
        return int(row["notification_id"]), bytes(found) if found else None

    # --- the backfill --------------------------------------------------------------

    def backfill_chain(self, progress: Any = None) -> int:
        """Hash every event not chained yet, in batches, each under the table
        lock (writers wait for one batch, never for the whole log): a store from
        before the chain is then chained, and its writers chain from there on."""
        previous, after = self._chained_prefix()
        done = 0
        while True:
            with self.datastore.transaction(commit=True) as curs:
                for statement in self.lock_table_statements:  # type: ignore[attr-defined]
                    curs.execute(statement)
                curs.execute(
                    SQL(
                        "SELECT notification_id, originator_id, originator_version,"
                        " topic, state, chain_hash FROM {}"
                        " WHERE notification_id > %s"
                        " ORDER BY notification_id LIMIT %s"
                    ).format(self.chain_table),
                    (after, BACKFILL_BATCH),
                )
                rows = curs.fetchall()
                if not rows:
                    return done
                if any(r["chain_hash"] is not None for r in rows):
                    raise ChainError(
                        "chained events follow unchained ones: run `dossier verify`"
                    )
                ids = [r["notification_id"] for r in rows]
                digests = [
                    event_digest(
                        r["originator_id"],
                        r["originator_version"],
                        r["topic"],
                        bytes(r["state"]),
                    )
                    for r in rows
                ]
                hashes = chain(previous, ids, digests)
                curs.execute(
                    SQL(
                        "UPDATE {} AS t SET event_digest = v.d, chain_hash = v.c"
                        " FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[])"
                        " AS v(id, d, c) WHERE t.notification_id = v.id"
                    ).format(self.chain_table),
                    (ids, digests, hashes),
                )
            previous, after = hashes[-1], ids[-1]
            done += len(rows)
            if progress is not None:
                progress(len(rows))

    def _chained_prefix(self) -> tuple[bytes, int]:
        """The hash and position where the backfill starts: the last chained row
        before the first unchained one (one scan)."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                SQL(
                    "SELECT notification_id, chain_hash FROM {0}"
                    " WHERE notification_id < COALESCE("
                    " (SELECT min(notification_id) FROM {0} WHERE chain_hash IS NULL),"
                    " 9223372036854775807)"
                    " ORDER BY notification_id DESC LIMIT 1"
                ).format(self.chain_table)
            ).fetchone()
        if row is None:
            return head_hash(None) or b"", 0
        return bytes(row["chain_hash"]), int(row["notification_id"])

    # --- checkpoints ----------------------------------------------------------------

    def record_checkpoint(self, checkpoint: Checkpoint) -> bool:
        """Keep a signed checkpoint; False when one at its position exists."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {} VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT (position) DO NOTHING"
                ).format(self.checkpoint_table),
                checkpoint.row(),
            )
            return curs.rowcount == 1

    def checkpoints(self) -> list[Checkpoint]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT position, chain_hash, made_at, key_id, signature FROM {}"
                    " ORDER BY position"
                ).format(self.checkpoint_table)
            ).fetchall()
        return [
            Checkpoint(
                r["position"],
                bytes(r["chain_hash"]),
                datetime.fromisoformat(r["made_at"]),
                r["key_id"],
                bytes(r["signature"]),
            )
            for r in rows
        ]


class PostgresSnapshotChain:
    """The snapshot recorder's digests (mixed into the snapshots' recorder)."""

    datastore: PostgresDatastore
    events_table_name: str

    def _snapshot_statements(self) -> None:
        self.snapshot_table = Identifier(self.datastore.schema, self.events_table_name)
        self.digested_insert_statement: Composed = SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state,"
            " snapshot_digest)"
            " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[],"
            " %s::bytea[], %s::bytea[])"
        ).format(self.snapshot_table)

    def _insert_digested(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> None:
        rows = [
            (
                e.originator_id,
                e.originator_version,
                e.topic,
                e.state,
                snapshot_digest(
                    e.originator_id, e.originator_version, e.topic, e.state
                ),
            )
            for e in stored_events
        ]
        columns = [list(column) for column in zip(*rows, strict=True)]
        curs.execute(self.digested_insert_statement, columns)

    def snapshot_rows(self) -> Iterator[SnapshotRow]:
        statement = SQL(
            "COPY (SELECT originator_id, originator_version, topic, state,"
            " snapshot_digest FROM {}) TO STDOUT (FORMAT BINARY)"
        ).format(self.snapshot_table)
        types = ["uuid", "int8", "text", "bytea", "bytea"]
        for row in copied(self.datastore, statement, types):
            yield SnapshotRow(*row)

    def orphan_snapshots(self, events_table: str) -> list[tuple[Any, int]]:
        """Snapshots of a version the log does not hold."""
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT s.originator_id, s.originator_version FROM {} AS s"
                    " WHERE NOT EXISTS (SELECT FROM {} AS e"
                    " WHERE e.originator_id = s.originator_id"
                    " AND e.originator_version = s.originator_version)"
                ).format(
                    self.snapshot_table, Identifier(self.datastore.schema, events_table)
                )
            ).fetchall()
        return [(r["originator_id"], r["originator_version"]) for r in rows]

    def backfill_snapshots(self) -> int:
        """Digest the snapshots taken before the chain."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "SELECT originator_id, originator_version, topic, state FROM {}"
                    " WHERE snapshot_digest IS NULL"
                ).format(self.snapshot_table)
            )
            rows = curs.fetchall()
            if not rows:
                return 0
            curs.execute(
                SQL(
                    "UPDATE {} AS t SET snapshot_digest = v.d"
                    " FROM unnest(%s::uuid[], %s::bigint[], %s::bytea[])"
                    " AS v(id, version, d)"
                    " WHERE t.originator_id = v.id AND t.originator_version = v.version"
                ).format(self.snapshot_table),
                (
                    [r["originator_id"] for r in rows],
                    [r["originator_version"] for r in rows],
                    [
                        snapshot_digest(
                            r["originator_id"],
                            r["originator_version"],
                            r["topic"],
                            bytes(r["state"]),
                        )
                        for r in rows
                    ],
                ),
            )
        return len(rows)
