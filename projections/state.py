"""The ``projection_state`` table: every statement on it, for the others to call.

One row per projection and version: the log position that version has processed
and its status (``building`` while a rebuild fills it, ``serving`` for the one
readers use, ``retired`` once a rebuild replaced it). A runner's batch moves the
position in the transaction that writes its rows, so the row is also the lock
that keeps two runners (or a rebuild's switch, or the deadline refresh) from
interleaving on one version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.db import Database, PostgresTx, Tx
from storage.outage import table_missing

SERVING = "serving"
BUILDING = "building"
RETIRED = "retired"

STATE_TABLE = "projection_state"


def create_state_table(db: Database) -> None:
    """Create the table if it is not there (idempotent; one process at a time:
    ``Tx.lock_for_creating``)."""
    with db.transaction() as tx:
        tx.lock_for_creating(STATE_TABLE)
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            "name TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL,"
            " status TEXT NOT NULL, caught_up_at TEXT,"
            " PRIMARY KEY (name, version))",
            t=STATE_TABLE,
        )


def _for_update(tx: Tx) -> str:
    """Row locks where the store has them (SQLite serialises writers anyway)."""
    return " FOR UPDATE" if isinstance(tx, PostgresTx) else ""


# --- one version's row ----------------------------------------------------------


def insert_state(tx: Tx, name: str, version: int, status: str) -> None:
    """A new version's row, at position 0."""
    tx.execute(
        "INSERT INTO {t} (name, version, position, status) VALUES (%s, %s, 0, %s)",
        (name, version, status),
        t=STATE_TABLE,
    )


def _version_row(
    tx: Tx, columns: str, name: str, version: int, *, lock: bool
) -> tuple[Any, ...] | None:
    return tx.fetchone(
        "SELECT "
        + columns
        + " FROM {t} WHERE name = %s AND version = %s"
        + (_for_update(tx) if lock else ""),
        (name, version),
        t=STATE_TABLE,
    )


def position_of(tx: Tx, name: str, version: int, *, lock: bool = False) -> int | None:
    """The position a version has processed (None: no such version); with
    ``lock``, its row is held until the transaction ends."""
    row = _version_row(tx, "position", name, version, lock=lock)
    return int(row[0]) if row else None


def tracked(tx: Tx, name: str, version: int) -> tuple[int, str] | None:
    """A version's position and status, its row locked until the transaction
    ends (what a runner checks before it applies a batch)."""
    row = _version_row(tx, "position, status", name, version, lock=True)
    return (int(row[0]), str(row[1])) if row else None


def set_position(tx: Tx, name: str, version: int, position: int) -> None:
    tx.execute(
        "UPDATE {t} SET position = %s WHERE name = %s AND version = %s",
        (position, name, version),
        t=STATE_TABLE,
    )


def hold(tx: Tx, name: str, version: int) -> None:
    """Lock a version's row without changing it (a no-op update: it locks on
    PostgreSQL and is harmless on SQLite, where writers are serialised anyway),
    so that no runner applies a batch to that version meanwhile."""
    tx.execute(
        "UPDATE {t} SET position = position WHERE name = %s AND version = %s",
        (name, version),
        t=STATE_TABLE,
    )


def set_status(tx: Tx, name: str, version: int, status: str) -> None:
    tx.execute(
        "UPDATE {t} SET status = %s WHERE name = %s AND version = %s",
        (status, name, version),
        t=STATE_TABLE,
    )


def delete_state(tx: Tx, name: str, version: int) -> None:
    tx.execute(
        "DELETE FROM {t} WHERE name = %s AND version = %s",
        (name, version),
        t=STATE_TABLE,
    )


# --- a projection's versions ----------------------------------------------------


def serving_version(tx: Tx, name: str) -> int | None:
    """The version readers use (None: none built yet)."""
    row = tx.fetchone(
        "SELECT version FROM {t} WHERE name = %s AND status = %s",
        (name, SERVING),
        t=STATE_TABLE,
    )
    return int(row[0]) if row else None


def read_serving_version(db: Database, name: str) -> int | None:
    """``serving_version`` in a read transaction of its own; None also while the
    table does not exist (no worker has set the read models up yet)."""
    try:
        with db.reading() as tx:
            return serving_version(tx, name)
    except Exception as error:
        if not table_missing(error):
            raise
        return None


def next_version(tx: Tx, name: str) -> int:
    """The number a new version of ``name`` takes: one past the highest so far."""
    row = tx.fetchone(
        "SELECT MAX(version) FROM {t} WHERE name = %s", (name,), t=STATE_TABLE
    )
    return int(row[0]) + 1 if row and row[0] is not None else 1


def versions_with(tx: Tx, name: str, status: str) -> list[int]:
    rows = tx.fetchall(
        "SELECT version FROM {t} WHERE name = %s AND status = %s",
        (name, status),
        t=STATE_TABLE,
    )
    return [int(r[0]) for r in rows]


# --- every projection -----------------------------------------------------------


def positions(db: Database) -> list[tuple[str, int, int, str]]:
    """(name, version, position, status) of every projection version."""
    create_state_table(db)
    with db.reading() as tx:
        rows = tx.fetchall(
            "SELECT name, version, position, status FROM {t} ORDER BY name, version",
            t=STATE_TABLE,
        )
    return [(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]


def serving_positions(tx: Tx, names: Sequence[str]) -> dict[str, int]:
    """The position of each named projection's serving version (absent: none)."""
    if not names:
        return {}
    marks = ", ".join(["%s"] * len(names))
    rows = tx.fetchall(
        "SELECT name, position FROM {t} WHERE status = %s AND name IN (" + marks + ")",
        (SERVING, *names),
        t=STATE_TABLE,
    )
    return {str(r[0]): int(r[1]) for r in rows}
