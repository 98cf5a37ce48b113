"""A read model for tests: one row per event position it was handed, so a second
handling of the same event breaks the primary key and a skipped one is missing."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any

from projections.base import Projection
from storage.db import Database, Tx


class ProbeProjection(Projection):
    name = "probe"
    tables = ("probe",)
    handles_all_events = True

    def create_tables(self, tx: Tx, db: Database) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} (position BIGINT PRIMARY KEY,"
            " originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL)",
            t=self.table("probe"),
        )

    @singledispatchmethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        tx.execute(
            "INSERT INTO {t} VALUES (%s, %s, %s)",
            (position, str(event.originator_id), event.originator_version),
            t=self.table("probe"),
        )

    def positions(self, tx: Tx) -> list[int]:
        rows = tx.fetchall("SELECT position FROM {t} ORDER BY 1", t=self.table("probe"))
        return [int(r[0]) for r in rows]
