"""The workload read model: each consultant's open cases against their capacity.

A case counts as open work for its consultant from its assignment until it is
closed or withdrawn, suspended or not. A reopened case waits for a new
assignment and counts for nobody until then. A consultant's ``open_cases`` is
recounted from the case rows whenever one of their cases changes, so it can
never drift from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.consultant import Consultant
from projections.base import Projection
from projections.db import Database, Tx

# The fields of Consultant.Updated kept as they are, each its column's name. Only
# these names are put into the SQL, never a key taken from the event unchecked.
UPDATABLE = ("name", "region", "capacity")


class WorkloadProjection(Projection):
    """Maintains ``workload_consultants_v<N>`` and ``workload_cases_v<N>``."""

    name = "workload"
    tables = ("workload_consultants", "workload_cases")

    def create_tables(self, tx: Tx, db: Database) -> None:
        consultants, cases = (
            self.table("workload_consultants"),
            self.table("workload_cases"),
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " consultant_id TEXT PRIMARY KEY,"
            " name TEXT NOT NULL,"
            " region TEXT NOT NULL,"
            " kind TEXT NOT NULL,"
            " capacity INTEGER NOT NULL,"
            " active INTEGER NOT NULL,"
            " open_cases INTEGER NOT NULL,"
            " version INTEGER NOT NULL, position BIGINT NOT NULL,"
            " updated_at DOUBLE PRECISION NOT NULL)",
            t=consultants,
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT PRIMARY KEY,"
            " consultant_id TEXT,"
            " open_work INTEGER NOT NULL,"
            " region TEXT NOT NULL,"
            " service TEXT NOT NULL,"
            " version INTEGER NOT NULL, position BIGINT NOT NULL,"
            " updated_at DOUBLE PRECISION NOT NULL)",
            t=cases,
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (consultant_id, open_work)",
            t=cases,
            i=f"{cases}_consultant_id_open_work",
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (region, kind)",
            t=consultants,
            i=f"{consultants}_region_kind",
        )

    # --- consultants ----------------------------------------------------------------

    @singledispatchmethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Other events (intake, activities, suspensions) move no work."""

    @handle.register
    def _(self, event: Consultant.Registered, position: int, tx: Tx) -> None:
        tx.execute(
            "INSERT INTO {t} (consultant_id, name, region, kind, capacity, active,"
            " open_cases, version, position, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, 1, 0, %s, %s, %s)"
            " ON CONFLICT (consultant_id) DO NOTHING",
            (
                str(event.originator_id),
                event.name,
                event.region,
                event.kind,
                event.capacity,
                event.originator_version,
                position,
                event.timestamp.timestamp(),
            ),
            t=self.table("workload_consultants"),
        )

    @handle.register
    def _(self, event: Consultant.Updated, position: int, tx: Tx) -> None:
        columns: dict[str, Any] = {
            c: event.changes[c] for c in UPDATABLE if c in event.changes
        }
        if "active" in event.changes:
            columns["active"] = 1 if event.changes["active"] else 0
        sets = "".join(f"{c} = %s, " for c in columns)
        tx.execute(
            "UPDATE {t} SET " + sets + "version = %s, position = %s, updated_at = %s"
            " WHERE consultant_id = %s",
            (
                *columns.values(),
                event.originator_version,
                position,
                event.timestamp.timestamp(),
                str(event.originator_id),
            ),
            t=self.table("workload_consultants"),
        )

    # --- cases ----------------------------------------------------------------------

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        tx.execute(
            "INSERT INTO {t} (case_id, consultant_id, open_work, region, service,"
            " version, position, updated_at) VALUES (%s, NULL, 0, %s, %s, %s, %s, %s)"
            " ON CONFLICT (case_id) DO NOTHING",
            (
                str(event.originator_id),
                event.region,
                event.service,
                event.originator_version,
                position,
                event.timestamp.timestamp(),
            ),
            t=self.table("workload_cases"),
        )

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        # Assignment is only allowed while awaiting assignment, assigned or in
        # mediation, so the case is open work from here on, now for the new one.
        self._set_case(tx, event, position, str(event.consultant_id), open_work=True)

    @handle.register
    def _(self, event: Case.Closed, position: int, tx: Tx) -> None:
        self._end_work(tx, event, position)

    @handle.register
    def _(self, event: Case.Withdrawn, position: int, tx: Tx) -> None:
        self._end_work(tx, event, position)

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        self._set_case(tx, event, position, None, open_work=False)

    def _end_work(self, tx: Tx, event: Case.Event, position: int) -> None:
        """The case stops counting; its last consultant stays on its row."""
        row = self._case(tx, event)
        if row is not None:
            self._set_case(tx, event, position, row[0], open_work=False)

    def _case(self, tx: Tx, event: Case.Event) -> tuple[Any, ...] | None:
        return tx.fetchone(
            "SELECT consultant_id, open_work FROM {t} WHERE case_id = %s",
            (str(event.originator_id),),
            t=self.table("workload_cases"),
        )

    def _set_case(
        self,
        tx: Tx,
        event: Case.Event,
        position: int,
        consultant_id: str | None,
        *,
        open_work: bool,
    ) -> None:
        row = self._case(tx, event)
        if row is None:
            return
        tx.execute(
            "UPDATE {t} SET consultant_id = %s, open_work = %s, version = %s,"
            " position = %s, updated_at = %s WHERE case_id = %s",
            (
                consultant_id,
                1 if open_work else 0,
                event.originator_version,
                position,
                event.timestamp.timestamp(),
                str(event.originator_id),
            ),
            t=self.table("workload_cases"),
        )
        for consultant in {row[0], consultant_id} - {None}:
            self._recount(tx, str(consultant))

    def _recount(self, tx: Tx, consultant_id: str) -> None:
        tx.execute(
            "UPDATE {c} SET open_cases = (SELECT COUNT(*) FROM {w}"
            " WHERE consultant_id = %s AND open_work = 1) WHERE consultant_id = %s",
            (consultant_id, consultant_id),
            c=self.table("workload_consultants"),
            w=self.table("workload_cases"),
        )


# --- queries ------------------------------------------------------------------------


def utilisation(open_cases: int, capacity: int) -> float | None:
    """Open cases per unit of capacity; None when there is no capacity to fill."""
    return open_cases / capacity if capacity > 0 else None


_COLUMNS = "consultant_id, name, region, kind, capacity, active, open_cases"


def _consultant(r: tuple[Any, ...]) -> dict[str, Any]:
    capacity, open_cases = int(r[4]), int(r[6])
    return {
        "id": str(r[0]),
        "name": str(r[1]),
        "region": str(r[2]),
        "kind": str(r[3]),
        "capacity": capacity,
        "active": bool(r[5]),
        "open_cases": open_cases,
        "utilisation": utilisation(open_cases, capacity),
    }


def _totals() -> dict[str, Any]:
    return {"consultants": 0, "capacity": 0, "open_cases": 0, "utilisation": None}


def _add(totals: dict[str, Any], consultants: int, capacity: int, open_: int) -> None:
    totals["consultants"] += consultants
    totals["capacity"] += capacity
    totals["open_cases"] += open_
    totals["utilisation"] = utilisation(totals["open_cases"], totals["capacity"])


class WorkloadView:
    """Queries on one version of the workload read model."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        """``tables``: each base name of WorkloadProjection.tables to its table."""
        self.consultants_table = tables["workload_consultants"]
        self.cases_table = tables["workload_cases"]

    @classmethod
    def for_version(cls, version: int) -> WorkloadView:
        projection = WorkloadProjection(version)
        return cls({base: projection.table(base) for base in projection.tables})

    def consultants(
        self,
        tx: Tx,
        *,
        region: str | None = None,
        kind: str | None = None,
        active: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Consultants by region, then name, each with open cases and utilisation."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("region", region), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(str(value))
        if active is not None:
            where.append("active = %s")
            params.append(1 if active else 0)
        sql = "SELECT " + _COLUMNS + " FROM {t}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY region, name, consultant_id"
        rows = tx.fetchall(sql, params, t=self.consultants_table)
        return [_consultant(r) for r in rows]

    def consultant(self, tx: Tx, consultant_id: str | UUID) -> dict[str, Any] | None:
        row = tx.fetchone(
            "SELECT " + _COLUMNS + " FROM {t} WHERE consultant_id = %s",
            (str(consultant_id),),
            t=self.consultants_table,
        )
        return _consultant(row) if row else None

    def by_region(self, tx: Tx) -> dict[str, dict[str, Any]]:
        """Per consultants' region: active consultants, their capacity, and the open
        cases of all its consultants (a deactivated one may still hold some),
        in total and per kind of consultant."""
        rows = tx.fetchall(
            "SELECT region, kind, SUM(active),"
            " SUM(CASE WHEN active = 1 THEN capacity ELSE 0 END), SUM(open_cases)"
            " FROM {t} GROUP BY region, kind ORDER BY region, kind",
            t=self.consultants_table,
        )
        regions: dict[str, dict[str, Any]] = {}
        for region, kind, consultants, capacity, open_cases in rows:
            summary = regions.setdefault(str(region), {**_totals(), "kinds": {}})
            counts = (int(consultants), int(capacity), int(open_cases))
            _add(summary, *counts)
            _add(summary["kinds"].setdefault(str(kind), _totals()), *counts)
        return regions


WorkloadProjection.view_class = WorkloadView
