"""The deadlines read model's tables: their shape, their indexes, and what a
version made before the open flag and the counters gains when a worker first
sets it up.

Each clock row carries its case's open flag, and a counter per region, clock
and state counts the open cases' clocks, so that what the dashboard asks (the
open cases' clocks counted, the open ones missed or at risk) reads a few
counter rows and a partial index instead of joining every clock with its case.
The queries are in ``projections.deadlines_view``.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.deadlines import ClockState
from projections.base import columns_of, table_exists
from storage.db import Tx

TABLES = ("deadline_cases", "deadlines", "deadline_counts")
# What a counter counts the open cases' clocks by.
COUNT_KEY = ("region", "clock", "state")

# The clocks someone has to act on: an open case's, still waiting for their
# event, missed or about to be. Written out (no parameters) so that both stores
# see that a query with these conditions may read the partial index.
TO_WATCH_SQL = (
    "d.is_open = 1 AND d.met_on IS NULL"
    f" AND d.state IN ('{ClockState.MISSED}', '{ClockState.AT_RISK}')"
)
# The indexes a version made before the flag had, no longer read.
OBSOLETE_INDEXES = ("region_state", "consultant_id_state")


def create_tables(tx: Tx, tables: Mapping[str, str]) -> None:
    """Create one version's tables and their indexes (idempotent), and give a
    version made before the open flag and the counters both, from its rows;
    ``tables`` maps each base name to the version's table."""
    cases, deadlines = tables["deadline_cases"], tables["deadlines"]
    tx.execute(
        "CREATE TABLE IF NOT EXISTS {t} ("
        " case_id TEXT PRIMARY KEY,"
        " reference TEXT NOT NULL,"
        " region TEXT NOT NULL,"
        " consultant_id TEXT,"
        " is_open INTEGER NOT NULL,"
        " timeline TEXT NOT NULL,"
        " version INTEGER NOT NULL, position BIGINT NOT NULL,"
        " updated_at DOUBLE PRECISION NOT NULL)",
        t=cases,
    )
    tx.execute(
        "CREATE TABLE IF NOT EXISTS {t} ("
        " case_id TEXT NOT NULL,"
        " clock TEXT NOT NULL,"
        " started_on TEXT NOT NULL,"
        " due TEXT,"
        " met_on TEXT,"
        " state TEXT NOT NULL,"
        " region TEXT NOT NULL,"
        " consultant_id TEXT,"
        # (The default as a version made before the flag gains it; this code
        # writes the flag with every clock.)
        " is_open INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (case_id, clock))",
        t=deadlines,
    )
    add_open_flag(tx, cases, deadlines)
    indexes = {
        # The daily refresh: clocks by state and due date.
        f"{deadlines}_state_due": ("state, due", ""),
        # The counts of open cases' clocks (an index-only scan).
        f"{deadlines}_open": ("region, clock, state", " WHERE is_open = 1"),
        # The watch list, earliest due first, with what it filters on.
        f"{deadlines}_to_watch": (
            "due, case_id, clock, region, consultant_id",
            " WHERE " + TO_WATCH_SQL.replace("d.", ""),
        ),
    }
    for name, (columns, where) in indexes.items():
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + columns + ")" + where,
            t=deadlines,
            i=name,
        )
    counts = tables["deadline_counts"]
    if table_exists(tx, counts):
        return
    tx.execute(
        "CREATE TABLE {t} (region TEXT NOT NULL, clock TEXT NOT NULL,"
        " state TEXT NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (region, clock, state))",
        t=counts,
    )
    # (Nothing to count in a new version; a version made before, counted once.)
    tx.execute(
        "INSERT INTO {c} (region, clock, state, n)"
        " SELECT region, clock, state, COUNT(*) FROM {d} WHERE is_open = 1"
        " GROUP BY region, clock, state",
        c=counts,
        d=deadlines,
    )


def add_open_flag(tx: Tx, cases: str, deadlines: str) -> None:
    """Give the clock rows of a version made before the flag their case's open
    flag (the runner holds the read model's set-up lock meanwhile; workers of
    the code before must have stopped, or the clocks they write lack it)."""
    if "is_open" in columns_of(tx, deadlines):
        return
    tx.execute(
        "ALTER TABLE {t} ADD COLUMN is_open INTEGER NOT NULL DEFAULT 0", t=deadlines
    )
    tx.execute(
        "UPDATE {d} SET is_open = 1"
        " WHERE case_id IN (SELECT case_id FROM {c} WHERE is_open = 1)",
        d=deadlines,
        c=cases,
    )
    for name in OBSOLETE_INDEXES:
        tx.execute("DROP INDEX IF EXISTS {i}", i=f"{deadlines}_{name}")


def has_counters(tx: Tx, tables: Mapping[str, str]) -> bool:
    """Whether this version has its counters, and so its clocks' open flag (a
    version made before gains both when a worker first runs it)."""
    return table_exists(tx, tables["deadline_counts"])
