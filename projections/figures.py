"""The dashboard's figures as pure functions: school years, percentiles, and the
figures made from the rows the queries return (``projections.dashboard_view``),
whether those were summed from the counters or counted as of a moment.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from domain.deadlines import FIRST_CONTACT_WORKING_DAYS, THUISZITTER_MONTHS, add_months
from domain.values import (
    OPEN_STATUSES,
    Category,
    EducationStatus,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Region,
    RequesterRole,
    Sector,
    Service,
    Status,
)

# The statuses of an open case, in a fixed order.
OPEN = tuple(sorted(str(s) for s in OPEN_STATUSES))
MILESTONES = ("intake", "assignment", "first_contact", "closing")

# --- school years and percentiles -------------------------------------------------

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


# --- the figures from rows, either way ------------------------------------------------


def _tally(known: Iterable[str], counts: Mapping[str | None, int]) -> dict[str, int]:
    """Every known value (0 when absent) in a fixed order, then any other seen."""
    result = dict.fromkeys(known, 0)
    for key, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        if key is not None:
            result[key] = result.get(key, 0) + n
    return result


def year_figures(tallies: Mapping[str, Counter[str | None]]) -> dict[str, Any]:
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


def duration_figures(
    rows: Iterable[tuple[Any, ...]],
) -> tuple[dict[str, Any], dict[str, int], dict[str, int]]:
    """Durations as histograms (few distinct values, so percentiles are exact):
    rows of milestone, intake decision (or referral destination), days and how
    many cases. With them the intake outcomes, and the referrals by
    destination."""
    histograms: dict[str, Counter[int]] = {k: Counter() for k in MILESTONES}
    worked: Counter[int] = Counter()
    decisions: Counter[str | None] = Counter()
    referred: Counter[str | None] = Counter()
    for kind, decision, days, n in rows:
        if kind == "assignment_to_first_contact":
            worked[int(days)] += int(n)
            continue
        if kind == "referral":
            referred[decision] += int(n)
            continue
        histograms[str(kind)][int(days)] += int(n)
        if kind == "intake":
            decisions[decision] += int(n)
    durations = {
        f"to_{kind}": duration_summary(histogram)
        for kind, histogram in histograms.items()
    }
    durations["first_contact_after_assignment"] = {
        **duration_summary(worked),
        "unit": "working_days",
        "within_norm": sum(
            n for days, n in worked.items() if days <= FIRST_CONTACT_WORKING_DAYS
        ),
    }
    outcomes = _tally((str(d) for d in IntakeDecision), decisions)
    return durations, outcomes, _tally((str(r) for r in ReferredTo), referred)


def stock_figures(
    rows: Iterable[tuple[Any, ...]],
    today: date,
    capacities: Mapping[str, int] | None,
) -> dict[str, Any]:
    """The open cases: rows of ('queue', region, since, n), ('queue_home',
    region, since, n) (the thuiszitters among them), ('home', at home since,
    None, n) and ('consultant', consultant id, None, n)."""
    queues: dict[str, Counter[int]] = {}
    home_queues: dict[str, Counter[int]] = {}
    at_home: Counter[int] = Counter()
    thuiszitters = past_mark = 0
    per_consultant: dict[str, int] = {}
    for kind, key, since, n in rows:
        n = int(n)
        if not n:
            continue
        if kind in ("queue", "queue_home"):
            waited = max(0, (today - date.fromisoformat(since)).days)
            chosen = queues if kind == "queue" else home_queues
            chosen.setdefault(str(key), Counter())[waited] += n
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
        "waiting_queue": {
            r: {
                **_queue_summary(queues[r]),
                "thuiszitters": _queue_summary(home_queues.get(r, Counter())),
            }
            for r in sorted(queues)
        },
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


# --- the year week by week --------------------------------------------------------

ENDINGS = (
    str(Status.CLOSED),
    str(Status.WITHDRAWN),
    str(Status.NOT_ADMISSIBLE),
    str(Status.REFERRED),
)


def year_weeks(first: date, last: date) -> list[tuple[date, date]]:
    """The ISO weeks (Monday to Sunday) of a school year, cut to its first and
    last day: (first day, last day) of each."""
    weeks: list[tuple[date, date]] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        weeks.append((max(monday, first), min(monday + timedelta(days=6), last)))
        monday += timedelta(days=7)
    return weeks


def week_figures(
    first: date,
    last: date,
    today: date,
    starts: Sequence[int],
    entered: Iterable[tuple[Any, ...]],
    left: Iterable[tuple[Any, ...]],
    ended: Iterable[tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """Inflow, outflow and open stock per week of the school year.

    The rows come as (hour, n[, registrations]) or (status, hour, n), the hour
    counted from the year's first local midnight; ``starts`` holds the hour
    each week of ``year_weeks`` begins at (local days have whole hours), so
    that an hour falls in the last week begun by then (a negative hour:
    before the year). ``entered``: open status intervals by the hour they
    began (and how many of them began with the registration); ``left``: open
    intervals by the hour they ended; ``ended``: ending intervals (closed,
    withdrawn, ended at intake) by the hour they began. The open stock at a
    week's end is the open intervals begun minus those ended by then (a move
    from one open status to another adds one and takes one). Weeks after
    ``today`` have no figures (None).
    """
    weeks = year_weeks(first, last)
    if len(starts) != len(weeks):
        raise ValueError(f"{len(starts)} week starts for {len(weeks)} weeks")
    n_weeks = len(weeks)
    stock_in = [0] * n_weeks
    stock_out = [0] * n_weeks
    registered = [0] * n_weeks
    endings = {s: [0] * n_weeks for s in ENDINGS}
    carried = 0
    for hour, n, new in entered:
        if hour < 0:
            carried += int(n)
            continue
        week = bisect_right(starts, hour) - 1
        stock_in[week] += int(n)
        registered[week] += int(new)
    for hour, n in left:
        if hour < 0:
            carried -= int(n)
        else:
            stock_out[bisect_right(starts, hour) - 1] += int(n)
    for status, hour, n in ended:
        if hour >= 0 and str(status) in endings:
            endings[str(status)][bisect_right(starts, hour) - 1] += int(n)
    result: list[dict[str, Any]] = []
    stock = carried
    for i, (start, end) in enumerate(weeks):
        stock += stock_in[i] - stock_out[i]
        known = start <= today
        closed = endings[str(Status.CLOSED)][i]
        withdrawn = endings[str(Status.WITHDRAWN)][i]
        at_intake = (
            endings[str(Status.NOT_ADMISSIBLE)][i] + endings[str(Status.REFERRED)][i]
        )
        result.append(
            {
                "week": f"{start.isocalendar().year}-W{start.isocalendar().week:02d}",
                "start": start.isoformat(),
                "end": end.isoformat(),
                "registered": registered[i] if known else None,
                "closed": closed if known else None,
                "withdrawn": withdrawn if known else None,
                "ended_at_intake": at_intake if known else None,
                "open_at_end": stock if known else None,
            }
        )
    return result
