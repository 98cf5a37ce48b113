"""The read models' database: one interface, a PostgreSQL and a SQLite implementation.

Read models live in the events' database, so a projection writes its rows and
its tracking position in one local transaction. Statements are written once
with ``%s`` placeholders and ``{name}`` identifier slots; each implementation
renders them its own way (psycopg.sql.Identifier for PostgreSQL, quoted names
and ``?`` for SQLite).
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Composed, Identifier

from storage.pools import ReadModelPool

Params = Sequence[Any]


class Tx(ABC):
    """One transaction on the read models' database."""

    @abstractmethod
    def execute(self, statement: str, params: Params = (), **names: str) -> None: ...

    @abstractmethod
    def fetchall(
        self, statement: str, params: Params = (), **names: str
    ) -> list[tuple[Any, ...]]: ...

    def fetchone(
        self, statement: str, params: Params = (), **names: str
    ) -> tuple[Any, ...] | None:
        rows = self.fetchall(statement, params, **names)
        return rows[0] if rows else None

    @abstractmethod
    def executemany(
        self, statement: str, rows: Sequence[Params], **names: str
    ) -> None: ...

    def lock_for_creating(self, table: str) -> None:
        """Until this transaction ends, no other process creates or alters
        ``table``: two CREATE TABLE IF NOT EXISTS at once on PostgreSQL both
        insert the table's row type, and one fails ("duplicate key value
        violates unique constraint pg_type_typname_nsp_index"), as when several
        servers start on a new store. (SQLite serialises schema changes.)"""


class Database(ABC):
    """Where read models are kept; ``dialect`` is "postgres" or "sqlite"."""

    dialect: str

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A read-write transaction: committed on success, rolled back on error."""

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A transaction for queries (a consistent snapshot of the read models)."""
        with self.transaction() as tx:
            yield tx

    @abstractmethod
    def close(self) -> None: ...

    def check_connections(self) -> None:
        """Replace pooled connections that broke (after a database outage)."""

    # Column types that differ between the two.
    json_type = "TEXT"
    blob_type = "BLOB"
    timestamp_type = "TEXT"


# --- PostgreSQL ------------------------------------------------------------------


class PostgresTx(Tx):
    def __init__(self, conn: Connection[Any]) -> None:
        self.conn = conn

    @staticmethod
    def render(statement: str, names: dict[str, str]) -> Composed | SQL:
        sql = SQL(statement)
        if not names:
            return sql
        return sql.format(**{k: Identifier(v) for k, v in names.items()})

    def execute(self, statement: str, params: Params = (), **names: str) -> None:
        self.conn.execute(self.render(statement, names), params, prepare=True)

    def fetchall(
        self, statement: str, params: Params = (), **names: str
    ) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(self.render(statement, names), params, prepare=True)
        return list(cursor.fetchall())

    def executemany(self, statement: str, rows: Sequence[Params], **names: str) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany(self.render(statement, names), rows)

    def lock_for_creating(self, table: str) -> None:
        self.fetchone(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dossier:create:{table}",)
        )


POOL_WAIT_SECONDS = 5.0
CONNECT_SECONDS = 3


class PostgresDatabase(Database):
    dialect = "postgres"
    json_type = "JSONB"
    blob_type = "BYTEA"
    timestamp_type = "TIMESTAMPTZ"

    def __init__(
        self,
        url: str,
        *,
        schema: str = "public",
        pool_size: int = 4,
        lock_timeout: int = 5,
    ) -> None:
        self.url = url
        # Statements are prepared (parsed once per connection), but planned for
        # each call's values: a plan made once while a read model was small (a
        # scan of its few rows) would otherwise outlive its growth, on a server
        # whose statistics lag (autovacuum off, or not yet run).
        options = (
            f"-c lock_timeout={lock_timeout * 1000} -c search_path={schema}"
            " -c plan_cache_mode=force_custom_plan"
        )
        # While the server is away a request waits at most POOL_WAIT_SECONDS
        # for a connection, then answers 503 (psycopg_pool's default is 30 s,
        # longer than many clients wait), as the event store's pool does.
        self.pool: ReadModelPool = ReadModelPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=True,
            timeout=POOL_WAIT_SECONDS,
            kwargs={"options": options, "connect_timeout": CONNECT_SECONDS},
        )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.pool.connection() as conn, conn.transaction():
            yield PostgresTx(conn)

    def check_connections(self) -> None:
        self.pool.check()

    def close(self) -> None:
        self.pool.close()


# --- SQLite -----------------------------------------------------------------------


class SQLiteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @staticmethod
    def render(statement: str, names: dict[str, str]) -> str:
        if names:
            statement = statement.format(
                **{k: '"' + v.replace('"', '""') + '"' for k, v in names.items()}
            )
        return statement.replace("%s", "?")

    def execute(self, statement: str, params: Params = (), **names: str) -> None:
        self.conn.execute(self.render(statement, names), tuple(params))

    def fetchall(
        self, statement: str, params: Params = (), **names: str
    ) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(self.render(statement, names), tuple(params))
        return [tuple(row) for row in cursor.fetchall()]

    def executemany(self, statement: str, rows: Sequence[Params], **names: str) -> None:
        if rows:
            self.conn.executemany(
                self.render(statement, names), [tuple(r) for r in rows]
            )


class SQLiteDatabase(Database):
    """One connection per thread; writers take the lock up front (BEGIN IMMEDIATE)
    so a read-then-write transaction never fails halfway on a busy database."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, lock_timeout: int = 5) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                timeout=self.lock_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield SQLiteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield SQLiteTx(conn)
        finally:
            conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
