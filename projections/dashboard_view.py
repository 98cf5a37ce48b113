"""The dashboard's queries: a school year's figures, now or as they stood at any
past moment, read from the tables ``projections.dashboard`` maintains (see there
for what the tables hold); and the pure helpers they use (school years,
percentiles).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

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
from domain.zone import AMSTERDAM, local_date
from storage.db import SQLiteTx, Tx

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


OPEN = tuple(sorted(str(s) for s in OPEN_STATUSES))
# Written out (not as parameters) so that the partial indexes apply.
OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"

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


# The counters of the figures now (``projections.dashboard``): base table -> key
# columns. ``school_year`` is the case's registration school year.
# The columns the year's figures tally: fixed facts, then the state.
YEAR_COLUMNS = (
    *("region", "sector", "category", "requester_role", "service"),
    *("status", "outcome", "education_status"),
)
COUNTER_KEYS: dict[str, tuple[str, ...]] = {
    "dashboard_year_tallies": ("school_year", "region", "tallied", "value"),
    "dashboard_duration_counts": (
        *("school_year", "region"),
        *("milestone", "decision", "days"),
    ),
    "dashboard_stock_counts": ("school_year", "region", "kind", "item"),
}
MILESTONES = ("intake", "assignment", "first_contact", "closing")
# What the figures are made of, either way: the year's tallies by column, the
# durations' rows (milestone, decision, days, n) and the stock's rows (kind,
# key, since, n).
Parts = tuple[
    dict[str, Counter[str | None]], list[tuple[Any, ...]], list[tuple[Any, ...]]
]


class DashboardView:
    """The figures of one school year on the serving version's tables.

    ``tables`` maps each base name ("dashboard_cases", "dashboard_status", the
    counters) to the versioned table to read; ``DashboardView.of(version)``
    builds it.
    """

    def __init__(self, tables: Mapping[str, str]) -> None:
        self.cases = tables["dashboard_cases"]
        self.status = tables["dashboard_status"]
        self.year_counts = tables["dashboard_year_tallies"]
        self.duration_counts = tables["dashboard_duration_counts"]
        self.stock_counts = tables["dashboard_stock_counts"]

    @classmethod
    def of(cls, version: int) -> DashboardView:
        from projections.dashboard import DashboardProjection  # (it imports this)

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

        Now (no ``as_of``) the figures are summed from the counters; as of a
        moment, counted from the status intervals. Both count the same cases
        (events are recorded as they happen, never later than now).
        """
        first, last = school_year_bounds(school_year)
        region = None if region is None else str(region)  # a Region is a str too
        now = _aware(now, "now")
        moment = now if as_of is None else min(_aware(as_of, "as_of"), now)
        today = local_date(moment)
        figures: dict[str, Any] = {
            "school_year": school_year,
            "region": region,
            "period": {"start": first.isoformat(), "end": last.isoformat()},
            "as_of": moment.astimezone(UTC).isoformat(),
        }
        if as_of is None and self._counters_ready(tx):
            rows = self._counted(tx, school_year, region)
        else:
            rows = self._at_moment(tx, first, last, moment.timestamp(), region)
        tallies, duration_rows, stock_rows = rows
        figures.update(_year_figures(tallies))
        figures["durations"], figures["intake_outcomes"] = _duration_figures(
            duration_rows
        )
        figures.update(_stock_figures(stock_rows, today, capacities))
        return figures

    # --- now: the counters ------------------------------------------------------------

    def _counters_ready(self, tx: Tx) -> bool:
        """Whether this version's counters exist (they are made and filled in
        one transaction, when a worker first runs the version): until then the
        figures now are counted from the intervals. (A catalogue lookup: a
        fraction of a millisecond.)"""
        if isinstance(tx, SQLiteTx):
            row = tx.fetchone(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s",
                (self.year_counts,),
            )
        else:
            row = tx.fetchone("SELECT to_regclass(%s)", (self.year_counts,))
        return row is not None and row[0] is not None

    def _counted(self, tx: Tx, school_year: str, region: str | None) -> Parts:
        """What the figures are made of, from the counters."""
        where_region = "" if region is None else " AND region = %s"
        by_region: tuple[str, ...] = () if region is None else (region,)
        year_rows = tx.fetchall(
            "SELECT tallied, value, SUM(n) FROM {t}"
            f" WHERE school_year = %s{where_region} GROUP BY tallied, value",
            (school_year, *by_region),
            t=self.year_counts,
        )
        tallies: dict[str, Counter[str | None]] = {c: Counter() for c in YEAR_COLUMNS}
        for column, value, n in year_rows:
            tallies[column][value or None] += int(n)
        duration_rows = tx.fetchall(
            "SELECT milestone, decision, days, SUM(n) FROM {t}"
            f" WHERE school_year = %s{where_region} GROUP BY milestone, decision, days",
            (school_year, *by_region),
            t=self.duration_counts,
        )
        # The stock: open cases registered up to the year's end.
        stock_rows = tx.fetchall(
            "SELECT kind, CASE WHEN kind = 'queue' THEN region ELSE item END,"
            " CASE WHEN kind = 'queue' THEN item END, SUM(n) FROM {t}"
            f" WHERE school_year <= %s{where_region}"
            " GROUP BY kind, CASE WHEN kind = 'queue' THEN region ELSE item END,"
            " CASE WHEN kind = 'queue' THEN item END",
            (school_year, *by_region),
            t=self.stock_counts,
        )
        return (
            tallies,
            [(m, d or None, int(days), int(n)) for m, d, days, n in duration_rows],
            [(k, key or None, since, int(n)) for k, key, since, n in stock_rows],
        )

    # --- as of a moment: the status intervals -----------------------------------------

    def _at_moment(
        self, tx: Tx, first: date, last: date, t: float, region: str | None
    ) -> Parts:
        """What the figures are made of, as they stood at ``t``."""
        start, end = _local_midnight(first), _local_midnight(last + timedelta(days=1))
        where_region = "" if region is None else " AND region = %s"
        by_region: tuple[str, ...] = () if region is None else (region,)
        year = (start, end, t)
        columns = ", ".join(YEAR_COLUMNS)
        year_rows = tx.fetchall(
            f"SELECT {columns}, COUNT(*) FROM {{s}}"
            f" WHERE {IN_YEAR} AND {AT_MOMENT}{where_region}"
            f" GROUP BY {columns}",
            (*year, t, t, *by_region),
            s=self.status,
        )
        tallies: dict[str, Counter[str | None]] = {c: Counter() for c in YEAR_COLUMNS}
        for row in year_rows:
            n = int(row[-1])
            for column, value in zip(YEAR_COLUMNS, row[:-1], strict=True):
                tallies[column][value] += n
        return (
            tallies,
            self._durations_at(tx, year, t, where_region, by_region),
            self._stock_at(tx, t, end, where_region, by_region),
        )

    def _durations_at(
        self,
        tx: Tx,
        year: tuple[float, float, float],
        t: float,
        where_region: str,
        by_region: tuple[str, ...],
    ) -> list[tuple[Any, ...]]:
        """Days from registration to each milestone reached by the moment."""

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
        return tx.fetchall(sql, params, c=self.cases, s=self.status)

    def _stock_at(
        self,
        tx: Tx,
        t: float,
        end: float,
        where_region: str,
        by_region: tuple[str, ...],
    ) -> list[tuple[Any, ...]]:
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
        return tx.fetchall(
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


# --- the figures from rows, either way ------------------------------------------------


def _year_figures(tallies: Mapping[str, Counter[str | None]]) -> dict[str, Any]:
    """The year's cases by their fixed facts and their state: how many cases
    had each value of each tallied column (outcome and education status are
    None but while a case is closed)."""
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


def _duration_figures(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[dict[str, Any], dict[str, int]]:
    """Durations as histograms (few distinct values, so percentiles are exact):
    rows of milestone, intake decision, days and how many cases."""
    histograms: dict[str, Counter[int]] = {k: Counter() for k in MILESTONES}
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


def _stock_figures(
    rows: Iterable[tuple[Any, ...]],
    today: date,
    capacities: Mapping[str, int] | None,
) -> dict[str, Any]:
    """The open cases: rows of ('queue', region, since, n), ('home', at home
    since, None, n) and ('consultant', consultant id, None, n)."""
    queues: dict[str, Counter[int]] = {}
    at_home: Counter[int] = Counter()
    thuiszitters = past_mark = 0
    per_consultant: dict[str, int] = {}
    for kind, key, since, n in rows:
        n = int(n)
        if not n:
            continue
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
