"""The two stores' adapters: event recorders that also keep the per-case key table.

A new case's key is written in the same transaction as the case's first
events (the recorder's ``_insert_events`` hook runs inside the library's
insert transaction), so there is never a case without a key nor a key
without a case. Keys are destroyed with the store's secure-deletion means.
"""

from __future__ import annotations

import sqlite3
import threading
import time
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
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType, retry
from psycopg import Cursor, errors
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain.errors import DuplicateRequest
from domain.sealing import KeyRing
from storage.db import CONNECT_SECONDS
from storage.idempotency import (
    IDEMPOTENCY_COLUMNS,
    IDEMPOTENCY_TABLE,
    idempotency_rows,
)
from storage.pools import replace_datastore_pool

KEY_TABLE = "case_keys"
# How long a process may keep a key it read. Erasure drops the key at once in
# the process that erases; other processes may open the case for at most this
# long afterwards (docs/privacy.md).
KEY_CACHE_SECONDS = 5.0


class CachingKeyRing(KeyRing):
    """Keeps keys read from the store for a few seconds, so that opening a case
    with many sealed values costs one key read, not one per value."""

    def __init__(self) -> None:
        self._cache: dict[UUID, tuple[float, bytes]] = {}
        # Keys destroyed by this process: never cached again, even by a read
        # that was under way while the key was deleted.
        self._destroyed: set[UUID] = set()
        self._lock = threading.Lock()

    def key_for(self, case_id: UUID) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            if case_id in self._destroyed:
                return None
            hit = self._cache.get(case_id)
        if hit is not None and now - hit[0] < KEY_CACHE_SECONDS:
            return hit[1]
        key = self._read_key(case_id)
        with self._lock:
            if case_id in self._destroyed:
                return None
            if key is None:
                self._cache.pop(case_id, None)
            else:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[case_id] = (now, key)
        return key

    def destroy(self, case_id: UUID) -> None:
        with self._lock:
            if len(self._destroyed) > 100_000:
                self._destroyed.clear()  # (the store has no key for them anyway)
            self._destroyed.add(case_id)
            self._cache.pop(case_id, None)
        try:
            self._delete_key(case_id)
        except BaseException:
            # The key survived: let the command given again see it, and finish.
            with self._lock:
                self._destroyed.discard(case_id)
            raise

    def prefetch(self, case_ids: set[UUID]) -> None:
        now = time.monotonic()
        with self._lock:
            wanted = [
                c
                for c in case_ids
                if c not in self._cache or now - self._cache[c][0] >= KEY_CACHE_SECONDS
            ]
        if not wanted:
            return
        found = self._read_keys(wanted)
        with self._lock:
            if len(self._cache) + len(found) > 100_000:
                self._cache.clear()
            for case_id, key in found.items():
                if case_id not in self._destroyed:
                    self._cache[case_id] = (now, key)

    def _read_key(self, case_id: UUID) -> bytes | None:
        return self._read_keys([case_id]).get(case_id)

    def _read_keys(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        raise NotImplementedError

    def _delete_key(self, case_id: UUID) -> None:
        raise NotImplementedError


def new_keys(kwargs: dict[str, Any]) -> dict[UUID, bytes]:
    keys: dict[UUID, bytes] = kwargs.get("new_case_keys") or {}
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


class CaseSQLiteRecorder(SQLiteApplicationRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            return super().insert_events(stored_events, **kwargs)
        except IntegrityError:
            positions = recorded_already(self, stored_events)
            if positions is None:
                raise
            return positions

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {KEY_TABLE} ("
            "case_id TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {IDEMPOTENCY_TABLE} ({IDEMPOTENCY_COLUMNS})",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        for case_id, key in new_keys(kwargs).items():
            c.execute(f"INSERT INTO {KEY_TABLE} VALUES (?, ?)", (case_id.hex, key))
        for row in idempotency_rows(kwargs, stored_events):
            try:
                c.execute(
                    f"INSERT INTO {IDEMPOTENCY_TABLE} VALUES (?,?,?,?,?,?,?)", row
                )
            except sqlite3.IntegrityError:
                # The key's only constraint: this request was recorded before.
                # Raised inside the transaction, so nothing of it is kept.
                raise DuplicateRequest("this request was recorded already") from None
        return super()._insert_events(c, stored_events, **kwargs)

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
        self, stored_events: Sequence[StoredEvent], keys: dict[UUID, bytes]
    ) -> None:
        """Many new aggregates' events and their cases' keys in one transaction
        (the bulk loader's path; nothing is read back)."""
        self.insert_events(stored_events, new_case_keys=keys)


class SQLiteKeyRing(CachingKeyRing):
    def __init__(self, datastore: SQLiteDatastore) -> None:
        super().__init__()
        self.datastore = datastore

    def _read_keys(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        found: dict[UUID, bytes] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(case_ids), 500):
                chunk = [case_id.hex for case_id in case_ids[start : start + 500]]
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT case_id, key FROM {KEY_TABLE} WHERE case_id IN ({marks})",
                    chunk,
                )
                for row in c.fetchall():
                    found[UUID(row[0])] = bytes(row[1])
        return found

    def _delete_key(self, case_id: UUID) -> None:
        # secure_delete overwrites the freed page content with zeros, and the
        # checkpoint moves the change out of the write-ahead log, so the key's
        # bytes are not left behind in the database files.
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("PRAGMA secure_delete = ON")
            with conn.transaction(commit=True) as c:
                c.execute(f"DELETE FROM {KEY_TABLE} WHERE case_id = ?", (case_id.hex,))
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- PostgreSQL -----------------------------------------------------------------------


class CasePostgresRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.key_table = Identifier(datastore.schema, KEY_TABLE)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "case_id uuid PRIMARY KEY, key bytea NOT NULL)"
            ).format(self.key_table)
        )
        self.insert_key_statement = SQL("INSERT INTO {} VALUES (%s, %s)").format(
            self.key_table
        )
        self.copy_keys_statement = SQL(
            "COPY {} (case_id, key) FROM STDIN (FORMAT BINARY)"
        ).format(self.key_table)
        self.copy_events_statement = SQL(
            "COPY {} (originator_id, originator_version, topic, state)"
            " FROM STDIN (FORMAT BINARY)"
        ).format(Identifier(datastore.schema, self.events_table_name))
        idempotency_table = Identifier(datastore.schema, IDEMPOTENCY_TABLE)
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {} (" + IDEMPOTENCY_COLUMNS + ")").format(
                idempotency_table
            )
        )
        self.insert_idempotency_statement = SQL(
            "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(idempotency_table)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
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
            curs.executemany(self.insert_key_statement, list(keys.items()))
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # After the events, on a cursor of its own: in the library's pipeline a
        # duplicate key then surfaces at its sync as an IntegrityError (like a
        # version conflict), and the events' RETURNING rows stay on their cursor.
        rows = idempotency_rows(kwargs, stored_events)
        if rows:
            with curs.connection.cursor() as other:
                other.executemany(self.insert_idempotency_statement, rows)

    def insert_bulk(
        self, stored_events: Sequence[StoredEvent], keys: dict[UUID, bytes]
    ) -> None:
        """Many new aggregates' events and their cases' keys in one transaction,
        by COPY (the bulk loader's path; nothing is read back).

        The table lock is taken as for any insert, so positions are issued in
        commit order and readers never pass over a gap that fills later.
        """
        with self.datastore.transaction(commit=True) as curs:
            self._lock_table(curs)
            self._notify_channel(curs)
            if keys:
                with curs.copy(self.copy_keys_statement) as copy:
                    copy.set_types(["uuid", "bytea"])
                    for row in keys.items():
                        copy.write_row(row)
            with curs.copy(self.copy_events_statement) as copy:
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for e in stored_events:
                    copy.write_row(
                        (e.originator_id, e.originator_version, e.topic, e.state)
                    )


class PostgresKeyRing(CachingKeyRing):
    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__()
        self.datastore = datastore
        self.key_table = Identifier(datastore.schema, KEY_TABLE)

    # As the library's own reads: a pooled connection that broke (a restarted
    # server) is dropped and the read tried again on another.
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _read_keys(self, case_ids: list[UUID]) -> dict[UUID, bytes]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL("SELECT case_id, key FROM {} WHERE case_id = ANY(%s)").format(
                    self.key_table
                ),
                (case_ids,),
            ).fetchall()
        return {row["case_id"]: bytes(row["key"]) for row in rows}

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _delete_key(self, case_id: UUID) -> None:
        # The datastore's connections are in autocommit mode, so the delete
        # commits at once and VACUUM (which cannot run in a transaction) then
        # removes the dead row version that still holds the key's bytes.
        with self.datastore.get_connection() as conn:
            conn.execute(
                SQL("DELETE FROM {} WHERE case_id = %s").format(self.key_table),
                (case_id,),
            )
            conn.execute(SQL("VACUUM {}").format(self.key_table))


# --- the stores, chosen in code ------------------------------------------------------


class CaseSQLiteFactory(SQLiteFactory):
    """The library's SQLite infrastructure with Dossier's recorder."""

    application_recorder_class = CaseSQLiteRecorder


class CasePostgresFactory(PostgresFactory):
    """The library's PostgreSQL infrastructure with Dossier's recorder."""

    application_recorder_class = CasePostgresRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        replace_datastore_pool(self.datastore, connect_seconds=CONNECT_SECONDS)


def keyring_for(recorder: ApplicationRecorder) -> KeyRing:
    """The key ring kept beside a recorder's events, in the same database."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresKeyRing(recorder.datastore)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteKeyRing(recorder.datastore)
    raise TypeError(f"no key ring for {type(recorder).__name__}")


def check_event_store_connections(recorder: ApplicationRecorder) -> None:
    """Replace the event store's pooled connections that broke (after an outage)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        recorder.datastore.pool.check()
