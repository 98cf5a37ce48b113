"""The workload read model: each consultant's open cases against their capacity.

A case counts as open work for its consultant from its assignment until it is
closed or withdrawn, suspended or not. A reopened case waits for a new
assignment and counts for nobody until then. A consultant's ``open_cases`` is
recounted from the case rows whenever one of their cases changes (once per
batch of events, after its case rows are written), so it can never drift from
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.consultant import Consultant
from projections.base import (
    DispatchMethod,
    Projection,
    RowBatch,
    chunked,
    select_in,
    where_in,
)
from storage.db import Database, Tx

# The fields of Consultant.Updated kept as they are, each its column's name. Only
# these names are put into the SQL, never a key taken from the event unchecked.
UPDATABLE = ("name", "region", "capacity")
# The columns of the two tables, in order.
CONSULTANT_COLUMNS = (
    "consultant_id",
    "name",
    "region",
    "kind",
    "capacity",
    "active",
    "open_cases",
    "version",
    "position",
    "updated_at",
)
CASE_COLUMNS = (
    "case_id",
    "consultant_id",
    "open_work",
    "region",
    "service",
    "version",
    "position",
    "updated_at",
)
CONSULTANT_EVENTS = (Consultant.Event, Consultant.Registered)
CASE_EVENTS = (Case.Event, Case.Registered)


class WorkloadProjection(Projection):
    """Maintains ``workload_consultants_v<N>`` and ``workload_cases_v<N>``."""

    name = "workload"
    tables = ("workload_consultants", "workload_cases")

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self._start_batch()

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

    # --- the batch's working set -----------------------------------------------------

    def _start_batch(self) -> None:
        self._consultants = RowBatch(
            self.table("workload_consultants"), "consultant_id", CONSULTANT_COLUMNS
        )
        self._cases = RowBatch(self.table("workload_cases"), "case_id", CASE_COLUMNS)
        # The ids read so far in this batch (found or not).
        self._loaded_consultants: set[str] = set()
        self._loaded_cases: set[str] = set()
        # The consultants whose open cases are to be recounted at the batch's end:
        # whether they were there when their cases last changed (a recount of a
        # consultant not yet registered changes nothing).
        self._recount: dict[str, bool] = {}

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        """Read the batch's cases, then their consultants and the batch's, each
        table with one query."""
        self._start_batch()
        consultants: list[str] = []
        cases: list[str] = []
        for e in events:
            if isinstance(e, CONSULTANT_EVENTS):
                consultants.append(str(e.originator_id))
            elif isinstance(e, CASE_EVENTS):
                cases.append(str(e.originator_id))
                if isinstance(e, Case.Assigned):
                    consultants.append(str(e.consultant_id))
        self._load_cases(tx, cases)
        consultants.extend(
            str(row["consultant_id"])
            for row in self._cases.rows.values()
            if row["consultant_id"] is not None
        )
        self._load_consultants(tx, consultants)

    def _load_cases(self, tx: Tx, case_ids: Iterable[str]) -> None:
        wanted = [c for c in dict.fromkeys(case_ids) if c not in self._loaded_cases]
        self._loaded_cases.update(wanted)
        table = self.table("workload_cases")
        for row in select_in(tx, table, CASE_COLUMNS, "case_id", wanted):
            self._cases.rows[row["case_id"]] = row

    def _load_consultants(self, tx: Tx, consultant_ids: Iterable[str]) -> None:
        loaded = self._loaded_consultants
        wanted = [c for c in dict.fromkeys(consultant_ids) if c not in loaded]
        loaded.update(wanted)
        table = self.table("workload_consultants")
        for row in select_in(tx, table, CONSULTANT_COLUMNS, "consultant_id", wanted):
            self._consultants.rows[row["consultant_id"]] = row

    def _case(self, tx: Tx, case_id: str) -> dict[str, Any] | None:
        if case_id not in self._loaded_cases:  # an event handled outside a batch
            self._load_cases(tx, [case_id])
        return self._cases.get(case_id)

    def _consultant(self, tx: Tx, consultant_id: str) -> dict[str, Any] | None:
        if consultant_id not in self._loaded_consultants:
            self._load_consultants(tx, [consultant_id])
        return self._consultants.get(consultant_id)

    def end_batch(self, tx: Tx) -> None:
        """Write the cases, then recount the open cases of each consultant whose
        cases changed (once, from the case rows), then write the consultants."""
        self._cases.flush(tx)
        recount = [c for c, there in self._recount.items() if there]
        counts = dict.fromkeys(recount, 0)
        for chunk in chunked(recount):
            condition, params = where_in(tx, "consultant_id", chunk)
            for consultant_id, n in tx.fetchall(
                "SELECT consultant_id, COUNT(*) FROM {w}"
                " WHERE open_work = 1 AND " + condition + " GROUP BY consultant_id",
                params,
                w=self.table("workload_cases"),
            ):
                counts[str(consultant_id)] = int(n)
        for consultant_id, n in counts.items():
            row = self._consultants.rows[consultant_id]
            if row["open_cases"] != n:
                row["open_cases"] = n
                self._consultants.put(row)
        self._consultants.flush(tx)
        self._start_batch()

    # --- consultants ----------------------------------------------------------------

    @DispatchMethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Other events (intake, activities, suspensions) move no work."""

    @handle.register
    def _(self, event: Consultant.Registered, position: int, tx: Tx) -> None:
        consultant_id = str(event.originator_id)
        if self._consultant(tx, consultant_id) is not None:
            return
        self._consultants.put(
            {
                "consultant_id": consultant_id,
                "name": event.name,
                "region": event.region,
                "kind": event.kind,
                "capacity": event.capacity,
                "active": 1,
                "open_cases": 0,
                "version": event.originator_version,
                "position": position,
                "updated_at": event.timestamp.timestamp(),
            }
        )

    @handle.register
    def _(self, event: Consultant.Updated, position: int, tx: Tx) -> None:
        row = self._consultant(tx, str(event.originator_id))
        if row is None:
            return
        row.update({c: event.changes[c] for c in UPDATABLE if c in event.changes})
        if "active" in event.changes:
            row["active"] = 1 if event.changes["active"] else 0
        row["version"] = event.originator_version
        row["position"] = position
        row["updated_at"] = event.timestamp.timestamp()
        self._consultants.put(row)

    # --- cases ----------------------------------------------------------------------

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        case_id = str(event.originator_id)
        if self._case(tx, case_id) is not None:
            return
        self._cases.put(
            {
                "case_id": case_id,
                "consultant_id": None,
                "open_work": 0,
                "region": event.region,
                "service": event.service,
                "version": event.originator_version,
                "position": position,
                "updated_at": event.timestamp.timestamp(),
            }
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
        row = self._case(tx, str(event.originator_id))
        if row is not None:
            self._set_case(tx, event, position, row["consultant_id"], open_work=False)

    def _set_case(
        self,
        tx: Tx,
        event: Case.Event,
        position: int,
        consultant_id: str | None,
        *,
        open_work: bool,
    ) -> None:
        row = self._case(tx, str(event.originator_id))
        if row is None:
            return
        before = row["consultant_id"]
        row["consultant_id"] = consultant_id
        row["open_work"] = 1 if open_work else 0
        row["version"] = event.originator_version
        row["position"] = position
        row["updated_at"] = event.timestamp.timestamp()
        self._cases.put(row)
        for consultant in {before, consultant_id} - {None}:
            key = str(consultant)
            self._recount[key] = self._consultant(tx, key) is not None


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
