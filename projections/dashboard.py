"""The dashboard read model: the figures coordinators see for a school year, now or
as they stood at any past moment, from per-case facts and status intervals.

Two tables, no personal data:

- ``dashboard_cases``: one row per case with its fixed facts (region, sector, ...),
  its first milestones (intake, assignment, first contact) with the calendar days
  they took from registration, and its current state.
- ``dashboard_status``: one row per span of time in which a case's state (status,
  consultant, outcome) stayed the same: ``valid_from`` up to ``valid_to`` (NULL
  while current). A case's intervals tile its life without gaps, so "the state at
  moment t" is the one interval with ``valid_from <= t < valid_to``; the case's
  fixed facts are copied in, so the figures as of any moment come from this table
  alone, without replaying the log.

Timestamps are epoch seconds (the moment an event was recorded); days are
Europe/Amsterdam calendar days, as for the deadline clocks. A figure as of a
moment uses only facts recorded at or before it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import singledispatchmethod
from typing import Any

from domain.case import AMSTERDAM, Case, local_date
from domain.deadlines import THUISZITTER_MONTHS, add_months
from domain.values import (
    OPEN_STATUSES,
    Category,
    EducationStatus,
    IntakeDecision,
    Outcome,
    Region,
    RequesterRole,
    Sector,
    Service,
    Status,
)
from projections.base import Projection
from projections.db import Database, Tx

# --- school years and percentiles (pure) ------------------------------------------

SCHOOL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")


def school_year_of(day: date) -> str:
    """The school year (1 August to 31 July) a day falls in, such as "2026-2027"."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


def school_year_bounds(label: str) -> tuple[date, date]:
    """The first and the last day (1 August, 31 July) of a school year "YYYY-YYYY"."""
    match = SCHOOL_YEAR.fullmatch(label) if isinstance(label, str) else None
    if match is None or int(match[2]) != int(match[1]) + 1 or int(match[1]) < 1:
        raise ValueError(
            f"school year {label!r} is not two consecutive years written as "
            "'YYYY-YYYY', such as '2026-2027'"
        )
    first = int(match[1])
    return date(first, 8, 1), date(first + 1, 7, 31)


def percentile(counts: Mapping[int, int], p: int) -> float | None:
    """The p-th percentile of values given as value -> how often; None when empty.

    Linear interpolation between the closest ranks (Excel's PERCENTILE.INC,
    PostgreSQL's percentile_cont, numpy's default): the median of an even number
    of values is the mean of the middle two. Computed exactly, then made a float.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not between 0 and 100")
    items = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in items)
    if total == 0:
        return None
    rank = Fraction((total - 1) * p, 100)
    lower = int(rank)
    low = _nth(items, lower)
    if rank == lower:
        return float(low)
    return float(low + (rank - lower) * (_nth(items, lower + 1) - low))


def _nth(items: list[tuple[int, int]], index: int) -> int:
    """The value at 0-based ``index`` of the sorted values a histogram stands for."""
    seen = 0
    for value, n in items:
        seen += n
        if index < seen:
            return value
    raise IndexError(index)


def duration_summary(counts: Mapping[int, int]) -> dict[str, Any]:
    """How many, and the median and 90th percentile, of durations in days."""
    return {
        "count": sum(counts.values()),
        "median_days": percentile(counts, 50),
        "p90_days": percentile(counts, 90),
    }


# --- the projection -----------------------------------------------------------------

OPEN = tuple(sorted(str(s) for s in OPEN_STATUSES))
# Written out (not as parameters) so that the partial indexes apply.
OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"
INTAKE_STATUS = {
    IntakeDecision.ADMISSIBLE: Status.AWAITING_ASSIGNMENT,
    IntakeDecision.NOT_ADMISSIBLE: Status.NOT_ADMISSIBLE,
    IntakeDecision.REFERRED: Status.REFERRED,
}
# The facts fixed at registration, copied into every status interval.
FIXED = (
    "registered_at",
    "region",
    "sector",
    "category",
    "requester_role",
    "service",
    "at_home_since",
)


# Leaves a part of the state as it was (None is a value: "no consultant").
_KEEP: Any = object()


@dataclass(frozen=True)
class _CaseRow:
    """What a handler needs of a case's row."""

    case_id: str
    fixed: tuple[Any, ...]  # the FIXED columns, in order
    registered_on: date
    status: str
    consultant_id: str | None
    outcome: str | None
    education_status: str | None
    status_before_suspension: str | None
    first_assigned_at: float | None
    first_contact_at: float | None
    reopenings: int


class DashboardProjection(Projection):
    """Maintains ``dashboard_cases_v<N>`` and ``dashboard_status_v<N>``.

    Durations count the first intake, first assignment and first contact ever
    (a reopening does not restart them); the time to closing counts the latest
    closing, and ``closed_at`` keeps the latest closing through a reopening
    while ``ended_at``, ``outcome`` and ``education_status`` describe the
    current ending only (cleared on reopening, as the aggregate does).
    """

    name = "dashboard"
    tables = ("dashboard_cases", "dashboard_status")
    needs_personal_data = False

    def create_tables(self, tx: Tx, db: Database) -> None:
        cases, status = self.table("dashboard_cases"), self.table("dashboard_status")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT PRIMARY KEY,"
            " registered_at DOUBLE PRECISION NOT NULL, registered_on TEXT NOT NULL,"
            " region TEXT NOT NULL, sector TEXT NOT NULL, category TEXT NOT NULL,"
            " requester_role TEXT NOT NULL, service TEXT NOT NULL,"
            " at_home_since TEXT,"
            " intake_decision TEXT, intake_at DOUBLE PRECISION, days_to_intake INTEGER,"
            " first_assigned_at DOUBLE PRECISION, days_to_assignment INTEGER,"
            " first_contact_at DOUBLE PRECISION, first_contact_on TEXT,"
            " days_to_first_contact INTEGER,"
            " closed_at DOUBLE PRECISION, days_to_closing INTEGER,"
            " ended_at DOUBLE PRECISION, outcome TEXT, education_status TEXT,"
            " reopenings INTEGER NOT NULL DEFAULT 0,"
            " consultant_id TEXT, status TEXT NOT NULL,"
            " status_before_suspension TEXT,"
            " status_since DOUBLE PRECISION NOT NULL)",
            t=cases,
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT NOT NULL, version INTEGER NOT NULL,"
            " status TEXT NOT NULL, consultant_id TEXT,"
            " outcome TEXT, education_status TEXT,"
            " valid_from DOUBLE PRECISION NOT NULL, valid_to DOUBLE PRECISION,"
            " valid_from_on TEXT NOT NULL, days_from_registration INTEGER NOT NULL,"
            " registered_at DOUBLE PRECISION NOT NULL,"
            " region TEXT NOT NULL, sector TEXT NOT NULL, category TEXT NOT NULL,"
            " requester_role TEXT NOT NULL, service TEXT NOT NULL,"
            " at_home_since TEXT,"
            " PRIMARY KEY (case_id, version))",
            t=status,
        )
        # Each query reads one of these alone (an index-only scan): the
        # figures touch many rows, and a lookup in the table for each costs
        # several times the scan. Hence the long column lists.
        indexes = {
            f"{cases}_year": (
                cases,
                "registered_at, region, intake_at, days_to_intake, intake_decision,"
                " first_assigned_at, days_to_assignment,"
                " first_contact_at, days_to_first_contact",
                "",
            ),
            f"{status}_year": (
                status,
                "registered_at, valid_from, valid_to, region, sector, category,"
                " requester_role, service, status, outcome, education_status,"
                " days_from_registration",
                "",
            ),
            # The stock at a moment: the intervals of open cases that are
            # current, and those that ended after the moment. Two partial
            # indexes, which the stock query's conditions imply on both stores
            # (with one index over both, PostgreSQL misjudges and scans all).
            f"{status}_open_now": (
                status,
                "status, valid_from, registered_at, region, valid_from_on,"
                " category, at_home_since, consultant_id, valid_to",
                f" WHERE valid_to IS NULL AND {OPEN_SQL}",
            ),
            f"{status}_open_then": (
                status,
                "valid_to, status, valid_from, registered_at, region, valid_from_on,"
                " category, at_home_since, consultant_id",
                f" WHERE valid_to IS NOT NULL AND {OPEN_SQL}",
            ),
        }
        for name, (table, columns, where) in indexes.items():
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + columns + ")" + where,
                t=table,
                i=name,
            )

    @singledispatchmethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Other events change no figure: prerequisites recorded or waived (their
        end is PrerequisitesMet), consultants, references, and the erasure of
        personal data (the statistics stay)."""

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        at = event.timestamp.timestamp()
        on = local_date(event.timestamp)
        fixed = (
            at,
            event.region,
            event.sector,
            event.category,
            event.requester_role,
            event.service,
            event.at_home_since.isoformat() if event.at_home_since else None,
        )
        tx.execute(
            "INSERT INTO {t} (case_id, registered_on, status, status_since, "
            + ", ".join(FIXED)
            + ") VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (case_id) DO NOTHING",
            (
                str(event.originator_id),
                on.isoformat(),
                str(Status.REGISTERED),
                at,
                *fixed,
            ),
            t=self.table("dashboard_cases"),
        )
        self._open_interval(
            tx,
            str(event.originator_id),
            event,
            fixed,
            0,
            (str(Status.REGISTERED), None, None, None),
        )

    @handle.register
    def _(self, event: Case.PrerequisitesMet, position: int, tx: Tx) -> None:
        self._change(tx, event, status=Status.AWAITING_INTAKE)

    @handle.register
    def _(self, event: Case.IntakeDecided, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        decision = IntakeDecision(event.decision)
        at = event.timestamp.timestamp()
        columns: dict[str, Any] = {
            "intake_decision": str(decision),
            "intake_at": at,
            "days_to_intake": self._days(row, local_date(event.timestamp)),
        }
        if decision != IntakeDecision.ADMISSIBLE:
            columns["ended_at"] = at
        self._change(tx, event, row, status=INTAKE_STATUS[decision], **columns)

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        columns: dict[str, Any] = {}
        if row.first_assigned_at is None:
            columns["first_assigned_at"] = event.timestamp.timestamp()
            columns["days_to_assignment"] = self._days(row, local_date(event.timestamp))
        waiting = row.status == Status.AWAITING_ASSIGNMENT
        self._change(
            tx,
            event,
            row,
            status=Status.ASSIGNED if waiting else row.status,
            consultant_id=str(event.consultant_id),
            **columns,
        )

    @handle.register
    def _(self, event: Case.ActivityRecorded, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        columns: dict[str, Any] = {}
        if row.first_contact_at is None:
            # Known from the moment it was recorded; measured to the day the
            # contact took place, as the first-contact clock is.
            columns["first_contact_at"] = event.timestamp.timestamp()
            columns["first_contact_on"] = event.on.isoformat()
            columns["days_to_first_contact"] = self._days(row, event.on)
        assigned = row.status == Status.ASSIGNED
        self._change(
            tx,
            event,
            row,
            status=Status.IN_MEDIATION if assigned else row.status,
            **columns,
        )

    @handle.register
    def _(self, event: Case.Suspended, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        self._change(
            tx,
            event,
            row,
            status=Status.SUSPENDED,
            status_before_suspension=row.status,
        )

    @handle.register
    def _(self, event: Case.Resumed, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        self._change(
            tx,
            event,
            row,
            status=row.status_before_suspension or Status.ASSIGNED,
            status_before_suspension=None,
        )

    @handle.register
    def _(self, event: Case.Closed, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        at = event.timestamp.timestamp()
        self._change(
            tx,
            event,
            row,
            status=Status.CLOSED,
            outcome=event.outcome,
            education_status=event.education_status,
            closed_at=at,
            days_to_closing=self._days(row, local_date(event.timestamp)),
            ended_at=at,
        )

    @handle.register
    def _(self, event: Case.Withdrawn, position: int, tx: Tx) -> None:
        self._change(
            tx,
            event,
            status=Status.WITHDRAWN,
            status_before_suspension=None,
            ended_at=event.timestamp.timestamp(),
        )

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        row = self._row(tx, event)
        if row is None:
            return
        self._change(
            tx,
            event,
            row,
            status=Status.AWAITING_ASSIGNMENT,
            consultant_id=None,
            outcome=None,
            education_status=None,
            ended_at=None,
            reopenings=row.reopenings + 1,
        )

    # --- writing ------------------------------------------------------------------

    @staticmethod
    def _days(row: _CaseRow, day: date) -> int:
        return (day - row.registered_on).days

    def _row(self, tx: Tx, event: Any) -> _CaseRow | None:
        found = tx.fetchone(
            "SELECT case_id, registered_on, status, consultant_id, outcome,"
            " education_status, status_before_suspension, first_assigned_at,"
            " first_contact_at, reopenings, " + ", ".join(FIXED) + " FROM {t}"
            " WHERE case_id = %s",
            (str(event.originator_id),),
            t=self.table("dashboard_cases"),
        )
        if found is None:
            return None
        return _CaseRow(
            case_id=str(found[0]),
            fixed=tuple(found[10:]),
            registered_on=date.fromisoformat(found[1]),
            status=str(found[2]),
            consultant_id=found[3],
            outcome=found[4],
            education_status=found[5],
            status_before_suspension=found[6],
            first_assigned_at=found[7],
            first_contact_at=found[8],
            reopenings=int(found[9]),
        )

    def _change(
        self,
        tx: Tx,
        event: Any,
        row: _CaseRow | None = None,
        *,
        status: str,
        consultant_id: Any = _KEEP,
        outcome: Any = _KEEP,
        education_status: Any = _KEEP,
        **columns: Any,
    ) -> None:
        """Move the case to a new state: when status, consultant or outcome
        changed, close its current interval and open one from this event on;
        then update its row with the state and any other ``columns``."""
        row = row or self._row(tx, event)
        if row is None:
            return
        keep = _KEEP
        state: tuple[str, str | None, str | None, str | None] = (
            str(status),
            row.consultant_id if consultant_id is keep else consultant_id,
            row.outcome if outcome is keep else outcome,
            row.education_status if education_status is keep else education_status,
        )
        before = (row.status, row.consultant_id, row.outcome, row.education_status)
        if state != before:
            at = event.timestamp.timestamp()
            tx.execute(
                "UPDATE {t} SET valid_to = %s WHERE case_id = %s AND valid_to IS NULL",
                (at, row.case_id),
                t=self.table("dashboard_status"),
            )
            days = self._days(row, local_date(event.timestamp))
            self._open_interval(tx, row.case_id, event, row.fixed, days, state)
            columns["status_since"] = at
        columns.update(
            status=state[0],
            consultant_id=state[1],
            outcome=state[2],
            education_status=state[3],
        )
        tx.execute(
            "UPDATE {t} SET "
            + ", ".join(f"{c} = %s" for c in columns)
            + " WHERE case_id = %s",
            (*columns.values(), row.case_id),
            t=self.table("dashboard_cases"),
        )

    def _open_interval(
        self,
        tx: Tx,
        case_id: str,
        event: Any,
        fixed: tuple[Any, ...],
        days_from_registration: int,
        state: tuple[str, str | None, str | None, str | None],
    ) -> None:
        status, consultant_id, outcome, education_status = state
        tx.execute(
            "INSERT INTO {t} (case_id, version, status, consultant_id, outcome,"
            " education_status, valid_from, valid_to, valid_from_on,"
            " days_from_registration, " + ", ".join(FIXED) + ") VALUES (%s, %s, %s,"
            " %s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (case_id, version) DO NOTHING",
            (
                case_id,
                event.originator_version,
                status,
                consultant_id,
                outcome,
                education_status,
                event.timestamp.timestamp(),
                local_date(event.timestamp).isoformat(),
                days_from_registration,
                *fixed,
            ),
            t=self.table("dashboard_status"),
        )


# --- queries ------------------------------------------------------------------------

AT_MOMENT = "valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)"
IN_YEAR = "registered_at >= %s AND registered_at < %s AND registered_at <= %s"


def _local_midnight(day: date) -> float:
    return datetime.combine(day, time(), AMSTERDAM).timestamp()


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment


def _tally(known: Iterable[str], counts: Mapping[str | None, int]) -> dict[str, int]:
    """Every known value (0 when absent) in a fixed order, then any other seen."""
    result = dict.fromkeys(known, 0)
    for key, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        if key is not None:
            result[key] = result.get(key, 0) + n
    return result


class DashboardView:
    """The figures of one school year on the serving version's tables.

    ``tables`` maps each base name ("dashboard_cases", "dashboard_status") to
    the versioned table to read; ``DashboardView.of(version)`` builds it.
    """

    def __init__(self, tables: Mapping[str, str]) -> None:
        self.cases = tables["dashboard_cases"]
        self.status = tables["dashboard_status"]

    @classmethod
    def of(cls, version: int) -> DashboardView:
        projection = DashboardProjection(version)
        return cls({base: projection.table(base) for base in projection.tables})

    def figures(
        self,
        tx: Tx,
        *,
        school_year: str,
        region: str | None = None,
        as_of: datetime | None = None,
        now: datetime,
        capacities: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """The school year's figures as they stood at ``as_of`` (default: now).

        The year's figures (registered, open, closed, the breakdowns, intake and
        closing outcomes, durations) count the cases registered in the school
        year up to that moment, each in the state it then had. The stock at
        that moment (waiting queue, thuiszitters, open cases per consultant)
        counts every case open then that was registered before the year's end,
        including cases carried over from earlier years. A moment later than
        ``now`` is taken as now. ``capacities`` (consultant id -> open cases
        they can hold, from the consultants' read model) is shown beside each
        consultant's open cases.
        """
        first, last = school_year_bounds(school_year)
        region = None if region is None else str(region)  # a Region is a str too
        now = _aware(now, "now")
        moment = now if as_of is None else min(_aware(as_of, "as_of"), now)
        t = moment.timestamp()
        today = local_date(moment)
        start, end = _local_midnight(first), _local_midnight(last + timedelta(days=1))
        where_region = "" if region is None else " AND region = %s"
        by_region: tuple[str, ...] = () if region is None else (region,)
        year = (start, end, t)

        figures: dict[str, Any] = {
            "school_year": school_year,
            "region": region,
            "period": {"start": first.isoformat(), "end": last.isoformat()},
            "as_of": moment.astimezone(UTC).isoformat(),
        }
        figures.update(self._year(tx, year, t, where_region, by_region))
        figures["durations"], figures["intake_outcomes"] = self._durations(
            tx, year, t, where_region, by_region
        )
        figures.update(
            self._stock(tx, t, end, today, where_region, by_region, capacities)
        )
        return figures

    def _year(
        self,
        tx: Tx,
        year: tuple[float, float, float],
        t: float,
        where_region: str,
        by_region: tuple[str, ...],
    ) -> dict[str, Any]:
        """The year's cases by their fixed facts and their state at the moment."""
        dimensions = ("region", "sector", "category", "requester_role", "service")
        state = ("status", "outcome", "education_status")
        columns = ", ".join(dimensions + state)
        rows = tx.fetchall(
            f"SELECT {columns}, COUNT(*) FROM {{s}}"
            f" WHERE {IN_YEAR} AND {AT_MOMENT}{where_region}"
            f" GROUP BY {columns}",
            (*year, t, t, *by_region),
            s=self.status,
        )
        tallies: dict[str, Counter[str | None]] = {
            c: Counter() for c in dimensions + state
        }
        for row in rows:
            n = int(row[-1])
            # Outcome and education status are set only while a case is closed.
            for column, value in zip(dimensions + state, row[:-1], strict=True):
                tallies[column][value] += n
        by_status = _tally((str(s) for s in Status), tallies["status"])
        return {
            "registered": sum(by_status.values()),
            "open": sum(by_status[s] for s in OPEN),
            "closed": by_status[Status.CLOSED],
            "ended": sum(n for s, n in by_status.items() if s not in OPEN),
            "by_status": by_status,
            "by_region": _tally((str(r) for r in Region), tallies["region"]),
            "by_sector": _tally((str(s) for s in Sector), tallies["sector"]),
            "by_category": _tally((str(c) for c in Category), tallies["category"]),
            "by_requester_role": _tally(
                (str(r) for r in RequesterRole), tallies["requester_role"]
            ),
            "by_service": _tally((str(s) for s in Service), tallies["service"]),
            "outcomes": _tally((str(o) for o in Outcome), tallies["outcome"]),
            "education_status_at_closing": _tally(
                (str(e) for e in EducationStatus), tallies["education_status"]
            ),
        }

    def _durations(
        self,
        tx: Tx,
        year: tuple[float, float, float],
        t: float,
        where_region: str,
        by_region: tuple[str, ...],
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """Days from registration to each milestone reached by the moment, as
        histograms (few distinct values) so percentiles are exact in Python."""

        def milestone(kind: str, decision: str, days: str, at: str) -> str:
            return (
                f"SELECT '{kind}', {decision}, {days}, COUNT(*) FROM {{c}}"
                f" WHERE {IN_YEAR} AND {at} <= %s{where_region}"
                f" GROUP BY {decision + ', ' if decision != 'NULL' else ''}{days}"
            )

        sql = " UNION ALL ".join(
            (
                milestone("intake", "intake_decision", "days_to_intake", "intake_at"),
                milestone(
                    "assignment", "NULL", "days_to_assignment", "first_assigned_at"
                ),
                milestone(
                    "first_contact",
                    "NULL",
                    "days_to_first_contact",
                    "first_contact_at",
                ),
                # The closing in force at the moment: the latest one before it.
                "SELECT 'closing', NULL, days_from_registration, COUNT(*) FROM {s}"
                f" WHERE {IN_YEAR} AND status = 'closed' AND {AT_MOMENT}"
                f"{where_region} GROUP BY days_from_registration",
            )
        )
        params: list[Any] = []
        for _ in range(3):
            params += [*year, t, *by_region]
        params += [*year, t, t, *by_region]
        rows = tx.fetchall(sql, params, c=self.cases, s=self.status)
        histograms: dict[str, Counter[int]] = {
            k: Counter() for k in ("intake", "assignment", "first_contact", "closing")
        }
        decisions: Counter[str | None] = Counter()
        for kind, decision, days, n in rows:
            histograms[str(kind)][int(days)] += int(n)
            if kind == "intake":
                decisions[decision] += int(n)
        durations = {
            f"to_{kind}": duration_summary(histogram)
            for kind, histogram in histograms.items()
        }
        return durations, _tally((str(d) for d in IntakeDecision), decisions)

    def _stock(
        self,
        tx: Tx,
        t: float,
        end: float,
        today: date,
        where_region: str,
        by_region: tuple[str, ...],
        capacities: Mapping[str, int] | None,
    ) -> dict[str, Any]:
        """The cases open at the moment: the queue, thuiszitters, consultants."""
        # Open at the moment: the current intervals of open cases, and those
        # that ended after it, each read from its partial index (one OR over
        # valid_to would scan every interval).
        columns = (
            "status, region, valid_from_on, category, at_home_since, consultant_id"
        )
        part = (
            f"SELECT {columns} FROM {{s}} WHERE {OPEN_SQL} AND valid_to <ENDED>"
            # (The unary plus keeps SQLite from taking the registered_at index,
            # which would read every earlier case.)
            f" AND valid_from <= %s AND +registered_at < %s{where_region}"
        )
        rows = tx.fetchall(
            "WITH stock AS ("
            + part.replace("<ENDED>", "IS NULL")
            + " UNION ALL "
            + part.replace("<ENDED>", "> %s")
            + ") SELECT 'queue', region, valid_from_on, COUNT(*) FROM stock"
            " WHERE status = 'awaiting_assignment' GROUP BY region, valid_from_on"
            " UNION ALL SELECT 'home', at_home_since, NULL, COUNT(*) FROM stock"
            " WHERE category = %s OR at_home_since IS NOT NULL GROUP BY at_home_since"
            " UNION ALL SELECT 'consultant', consultant_id, NULL, COUNT(*) FROM stock"
            " WHERE consultant_id IS NOT NULL GROUP BY consultant_id",
            (
                *(t, end, *by_region),
                *(t, t, end, *by_region),
                str(Category.THUISZITTER),
            ),
            s=self.status,
        )
        queues: dict[str, Counter[int]] = {}
        at_home: Counter[int] = Counter()
        thuiszitters = past_mark = 0
        per_consultant: dict[str, int] = {}
        for kind, key, since, n in rows:
            n = int(n)
            if kind == "queue":
                waited = max(0, (today - date.fromisoformat(since)).days)
                queues.setdefault(str(key), Counter())[waited] += n
            elif kind == "home":
                thuiszitters += n
                if key is not None:
                    home_since = date.fromisoformat(key)
                    at_home[max(0, (today - home_since).days)] += n
                    if today > add_months(home_since, THUISZITTER_MONTHS):
                        past_mark += n
            else:
                per_consultant[str(key)] = n
        everyone: Counter[int] = sum(queues.values(), Counter())
        return {
            "waiting_queue": {r: _queue_summary(queues[r]) for r in sorted(queues)},
            "waiting_total": _queue_summary(everyone),
            "thuiszitters": {
                "count": thuiszitters,
                "median_days_at_home": percentile(at_home, 50),
                "max_days_at_home": max(at_home) if at_home else None,
                "past_3_months": past_mark,
            },
            "open_per_consultant": [
                {
                    "consultant_id": c,
                    "open": n,
                    "capacity": None if capacities is None else capacities.get(c),
                }
                for c, n in sorted(per_consultant.items(), key=lambda i: (-i[1], i[0]))
            ],
        }


def _queue_summary(waited: Mapping[int, int]) -> dict[str, Any]:
    return {
        "count": sum(waited.values()),
        "oldest_days": max(waited) if waited else None,
        "median_days": percentile(waited, 50),
    }


DashboardProjection.view_class = DashboardView
