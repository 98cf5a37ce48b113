"""The two stores' adapters: event recorders that also keep the per-case key table
and the log's hash chain (storage.chain), and the snapshots' recorders.

A new case's key is written (wrapped: storage.keyrings) in the same transaction
as the case's first events (the recorder's ``_insert_events`` hook runs inside
the library's insert transaction), so there is never a case without a key nor a
key without a case. Reading and destroying keys is storage.keyrings'.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType, retry
from psycopg import Cursor, errors
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.errors import DuplicateRequest
from storage import append_postgres
from storage.chain_postgres import PostgresChain, PostgresSnapshotChain
from storage.chain_postgres import add_columns as add_postgres_columns
from storage.chain_sqlite import ImmediateTransaction, SQLiteChain, SQLiteSnapshotChain
from storage.chain_sqlite import add_columns as add_sqlite_columns
from storage.db import CONNECT_SECONDS
from storage.idempotency import (
    IDEMPOTENCY_COLUMNS,
    IDEMPOTENCY_TABLE,
    idempotency_rows,
)
from storage.keyrings import KEY_TABLE
from storage.pools import replace_datastore_pool


def new_keys(kwargs: dict[str, Any]) -> dict[UUID, tuple[int, bytes]]:
    """The new cases' keys a save carries, wrapped (KeyRing.stored): epoch, bytes."""
    keys: dict[UUID, tuple[int, bytes]] = kwargs.get("new_case_keys") or {}
    return keys


# --- SQLite -------------------------------------------------------------------------


def recorded_already(
    recorder: CaseSQLiteRecorder | CasePostgresRecorder,
    stored_events: Sequence[StoredEvent],
) -> list[int] | None:
    """The positions of ``stored_events`` when every one of them is in the store
    already, byte for byte; otherwise None.

    The library tries a write again when its connection broke; when the break
    came after the commit (a server shutting down as it acknowledged), the
    second try meets its own events. Sealed states carry a random nonce, so the
    same bytes at the same version are this write's, never another's.
    """
    positions = []
    for event in stored_events:
        version = event.originator_version
        found = recorder.select_events(
            event.originator_id, gt=version - 1, lte=version, limit=1
        )
        if not found or (found[0].topic, bytes(found[0].state)) != (
            event.topic,
            bytes(event.state),
        ):
            return None
        originator = event.originator_id
        if not isinstance(originator, UUID):
            originator = UUID(originator)
        positions.append(recorder.position_of(originator, version))
    return positions


class CaseSQLiteRecorder(SQLiteChain, SQLiteApplicationRecorder):
    # False only for bench/commands.py's baseline: the library's plain insert.
    chained = True

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            with (
                self.datastore.get_connection(commit=True) as conn,
                ImmediateTransaction(conn, commit=True) as c,
            ):
                return self._insert_events(c, stored_events, **kwargs)
        except IntegrityError:
            positions = recorded_already(self, stored_events)
            if positions is None:
                raise
            return positions

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} ("
            "case_id TEXT PRIMARY KEY, key BLOB NOT NULL, epoch INTEGER)"
            " WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {IDEMPOTENCY_TABLE} ({IDEMPOTENCY_COLUMNS})",
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        self._chain_create(c)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        for case_id, (epoch, wrapped) in new_keys(kwargs).items():
            c.execute(
                f"INSERT INTO {KEY_TABLE} (case_id, key, epoch) VALUES (?, ?, ?)",
                (case_id.hex, wrapped, epoch),
            )
        for row in idempotency_rows(kwargs, stored_events):
            try:
                c.execute(
                    f"INSERT INTO {IDEMPOTENCY_TABLE} VALUES (?,?,?,?,?,?,?)", row
                )
            except sqlite3.IntegrityError:
                # The key's only constraint: this request was recorded before.
                # Raised inside the transaction, so nothing of it is kept.
                raise DuplicateRequest("this request was recorded already") from None
        if not self.chained:
            return super()._insert_events(c, stored_events, **kwargs)
        return self._insert_chained(c, stored_events)

    def position_of(self, originator_id: UUID, version: int) -> int:
        """The log position (notification id) of one aggregate's event."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name}"
                " WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return int(row[0]) if row else 0

    def insert_bulk(
        self,
        stored_events: Sequence[StoredEvent],
        keys: dict[UUID, tuple[int, bytes]],
    ) -> None:
        """Many new aggregates' events and their cases' wrapped keys in one
        transaction (the bulk loader's path; nothing is read back)."""
        self.insert_events(stored_events, new_case_keys=keys)


# --- PostgreSQL -----------------------------------------------------------------------


class CasePostgresRecorder(PostgresChain, PostgresApplicationRecorder):
    # False only for bench/commands.py's baseline: the library's plain insert.
    chained = True

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._chain_statements()
        self.key_table = Identifier(datastore.schema, KEY_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "case_id uuid PRIMARY KEY, key bytea NOT NULL, epoch BIGINT)"
            ).format(self.key_table)
        )
        # The plain COPY: bench/verify.py's baseline only (``chained`` False).
        self.copy_events_statement = SQL(
            "COPY {} (originator_id, originator_version, topic, state)"
            " FROM STDIN (FORMAT BINARY)"
        ).format(Identifier(datastore.schema, self.events_table_name))
        self.insert_key_statement = SQL(
            "INSERT INTO {} (case_id, key, epoch) VALUES (%s, %s, %s)"
        ).format(self.key_table)
        self.copy_keys_statement = SQL(
            "COPY {} (case_id, key, epoch) FROM STDIN (FORMAT BINARY)"
        ).format(self.key_table)
        idempotency_table = Identifier(datastore.schema, IDEMPOTENCY_TABLE)
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (" + IDEMPOTENCY_COLUMNS + ")").format(
                idempotency_table
            )
        )
        self.insert_idempotency_statement = SQL(
            "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(idempotency_table)
        # The chained save as one statement (storage/append_postgres.py).
        self.sql_create_statements.append(
            append_postgres.create_function_statement(
                datastore.schema,
                self.events_table_name,
                KEY_TABLE,
                IDEMPOTENCY_TABLE,
                self.channel_name,
                datastore.lock_timeout,
            )
        )
        self.append_statement = append_postgres.call_statement(datastore.schema)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = (
                self._append(stored_events, **kwargs)
                if self.chained
                else super().insert_events(stored_events, **kwargs)
            )
        except IntegrityError as error:
            positions = recorded_already(self, stored_events)
            if positions is not None:
                return positions
            cause = error.__cause__
            if (
                isinstance(cause, errors.UniqueViolation)
                and cause.diag.table_name == IDEMPOTENCY_TABLE
            ):
                raise DuplicateRequest("this request was recorded already") from None
            raise
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _append(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """One statement, one round trip: keys, idempotency record, lock, chain,
        insert and commit (the pool's connections are in autocommit)."""
        if not stored_events:
            return []
        arguments = append_postgres.call_arguments(
            stored_events,
            # The events' digests, hashed before the statement takes the lock.
            self.digests_of(stored_events),
            new_keys(kwargs),
            idempotency_rows(kwargs, stored_events),
        )
        # The datastore raises the library's IntegrityError (cause: psycopg's).
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.append_statement, arguments, prepare=True)
            row = curs.fetchone()
        assert row is not None
        return list(row["positions"])

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def position_of(self, originator_id: UUID, version: int) -> int:
        """The log position (notification id) of one aggregate's event."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                SQL(
                    "SELECT notification_id FROM {}"
                    " WHERE originator_id = %s AND originator_version = %s"
                ).format(Identifier(self.datastore.schema, self.events_table_name)),
                (originator_id, version),
            ).fetchone()
        return int(row["notification_id"]) if row else 0

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        keys = new_keys(kwargs)
        if keys:
            curs.executemany(
                self.insert_key_statement,
                [(case, wrapped, epoch) for case, (epoch, wrapped) in keys.items()],
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        # Only the plain path comes here (``chained`` False, bench baselines):
        # the chained save is one statement (``_append``).
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # After the events, on a cursor of its own: in the library's pipeline a
        # duplicate key then surfaces at its sync as an IntegrityError (like a
        # version conflict), and the events' RETURNING rows stay on their cursor.
        rows = idempotency_rows(kwargs, stored_events)
        if rows:
            with curs.connection.cursor() as other:
                other.executemany(self.insert_idempotency_statement, rows)

    def insert_bulk(
        self,
        stored_events: Sequence[StoredEvent],
        keys: dict[UUID, tuple[int, bytes]],
    ) -> None:
        """Many new aggregates' events and their cases' wrapped keys in one
        transaction, by COPY (the bulk loader's path; nothing is read back).

        The table lock is taken as for any insert, so positions are issued in
        commit order and readers never pass over a gap that fills later.
        """
        digests = self.digests_of(stored_events) if self.chained else []
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            self._notify_channel(curs)
            if keys:
                with curs.copy(self.copy_keys_statement) as copy:
                    copy.set_types(["uuid", "bytea", "int8"])
                    for case_id, (epoch, wrapped) in keys.items():
                        copy.write_row((case_id, wrapped, epoch))
            if self.chained:
                self._copy_chained(curs, stored_events, digests)
                return
            with curs.copy(self.copy_events_statement) as copy:
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for e in stored_events:
                    copy.write_row(
                        (e.originator_id, e.originator_version, e.topic, e.state)
                    )

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        # A store made before keys were wrapped: its keys are plain until the
        # next `dossier keys rotate` wraps them (epoch NULL until then). Added
        # only when missing: this transaction holds a share lock on the event
        # table by now, and a registration holding the key table's row lock
        # waits for the event table's (a deadlock; tests/integration/
        # test_store_setup.py).
        add_postgres_columns(
            curs, self.datastore.schema, KEY_TABLE, ("epoch",), kind="BIGINT"
        )
        self._chain_create(curs)


# --- snapshots ----------------------------------------------------------------------


class SnapshotSQLiteRecorder(SQLiteSnapshotChain, SQLiteAggregateRecorder):
    """The library's snapshot table, each row with a digest of its bytes."""

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        add_sqlite_columns(c, self.events_table_name, ("snapshot_digest",))

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        self._insert_digested(c, stored_events)
        return None


class SnapshotPostgresRecorder(PostgresSnapshotChain, PostgresAggregateRecorder):
    """The library's snapshot table, each row with a digest of its bytes."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._snapshot_statements()

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        add_postgres_columns(
            curs, self.datastore.schema, self.events_table_name, ("snapshot_digest",)
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        self._insert_digested(curs, stored_events)


# --- the stores, chosen in code ------------------------------------------------------


class CaseSQLiteFactory(SQLiteFactory):
    """The library's SQLite infrastructure with Dossier's recorders."""

    application_recorder_class = CaseSQLiteRecorder
    aggregate_recorder_class = SnapshotSQLiteRecorder


class CasePostgresFactory(PostgresFactory):
    """The library's PostgreSQL infrastructure with Dossier's recorders."""

    application_recorder_class = CasePostgresRecorder
    aggregate_recorder_class = SnapshotPostgresRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        replace_datastore_pool(self.datastore, connect_seconds=CONNECT_SECONDS)


def check_event_store_connections(recorder: ApplicationRecorder) -> None:
    """Replace the event store's pooled connections that broke (after an outage)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        recorder.datastore.pool.check()
