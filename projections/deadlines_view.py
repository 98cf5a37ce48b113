"""The deadlines read model's queries: one case's clocks, the clocks missed or at
risk, and counts per clock and state, on the tables ``projections.deadlines``
keeps (their shape and indexes: ``projections.deadlines_tables``).

The counts of open cases' clocks are the counters' sums, and the watch list
reads the clock rows' own open flag; on a version that has gained neither yet
(no worker of this code has run it) both join each clock with its case, as
before, more slowly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.deadlines import ClockState
from projections.base import versioned_tables
from projections.codecs import day_from_iso, iso_day
from projections.deadlines_tables import TABLES, TO_WATCH_SQL, has_counters
from storage.db import Tx

# The clocks in the order compute_deadlines gives them.
CLOCKS = ("intake", "first_contact", "thuiszitter_3_months", "gpo_window")


@dataclass(frozen=True)
class ClockRow:
    """One clock of one case as the read model holds it."""

    case_id: str
    reference: str
    clock: str
    started_on: date
    due: date | None
    met_on: date | None
    state: ClockState
    region: str
    consultant_id: str | None
    case_open: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "reference": self.reference,
            "clock": self.clock,
            "started_on": self.started_on.isoformat(),
            "due": iso_day(self.due),
            "met_on": iso_day(self.met_on),
            "state": str(self.state),
            "region": self.region,
            "consultant_id": self.consultant_id,
            "case_open": self.case_open,
        }


_SELECT = (
    "SELECT d.case_id, c.reference, d.clock, d.started_on, d.due, d.met_on,"
    " d.state, d.region, d.consultant_id, c.is_open"
    " FROM {d} d JOIN {c} c ON c.case_id = d.case_id"
)
# A version made before the clocks had the open flag: the same, by the case's.
TO_WATCH_JOINED_SQL = TO_WATCH_SQL.replace("d.is_open", "c.is_open")


def _row(r: tuple[Any, ...]) -> ClockRow:
    day = day_from_iso
    started_on = day(r[3])
    assert started_on is not None
    return ClockRow(
        case_id=str(r[0]),
        reference=str(r[1]),
        clock=str(r[2]),
        started_on=started_on,
        due=day(r[4]),
        met_on=day(r[5]),
        state=ClockState(r[6]),
        region=str(r[7]),
        consultant_id=None if r[8] is None else str(r[8]),
        case_open=bool(r[9]),
    )


class DeadlinesView:
    """Queries on one version of the deadlines read model."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        """``tables``: each base name of DeadlinesProjection.tables to its table."""
        self.tables = dict(tables)
        self.cases = tables["deadline_cases"]
        self.deadlines = tables["deadlines"]
        self.counters = tables["deadline_counts"]
        self._counted: bool | None = None

    def _kept(self, tx: Tx) -> bool:
        """Whether this version keeps its counters and the clocks' open flag
        (asked once)."""
        if self._counted is None:
            self._counted = has_counters(tx, self.tables)
        return self._counted

    @classmethod
    def for_version(cls, version: int) -> DeadlinesView:
        return cls(versioned_tables(TABLES, version))

    def _fetch(
        self, tx: Tx, where: Iterable[str], params: list[Any], tail: str = ""
    ) -> list[ClockRow]:
        sql = _SELECT
        conditions = list(where)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        rows = tx.fetchall(sql + tail, params, d=self.deadlines, c=self.cases)
        return [_row(r) for r in rows]

    def for_case(self, tx: Tx, case_id: str | UUID) -> list[ClockRow]:
        """The case's clocks in their fixed order; empty for an unknown case."""
        rows = self._fetch(tx, ["d.case_id = %s"], [str(case_id)])
        return sorted(rows, key=lambda r: CLOCKS.index(r.clock))

    def missed_or_at_risk(
        self,
        tx: Tx,
        *,
        region: str | None = None,
        consultant_id: str | UUID | None = None,
        limit: int = 100,
    ) -> list[ClockRow]:
        """Open cases' clocks still waiting for their event that are missed or
        about to be, earliest due first (so the longest overdue lead). A clock
        whose event came too late stays missed, but needs no one's action."""
        where = [TO_WATCH_SQL if self._kept(tx) else TO_WATCH_JOINED_SQL]
        params: list[Any] = []
        if region is not None:
            where.append("d.region = %s")
            params.append(region)
        if consultant_id is not None:
            where.append("d.consultant_id = %s")
            params.append(str(consultant_id))
        params.append(limit)
        return self._fetch(
            tx, where, params, " ORDER BY d.due, d.case_id, d.clock LIMIT %s"
        )

    def counts(
        self, tx: Tx, region: str | None = None, *, open_only: bool = True
    ) -> dict[str, dict[str, int]]:
        """Clocks per name and state, every name and state present (zero when none).

        Open cases only unless ``open_only`` is False: the clocks of ended cases
        stay (met or missed) for the record, but are no longer watched.
        """
        where: list[str] = []
        params: list[Any] = []
        sql = "SELECT d.clock, d.state, COUNT(*) FROM {d} d"
        if open_only and self._kept(tx):
            sql = "SELECT d.clock, d.state, SUM(d.n) FROM {k} d"
        elif open_only:
            sql += " JOIN {c} c ON c.case_id = d.case_id"
            where.append("c.is_open = 1")
        if region is not None:
            where.append("d.region = %s")
            params.append(region)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY d.clock, d.state"
        found = tx.fetchall(
            sql, params, d=self.deadlines, c=self.cases, k=self.counters
        )
        counts = {name: {str(s): 0 for s in ClockState} for name in CLOCKS}
        for clock, state, n in found:
            counts.setdefault(str(clock), {str(s): 0 for s in ClockState})
            counts[str(clock)][str(state)] = int(n)
        return counts
