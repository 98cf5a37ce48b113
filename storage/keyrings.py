"""Each store's case key table: keys kept wrapped, read per KeyScope, erased for good.

A row holds the case id, its key wrapped under a KEK epoch (storage.kek) and
that epoch; a row with no epoch is a plain key from before wrapping, until the
next rotation wraps it. Keys are read when a case's events are opened and kept
only in the current KeyScope (one load of a case, one projection batch): no
process keeps a key past the read that needed it, so once an erasure has
deleted the row no process opens the case again.

Rotation (``rotate``) wraps every surviving key under a new epoch, a batch at a
time with compare-and-set on the old epoch (a key erased meanwhile stays
erased), and destroys the epochs retired longer ago than the backup window that
no row uses any more.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

from domain.sealing import KeyRing, scoped_keys
from storage.kek import KeyEncryptionKeys

KEY_TABLE = "case_keys"
# One stored row: (epoch or None for a plain key, the bytes).
Row = tuple[int | None, bytes]


class StoreKeyRing(KeyRing):
    """What both stores' key rings share: wrapping, scoping, rotation."""

    def __init__(self, keks: KeyEncryptionKeys) -> None:
        self.keks = keks

    # --- KeyRing ----------------------------------------------------------------------

    def key_for(self, case_id: UUID) -> bytes | None:
        scope = scoped_keys()
        if scope is not None and case_id in scope:
            return scope[case_id]
        key = self._open(self._read_rows([case_id])).get(case_id)
        if scope is not None:
            scope[case_id] = key
        return key

    def prefetch(self, case_ids: set[UUID]) -> None:
        scope = scoped_keys()
        if scope is None:
            return
        wanted = [c for c in case_ids if c not in scope]
        if wanted:
            opened = self._open(self._read_rows(wanted))
            for case_id in wanted:
                scope[case_id] = opened.get(case_id)

    def destroy(self, case_id: UUID) -> None:
        self.destroy_many([case_id])

    def destroy_many(self, case_ids: list[UUID]) -> None:
        """One delete and one clean-up (checkpoint, vacuum) for them all."""
        if not case_ids:
            return
        scope = scoped_keys()
        if scope is not None:
            for case_id in case_ids:
                scope[case_id] = None
        self._delete_keys(case_ids)

    def stored(self, keys: dict[UUID, bytes]) -> dict[UUID, Any]:
        return {case_id: self.keks.wrap(case_id, key) for case_id, key in keys.items()}

    def search_secret(self) -> bytes:
        return self.keks.search_secret()

    def _open(self, rows: dict[UUID, Row]) -> dict[UUID, bytes]:
        opened: dict[UUID, bytes] = {}
        for case_id, (epoch, stored) in rows.items():
            key = stored if epoch is None else self.keks.unwrap(case_id, epoch, stored)
            if key is not None:
                opened[case_id] = key
        return opened

    # --- rotation --------------------------------------------------------------------

    def rotate(self, now: datetime, backup_window: timedelta) -> Rotation:
        """Wrap every key under a new epoch; destroy the expired epochs."""
        new = self.keks.add_epoch(now)
        rotation = Rotation(new.number)
        after: UUID | None = None
        while True:
            rows = self._rows_not_under(new.number, after, limit=1000)
            if not rows:
                break
            after = rows[-1][0]
            changes: list[tuple[UUID, int | None, int, bytes]] = []
            for case_id, epoch, stored in rows:
                key = self._open({case_id: (epoch, stored)}).get(case_id)
                if key is None:  # under an epoch destroyed before: nothing to keep
                    rotation.unopenable += 1
                    continue
                number, wrapped = self.keks.wrap(case_id, key)
                changes.append((case_id, epoch, number, wrapped))
            rotation.rewrapped += self._rewrap(changes)
        rotation.destroyed = self.destroy_expired(now, backup_window)
        return rotation

    def maintain(
        self, now: datetime, rotate_every: timedelta, backup_window: timedelta
    ) -> Rotation | list[int]:
        """What a worker does on its schedule: rotate when the current epoch is
        older than ``rotate_every``, else destroy the epochs that expired."""
        if self.keks.current().created_at + rotate_every <= now:
            return self.rotate(now, backup_window)
        return self.destroy_expired(now, backup_window)

    def destroy_expired(self, now: datetime, backup_window: timedelta) -> list[int]:
        """Destroy the epochs retired more than ``backup_window`` ago that no
        row is wrapped under any more; their numbers."""
        in_use = self.rows_per_epoch()
        destroyed = []
        for epoch in self.keks.epochs():
            if (
                epoch.key is not None
                and epoch.retired_at is not None
                and epoch.retired_at + backup_window <= now
                and not in_use.get(epoch.number)
            ):
                self.keks.destroy(epoch.number)
                destroyed.append(epoch.number)
        return destroyed

    # --- the store's part -------------------------------------------------------------

    @abstractmethod
    def _read_rows(self, case_ids: list[UUID]) -> dict[UUID, Row]: ...

    @abstractmethod
    def _delete_keys(self, case_ids: list[UUID]) -> None: ...

    @abstractmethod
    def _rows_not_under(
        self, epoch: int, after: UUID | None, *, limit: int
    ) -> list[tuple[UUID, int | None, bytes]]:
        """Rows under another epoch (or none), by case id after ``after``."""

    @abstractmethod
    def _rewrap(self, changes: Sequence[tuple[UUID, int | None, int, bytes]]) -> int:
        """Set each (case, old epoch, new epoch, wrapped) where the row is still
        under the old epoch; how many were set."""

    @abstractmethod
    def rows_per_epoch(self) -> dict[int | None, int]:
        """How many keys are wrapped under each epoch (None: plain keys)."""


@dataclass
class Rotation:
    """What a rotation did."""

    epoch: int
    rewrapped: int = 0
    unopenable: int = 0
    destroyed: list[int] = field(default_factory=list)


# --- SQLite -------------------------------------------------------------------------


class SQLiteKeyRing(StoreKeyRing):
    def __init__(self, datastore: SQLiteDatastore, keks: KeyEncryptionKeys) -> None:
        super().__init__(keks)
        self.datastore = datastore
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"PRAGMA table_info({KEY_TABLE})")
            columns = {row[1] for row in c.fetchall()}
            if columns and "epoch" not in columns:  # a store from before wrapping
                c.execute(f"ALTER TABLE {KEY_TABLE} ADD COLUMN epoch INTEGER")

    def _read_rows(self, case_ids: list[UUID]) -> dict[UUID, Row]:
        found: dict[UUID, Row] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(case_ids), 500):
                chunk = [case_id.hex for case_id in case_ids[start : start + 500]]
                marks = ",".join("?" * len(chunk))
                c.execute(
                    f"SELECT case_id, epoch, key FROM {KEY_TABLE}"
                    f" WHERE case_id IN ({marks})",
                    chunk,
                )
                for row in c.fetchall():
                    found[UUID(row[0])] = (row[1], bytes(row[2]))
        return found

    def _delete_keys(self, case_ids: list[UUID]) -> None:
        # secure_delete overwrites the freed page content with zeros, and the
        # checkpoint moves the change out of the write-ahead log, so the keys'
        # bytes are not left behind in the database files.
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("PRAGMA secure_delete = ON")
            with conn.transaction(commit=True) as c:
                c.executemany(
                    f"DELETE FROM {KEY_TABLE} WHERE case_id = ?",
                    [(case_id.hex,) for case_id in case_ids],
                )
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _rows_not_under(
        self, epoch: int, after: UUID | None, *, limit: int
    ) -> list[tuple[UUID, int | None, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT case_id, epoch, key FROM {KEY_TABLE}"
                " WHERE (epoch IS NULL OR epoch <> ?) AND case_id > ?"
                " ORDER BY case_id LIMIT ?",
                (epoch, after.hex if after else "", limit),
            )
            return [(UUID(r[0]), r[1], bytes(r[2])) for r in c.fetchall()]

    def _rewrap(self, changes: Sequence[tuple[UUID, int | None, int, bytes]]) -> int:
        done = 0
        with self.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA secure_delete = ON")
            with conn.transaction(commit=True) as c:
                for case_id, old, new, wrapped in changes:
                    c.execute(
                        f"UPDATE {KEY_TABLE} SET key = ?, epoch = ?"
                        " WHERE case_id = ? AND epoch IS ?",
                        (wrapped, new, case_id.hex, old),
                    )
                    done += c.sqlite_cursor.rowcount
        return done

    def rows_per_epoch(self) -> dict[int | None, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT epoch, COUNT(*) FROM {KEY_TABLE} GROUP BY epoch")
            return {row[0]: int(row[1]) for row in c.fetchall()}


# --- PostgreSQL -----------------------------------------------------------------------

# As the library's own reads: a pooled connection that broke (a restarted server)
# is dropped and the read tried again on another.
_retried = retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)


class PostgresKeyRing(StoreKeyRing):
    def __init__(self, datastore: PostgresDatastore, keks: KeyEncryptionKeys) -> None:
        super().__init__(keks)
        self.datastore = datastore
        self.key_table = Identifier(datastore.schema, KEY_TABLE)

    @_retried
    def _read_rows(self, case_ids: list[UUID]) -> dict[UUID, Row]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT case_id, epoch, key FROM {} WHERE case_id = ANY(%s)"
                ).format(self.key_table),
                (case_ids,),
            ).fetchall()
        return {row["case_id"]: (row["epoch"], bytes(row["key"])) for row in rows}

    @_retried
    def _delete_keys(self, case_ids: list[UUID]) -> None:
        # The datastore's connections are in autocommit mode, so the delete
        # commits at once and VACUUM (which cannot run in a transaction) then
        # removes the dead row version. Copies of the wrapped key may remain in
        # the WAL, archives and backups: they open only with their epoch's KEK,
        # which rotation destroys (docs/operations.md, "Erasure").
        with self.datastore.get_connection() as conn:
            conn.execute(
                SQL("DELETE FROM {} WHERE case_id = ANY(%s)").format(self.key_table),
                (case_ids,),
            )
            conn.execute(SQL("VACUUM {}").format(self.key_table))

    @_retried
    def _rows_not_under(
        self, epoch: int, after: UUID | None, *, limit: int
    ) -> list[tuple[UUID, int | None, bytes]]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT case_id, epoch, key FROM {}"
                    " WHERE epoch IS DISTINCT FROM %s"
                    " AND (%s::uuid IS NULL OR case_id > %s::uuid)"
                    " ORDER BY case_id LIMIT %s"
                ).format(self.key_table),
                (epoch, after, after, limit),
            ).fetchall()
        return [(r["case_id"], r["epoch"], bytes(r["key"])) for r in rows]

    def _rewrap(self, changes: Sequence[tuple[UUID, int | None, int, bytes]]) -> int:
        if not changes:
            return 0
        with self.datastore.transaction(commit=True) as curs:
            # One statement for the batch (psycopg pipelines executemany); its
            # rowcount is the sum over the batch.
            curs.executemany(
                SQL(
                    "UPDATE {} SET key = %s, epoch = %s"
                    " WHERE case_id = %s AND epoch IS NOT DISTINCT FROM %s"
                ).format(self.key_table),
                [(wrapped, new, case, old) for case, old, new, wrapped in changes],
            )
            return int(curs.rowcount)

    @_retried
    def rows_per_epoch(self) -> dict[int | None, int]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL("SELECT epoch, COUNT(*) AS n FROM {} GROUP BY epoch").format(
                    self.key_table
                )
            ).fetchall()
        return {row["epoch"]: int(row["n"]) for row in rows}


def keyring_for(recorder: ApplicationRecorder, keks: KeyEncryptionKeys) -> StoreKeyRing:
    """The key ring kept beside a recorder's events, in the same database."""
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresKeyRing(recorder.datastore, keks)
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteKeyRing(recorder.datastore, keks)
    raise TypeError(f"no key ring for {type(recorder).__name__}")
