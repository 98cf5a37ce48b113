"""What every read model is: versioned tables, one handler per event, a tracking row.

A projection's tables carry its version in their names (``case_list_v3``), so a
rebuild fills a new version beside the one that serves and switches over in
one transaction. The ``projection_state`` table (``projections.state``) holds,
per projection and version, the log position processed and whether that version
serves.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import singledispatchmethod
from typing import TYPE_CHECKING, Any, ClassVar

from psycopg.sql import SQL, Identifier

from domain.sealing import KeyRing
from storage.db import Database, PostgresTx, SQLiteTx, Tx


def versioned_name(base: str, version: int) -> str:
    """A table's name in one version of its projection: ``case_list_v3``."""
    return f"{base}_v{version}"


def versioned_tables(bases: Iterable[str], version: int) -> dict[str, str]:
    """Each base table name to its name in ``version``: what a view is built from."""
    return {base: versioned_name(base, version) for base in bases}


class Projection(ABC):
    """One read model. Subclasses name their tables and handle the events they
    care about; every other event still advances the tracking position."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    # The queries on this read model: built from {base table: versioned table}.
    view_class: ClassVar[Callable[[Mapping[str, str]], Any]]
    # Whether handlers need personal data opened (only then are keys read).
    needs_personal_data: ClassVar[bool] = False
    # Of those, the event types whose personal values it reads (empty: all);
    # the others' stay sealed, which is most of the decoding time saved.
    personal_data_events: ClassVar[tuple[type, ...]] = ()
    # Whether it keeps the personal values as the events sealed them: decoded
    # as ``domain.sealing.Unopened``, never opened by the runner.
    keeps_values_sealed: ClassVar[bool] = False
    # Whether the base case of ``handle`` does work for every event (else only
    # the registered event types are decoded at all).
    handles_all_events: ClassVar[bool] = False
    # The least time between two batches while events keep coming: under load
    # the runner then takes whatever arrived meanwhile as one batch, one
    # transaction, instead of a transaction (and a WAL flush) per save. Someone
    # waiting in this process for a position (``ProjectionRunner.wait_for``)
    # cuts the pause short. The case list, which people look for right after a
    # command, takes none.
    batch_interval_seconds: ClassVar[float] = 0.1

    def __init__(self, version: int) -> None:
        self.version = version
        # The case keys, for projections that keep personal values sealed (set
        # by the runner before any event; None where no key is needed).
        self.keyring: KeyRing | None = None

    @classmethod
    def handled_types(cls) -> tuple[type, ...]:
        """The event classes this projection registered a handler for."""
        for klass in cls.__mro__:
            method = klass.__dict__.get("handle")
            dispatcher = getattr(method, "dispatcher", None)
            if dispatcher is not None:
                return tuple(t for t in dispatcher.registry if t is not object)
        return ()

    def table(self, base: str) -> str:
        assert base in self.tables, base
        return versioned_name(base, self.version)

    @abstractmethod
    def create_tables(self, tx: Tx, db: Database) -> None:
        """Create this version's tables and indexes (idempotent)."""

    def drop_tables(self, tx: Tx) -> None:
        for base in self.tables:
            tx.execute("DROP TABLE IF EXISTS {t}", t=self.table(base))

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        """Called first with a batch's events: read what they will change at once."""

    def begin_batch(self, tx: Tx) -> None:
        """Called before a batch's events; a projection may prepare state here."""

    def end_batch(self, tx: Tx) -> None:
        """Called after a batch's events, in the same transaction: flush writes."""

    @abstractmethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Apply one event. Subclasses make this a ``functools.singledispatchmethod``
        with one registered method per event they care about; its base case (any
        other event) changes nothing, and the position still advances."""

    def checksum_rows(self, tx: Tx) -> Iterable[tuple[Any, ...]]:
        """Every row of every table, in a fixed order, for comparing versions."""
        for base in self.tables:
            for row in tx.fetchall(
                "SELECT * FROM {t} ORDER BY 1, 2", t=self.table(base)
            ):
                yield (base, *row)


def checksum(rows: Iterable[tuple[Any, ...]]) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        count += 1
        digest.update(repr(tuple(normalise(v) for v in row)).encode())
    return count, digest.hexdigest()


def normalise(value: Any) -> Any:
    """The same value reads back alike from either store."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value


class RowBatch:
    """A batch's working set of one table's rows, keyed by one column: read once
    with one query, changed in memory by the event handlers, written back with
    one upsert per changed row at the end of the batch (same transaction)."""

    def __init__(self, table: str, key: str, columns: Sequence[str]) -> None:
        self.table = table
        self.key = key
        self.columns = tuple(columns)
        self.rows: dict[Any, dict[str, Any]] = {}
        self.dirty: set[Any] = set()

    def load(self, tx: Tx, keys: Iterable[Any], *, dialect: str) -> None:
        self.rows.clear()
        self.dirty.clear()
        wanted = list(dict.fromkeys(keys))
        select = ", ".join(self.columns)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            if dialect == "postgres":
                where, params = f"{self.key} = ANY(%s)", [chunk]
            else:
                where = f"{self.key} IN ({', '.join(['%s'] * len(chunk))})"
                params = chunk
            for row in tx.fetchall(
                "SELECT " + select + " FROM {t} WHERE " + where, params, t=self.table
            ):
                record = dict(zip(self.columns, row, strict=True))
                self.rows[record[self.key]] = record

    def get(self, key: Any) -> dict[str, Any] | None:
        return self.rows.get(key)

    def put(self, row: dict[str, Any]) -> None:
        key = row[self.key]
        self.rows[key] = row
        self.dirty.add(key)

    def flush(self, tx: Tx) -> None:
        if not self.dirty:
            return
        names = ", ".join(self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        updates = ", ".join(
            f"{c} = excluded.{c}" for c in self.columns if c != self.key
        )
        tx.executemany(
            "INSERT INTO {t} (" + names + ") VALUES (" + marks + ")"
            " ON CONFLICT (" + self.key + ") DO UPDATE SET " + updates,
            [[self.rows[k][c] for c in self.columns] for k in self.dirty],
            t=self.table,
        )
        self.dirty.clear()


def chunked(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    """``values`` without repeats, in their order, in lists of at most ``size``."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), size):
        yield wanted[start : start + size]


def where_in(tx: Tx, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """A condition "``column`` is one of ``values``" in ``tx``'s dialect, and its
    parameters (one array on PostgreSQL, so the statement stays the same)."""
    if isinstance(tx, SQLiteTx):
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
    return f"{column} = ANY(%s)", [list(values)]


def select_in(
    tx: Tx, table: str, columns: Sequence[str], key: str, values: Iterable[Any]
) -> list[dict[str, Any]]:
    """The rows of ``table`` whose ``key`` is one of ``values`` (any number of them:
    one query per 500), each as a dict of ``columns``."""
    select = "SELECT " + ", ".join(columns) + " FROM {t} WHERE "
    found: list[dict[str, Any]] = []
    for chunk in chunked(values):
        condition, params = where_in(tx, key, chunk)
        found.extend(
            dict(zip(columns, row, strict=True))
            for row in tx.fetchall(select + condition, params, t=table)
        )
    return found


def columns_of(tx: Tx, table: str) -> set[str]:
    """The names of a table's columns (a catalogue lookup)."""
    if isinstance(tx, SQLiteTx):
        return {r[1] for r in tx.fetchall("PRAGMA table_info({t})", t=table)}
    # (pg_attribute: a millisecond; information_schema takes twenty.)
    return {
        r[0]
        for r in tx.fetchall(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s)"
            " AND attnum > 0 AND NOT attisdropped",
            (table,),
        )
    }


def table_exists(tx: Tx, table: str) -> bool:
    """Whether the table exists (a catalogue lookup: a fraction of a ms)."""
    if isinstance(tx, SQLiteTx):
        row = tx.fetchone(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s",
            (table,),
        )
    else:
        row = tx.fetchone("SELECT to_regclass(%s)", (table,))
    return row is not None and row[0] is not None


def add_to_counters(
    tx: Tx, table: str, columns: Sequence[str], change: Mapping[tuple[Any, ...], int]
) -> None:
    """Add each key's change to its counter row (``columns`` then ``n``); a
    counter down to 0 goes, so the table holds the same rows however the
    events were batched."""
    added = [(*k, n) for k, n in change.items() if n]
    if not added:
        return
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * (len(columns) + 1))
    tx.executemany(
        f"INSERT INTO {{t}} ({names}, n) VALUES ({marks})"
        f" ON CONFLICT ({names}) DO UPDATE SET n = {{t}}.n + excluded.n",
        added,
        t=table,
    )
    lowered = [k for k, n in change.items() if n < 0]
    tx.executemany(
        "DELETE FROM {t} WHERE "
        + " AND ".join(f"{c} = %s" for c in columns)
        + " AND n = 0",
        lowered,
        t=table,
    )


def insert_rows(
    tx: Tx, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert new rows (in ``columns`` order) at once: with COPY on PostgreSQL, a
    fraction of the work of one INSERT per row; with executemany on SQLite.

    ``rows`` may be a generator: COPY sends rows as they come, so the server
    stores the first while the next are still being made."""
    if isinstance(tx, PostgresTx):
        statement = SQL("COPY {t} ({c}) FROM STDIN").format(
            t=Identifier(table), c=SQL(", ").join(Identifier(c) for c in columns)
        )
        with tx.conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    tx.executemany(
        "INSERT INTO {t} (" + ", ".join(columns) + ")"
        " VALUES (" + ", ".join(["%s"] * len(columns)) + ")",
        list(rows),
        t=table,
    )


if TYPE_CHECKING:
    _SingleDispatchMethod = singledispatchmethod[None]
else:  # not subscriptable at run time
    _SingleDispatchMethod = singledispatchmethod


class DispatchMethod(_SingleDispatchMethod):
    """``functools.singledispatchmethod`` (handlers registered the same way, with
    ``@handle.register``) that binds once per projection instead of once per
    call: the runner calls ``handle`` for every event, and the standard method
    builds a new wrapper each time (``update_wrapper``), several times the cost
    of the dispatch itself. The handler for each event class is looked up once."""

    attrname = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.attrname = name

    def __get__(self, obj: Any, cls: type[Any] | None = None) -> Callable[..., None]:
        if obj is None or not self.attrname:
            return super().__get__(obj, cls)
        dispatch = self.dispatcher.dispatch
        bound: dict[type[Any], Callable[..., None]] = {}

        def method(event: Any, /, *args: Any, **kwargs: Any) -> None:
            kind = event.__class__
            handler = bound.get(kind)
            if handler is None:
                handler = bound[kind] = dispatch(kind).__get__(obj, cls)
            handler(event, *args, **kwargs)

        # An instance attribute from now on: found before this descriptor.
        obj.__dict__[self.attrname] = method
        return method
