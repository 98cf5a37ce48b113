"""The dashboard's queries: a school year's figures, now or as they stood at any
past moment, read from the tables ``projections.dashboard`` maintains (see there
for what the tables hold). The rows read are made into figures by the pure
functions of ``projections.figures``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.values import Category
from domain.zone import local_date
from projections.base import table_exists, versioned_tables
from projections.dashboard_tables import (
    ASSIGNED_TO_CONTACT,
    OPEN_SQL,
    TABLES,
    YEAR_COLUMNS,
    referrals_kept,
    working_days_to_contact,
)
from projections.dashboard_weeks import local_midnight, weeks_at, weeks_counted
from projections.figures import (
    duration_figures,
    school_year_bounds,
    stock_figures,
    year_figures,
)
from storage.db import Tx

AT_MOMENT = "valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)"
IN_YEAR = "registered_at >= %s AND registered_at < %s AND registered_at <= %s"
# The stock's kinds counted by region and day (the queue, the thuiszitters in it).
BY_REGION = "kind IN ('queue', 'queue_home')"
# A registration this long after a moment shows the read model has passed it
# (far longer than any transaction that records an event takes).
SETTLED_AFTER_SECONDS = 300


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment


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
        self.week_counts = tables["dashboard_week_counts"]
        self.counter_rules = tables["dashboard_counter_rules"]
        self.tables = tables

    @classmethod
    def of(cls, version: int) -> DashboardView:
        return cls(versioned_tables(TABLES, version))

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
        kept, complete = referrals_kept(tx, self.tables)
        if as_of is None and self._ready(tx, self.year_counts):
            rows = self._counted(tx, school_year, region)
        else:
            t = moment.timestamp()
            rows = self._at_moment(tx, first, last, t, region, referrals=kept)
        tallies, duration_rows, stock_rows = rows
        figures.update(year_figures(tallies))
        durations, outcomes, referrals = duration_figures(duration_rows)
        figures["durations"], figures["intake_outcomes"] = durations, outcomes
        figures["referrals"] = referrals
        figures.update(stock_figures(stock_rows, today, capacities))
        figures["referrals_complete"] = complete
        if as_of is None and self._ready(tx, self.week_counts):
            figures["weeks"] = weeks_counted(
                tx, self.week_counts, first, last, today, region
            )
        else:
            figures["weeks"] = weeks_at(
                tx, self.status, first, last, moment.timestamp(), region
            )
        return figures

    def settled(self, tx: Tx, moment: datetime) -> bool:
        """Whether the figures as of ``moment`` can no longer change: this
        version holds a case registered well after it (events are applied in
        order and recorded as they happen, so every event up to the moment is
        in). Read from the registration index: a fraction of a millisecond."""
        after = _aware(moment, "moment").timestamp() + SETTLED_AFTER_SECONDS
        row = tx.fetchone(
            "SELECT 1 FROM {c} WHERE registered_at > %s LIMIT 1", (after,), c=self.cases
        )
        return row is not None

    # --- now: the counters ------------------------------------------------------------

    @staticmethod
    def _ready(tx: Tx, table: str) -> bool:
        """Whether this version's counters ``table`` exists (counters are made
        and filled in one transaction, when a worker first runs the version):
        until then the figures now are counted from the intervals."""
        return table_exists(tx, table)

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
            f"SELECT kind, CASE WHEN {BY_REGION} THEN region ELSE item END,"
            f" CASE WHEN {BY_REGION} THEN item END, SUM(n) FROM {{t}}"
            f" WHERE school_year <= %s{where_region}"
            f" GROUP BY kind, CASE WHEN {BY_REGION} THEN region ELSE item END,"
            f" CASE WHEN {BY_REGION} THEN item END",
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
        self,
        tx: Tx,
        first: date,
        last: date,
        t: float,
        region: str | None,
        *,
        referrals: bool = True,
    ) -> Parts:
        """What the figures are made of, as they stood at ``t``."""
        start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
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
            self._durations_at(tx, year, t, where_region, by_region, referrals),
            self._stock_at(tx, t, end, where_region, by_region),
        )

    def _durations_at(
        self,
        tx: Tx,
        year: tuple[float, float, float],
        t: float,
        where_region: str,
        by_region: tuple[str, ...],
        referrals: bool,
    ) -> list[tuple[Any, ...]]:
        """Days from registration to each milestone reached by the moment (and
        the referrals by destination, when this version keeps them)."""

        def milestone(
            kind: str, decision: str, days: str, at: str, also: str = ""
        ) -> str:
            return (
                f"SELECT '{kind}', {decision}, {days}, COUNT(*) FROM {{c}}"
                f" WHERE {IN_YEAR} AND {at} <= %s{also}{where_region}"
                f" GROUP BY {decision + ', ' if decision != 'NULL' else ''}{days}"
            )

        # The referrals by destination (a value of the intake decision).
        referred = milestone(
            "referral",
            "referred_to",
            "days_to_intake",
            "intake_at",
            " AND referred_to IS NOT NULL",
        )
        sql = " UNION ALL ".join(
            (
                milestone("intake", "intake_decision", "days_to_intake", "intake_at"),
                *((referred,) if referrals else ()),
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
        for _ in range(4 if referrals else 3):
            params += [*year, t, *by_region]
        params += [*year, t, t, *by_region]
        rows = tx.fetchall(sql, params, c=self.cases, s=self.status)
        # Working days from assignment to first contact: by the days they fell.
        pairs = tx.fetchall(
            "SELECT registered_on, days_to_assignment, first_contact_on, COUNT(*)"
            f" FROM {{c}} WHERE {IN_YEAR} AND first_assigned_at <= %s"
            f" AND first_contact_at <= %s{where_region}"
            " GROUP BY registered_on, days_to_assignment, first_contact_on",
            (*year, t, t, *by_region),
            c=self.cases,
        )
        worked: Counter[int] = Counter()
        for registered_on, days, contact_on, n in pairs:
            worked[working_days_to_contact(registered_on, days, contact_on)] += int(n)
        rows += [(ASSIGNED_TO_CONTACT, None, w, n) for w, n in worked.items()]
        return rows

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
            " UNION ALL SELECT 'queue_home', region, valid_from_on, COUNT(*)"
            " FROM stock WHERE status = 'awaiting_assignment'"
            " AND (category = %s OR at_home_since IS NOT NULL)"
            " GROUP BY region, valid_from_on"
            " UNION ALL SELECT 'home', at_home_since, NULL, COUNT(*) FROM stock"
            " WHERE category = %s OR at_home_since IS NOT NULL GROUP BY at_home_since"
            " UNION ALL SELECT 'consultant', consultant_id, NULL, COUNT(*) FROM stock"
            " WHERE consultant_id IS NOT NULL GROUP BY consultant_id",
            (
                *(t, end, *by_region),
                *(t, t, end, *by_region),
                str(Category.THUISZITTER),
                str(Category.THUISZITTER),
            ),
            s=self.status,
        )
