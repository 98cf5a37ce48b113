"""The dashboard's year week by week: the week counters the projection keeps (and
fills for a version built before them), and inflow, outflow and open stock per
week, now summed from the week counters, as of a moment counted from the status
intervals (``projections.dashboard_view`` asks; ``projections.figures.week_figures``
makes the figures of either)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from domain.zone import AMSTERDAM, local_date
from projections.dashboard_tables import (
    OPEN_SQL,
    WEEKS,
    CounterKey,
    add_counts,
)
from projections.figures import (
    ENDINGS,
    OPEN,
    school_year_bounds,
    school_year_of,
    week_figures,
    year_weeks,
)
from storage.db import SQLiteTx, Tx


def week_of(moment: float) -> str:
    """The week of ``year_weeks`` a moment fell in, by its first day: the
    Monday before, or 1 August when the school year began later that week."""
    day = local_date(datetime.fromtimestamp(moment, UTC))
    first, _ = school_year_bounds(school_year_of(day))
    return max(day - timedelta(days=day.weekday()), first).isoformat()


def interval_weeks(
    region: str, status: str, valid_from: float, registered: bool
) -> list[CounterKey]:
    """The week counters an interval adds one to as it begins."""
    week = week_of(valid_from)
    if status in OPEN:
        keys = [(WEEKS, (week, region, "entered"))]
        if registered:
            keys.append((WEEKS, (week, region, "registered")))
        return keys
    return [(WEEKS, (week, region, status))] if status in ENDINGS else []


def ended_weeks(region: str, status: str, valid_to: float) -> list[CounterKey]:
    """The week counters an interval adds one to as it ends."""
    return [(WEEKS, (week_of(valid_to), region, "left"))] if status in OPEN else []


def count_existing_weeks(tx: Tx, tables: Mapping[str, str]) -> None:
    """Fill an empty week counters table from the status intervals, when a
    version built before it gains it (as ``count_existing_cases``)."""
    if tx.fetchone("SELECT 1 FROM {t} LIMIT 1", t=tables[WEEKS]):
        return
    status = tables["dashboard_status"]
    after: tuple[str, int] = ("", -1)
    while True:
        rows = tx.fetchall(
            "SELECT case_id, version, region, status, valid_from, valid_to,"
            " registered_at FROM {t} WHERE case_id > %s"
            " OR (case_id = %s AND version > %s)"
            " ORDER BY case_id, version LIMIT 20000",
            (after[0], after[0], after[1]),
            t=status,
        )
        if not rows:
            return
        change: Counter[CounterKey] = Counter()
        for _, _, region, state, begun, ended, registered_at in rows:
            change.update(interval_weeks(region, state, begun, begun == registered_at))
            if ended is not None:
                change.update(ended_weeks(region, state, ended))
        add_counts(tx, tables, change)
        after = (rows[-1][0], rows[-1][1])


def local_midnight(day: date) -> float:
    return datetime.combine(day, time(), AMSTERDAM).timestamp()


def week_starts(first: date, last: date) -> list[int]:
    """The hour (from the year's first local midnight) each week begins at."""
    start = local_midnight(first)
    return [
        round((local_midnight(monday) - start) / 3600)
        for monday, _ in year_weeks(first, last)
    ]


def weeks_counted(
    tx: Tx, table: str, first: date, last: date, today: date, region: str | None
) -> list[dict[str, Any]]:
    """The same weeks now, summed from the week counters: each week's rows
    as if at the hour it begins, the weeks before the year as carried."""
    where_region = "" if region is None else " AND region = %s"
    by_region: tuple[str, ...] = () if region is None else (region,)
    rows = tx.fetchall(
        "SELECT CASE WHEN week < %s THEN '' ELSE week END AS w, kind, SUM(n)"
        f" FROM {{t}} WHERE week <= %s{where_region} GROUP BY w, kind",
        (first.isoformat(), last.isoformat(), *by_region),
        t=table,
    )
    starts = week_starts(first, last)
    hour = {
        monday.isoformat(): h
        for (monday, _), h in zip(year_weeks(first, last), starts, strict=True)
    }
    counted: dict[tuple[int, str], int] = {}
    for week, kind, n in rows:
        key = (hour[week] if week else -1, str(kind))
        counted[key] = counted.get(key, 0) + int(n)
    hours = sorted({h for h, _ in counted})
    entered = [
        (h, counted.get((h, "entered"), 0), counted.get((h, "registered"), 0))
        for h in hours
    ]
    left = [(h, counted.get((h, "left"), 0)) for h in hours]
    ended = [
        (s, h, counted[(h, s)]) for h in hours for s in ENDINGS if (h, s) in counted
    ]
    return week_figures(first, last, today, starts, entered, left, ended)


def weeks_at(
    tx: Tx, status: str, first: date, last: date, t: float, region: str | None
) -> list[dict[str, Any]]:
    """Inflow, outflow and open stock per week up to ``t``, counted by the
    hour (local days have whole hours) from the status intervals."""
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    where_region = "" if region is None else " AND region = %s"
    by_region: tuple[str, ...] = () if region is None else (region,)

    def hour(column: str) -> str:
        if isinstance(tx, SQLiteTx):
            return f"CAST(({column} - %s) / 3600 AS INTEGER)"
        return f"CAST(FLOOR(({column} - %s) / 3600) AS INTEGER)"

    entered_part = (
        f"SELECT CASE WHEN valid_from < %s THEN -1 ELSE {hour('valid_from')} END"
        " AS h, COUNT(*), SUM(CASE WHEN valid_from = registered_at"
        f" THEN 1 ELSE 0 END) FROM {{s}} WHERE {OPEN_SQL} AND valid_to <ENDED>"
        f" AND valid_from < %s AND valid_from <= %s{where_region} GROUP BY h"
    )
    entered = tx.fetchall(
        entered_part.replace("<ENDED>", "IS NULL")
        + " UNION ALL "
        + entered_part.replace("<ENDED>", "> %s"),
        (
            *(start, start, end, t, *by_region),
            *(start, start, start, end, t, *by_region),
        ),
        s=status,
    )
    # (The parameters follow the text: the hour's start comes before the
    # condition on valid_to in the second part.)
    left = tx.fetchall(
        f"SELECT {hour('valid_to')} AS h, COUNT(*) FROM {{s}}"
        f" WHERE {OPEN_SQL} AND valid_to IS NOT NULL AND valid_to > %s"
        f" AND valid_to < %s AND valid_to <= %s{where_region} GROUP BY h",
        (start, start, end, t, *by_region),
        s=status,
    )
    endings = ", ".join(f"'{s}'" for s in ENDINGS)
    ended = tx.fetchall(
        f"SELECT status, {hour('valid_from')} AS h, COUNT(*) FROM {{s}}"
        f" WHERE status IN ({endings}) AND valid_from >= %s AND valid_from < %s"
        f" AND valid_from <= %s{where_region} GROUP BY status, h",
        (start, start, end, t, *by_region),
        s=status,
    )

    return week_figures(
        first,
        last,
        local_date(datetime.fromtimestamp(t, UTC)),
        week_starts(first, last),
        entered,
        left,
        ended,
    )
