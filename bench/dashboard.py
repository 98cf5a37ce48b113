"""Dashboard queries at one million cases: the figures now (summed from the
dashboard's counters) and as of past moments (counted from its status
intervals), each beside the same figures counted from the intervals now, which
is what the dashboard did before it kept counters.

    python bench/dashboard.py [--cases 1000000] [--reads 300]

Runs on the shared corpus (bench/_corpus.py: built once, reused). Every read
is one call of ``DashboardView.figures`` in a read transaction, as the API's
dashboard route makes it, for a random school year among the corpus's (the
current one half the time) and, half the time, one region. "As of" moments are
random instants in the corpus's years.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import BenchRun, percentile, print_table, say, write_results
from _corpus import ensure_corpus

from domain.values import Region
from domain.zone import local_date
from dossier.bootstrap import build_read_database, build_service
from projections.dashboard import DashboardProjection
from projections.dashboard_view import DashboardView
from projections.deadlines import DeadlinesProjection
from projections.deadlines_tables import TABLES
from projections.deadlines_view import DeadlinesView
from projections.figures import school_year_of
from projections.runner import ProjectionRunner
from storage.db import Database

TARGETS_MS = {
    "now": 50.0,
    "now, with the deadline clocks (the API's response)": 50.0,
    "as of a past moment": 500.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=None, help="corpus size")
    parser.add_argument("--reads", type=int, default=300, help="reads per variant")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    corpus = ensure_corpus(args.cases)
    # Made before the measuring, so that the results' machine load covers the
    # reads (its CPU ticks and load average are taken when it is made).
    run = BenchRun(
        "dashboard",
        corpus.url,
        corpus.schema,
        datetime.now(UTC).strftime("%Y%m%d_%H%M%S"),
        corpus.settings,
        keep=True,
    )
    service = build_service(corpus.settings)
    db = build_read_database(corpus.settings)
    try:
        # Brings the dashboard to the log's head (and, on a corpus built before
        # the counters, fills them once).
        began = time.monotonic()
        runner = ProjectionRunner(service, db, DashboardProjection)
        caught = runner.catch_up()
        say(
            f"dashboard v{runner.version} at the head ({caught} events caught up,"
            f" {time.monotonic() - began:.1f} s)"
        )
        view = DashboardView.of(runner.version)
        # The deadlines too (on a corpus built before their counters and the
        # clocks' open flag, both are made once here).
        deadlines = ProjectionRunner(service, db, DeadlinesProjection)
        deadlines.catch_up()
        tables = {base: deadlines.projection.table(base) for base in TABLES}
        clocks = DeadlinesView(tables)
        # The same queries as before the counters: each clock joined with its
        # case (what the view does on a version that has no counters yet).
        joined = DeadlinesView({**tables, "deadline_counts": "no_counters_here"})
        results = measure(
            db, view, (clocks, joined), args.reads, random.Random(args.seed)
        )
    finally:
        db.close()
        service.factory.close()

    rows = []
    for name, ms in results["timings"].items():
        ms.sort()
        rows.append(
            [
                name,
                len(ms),
                percentile(ms, 50),
                percentile(ms, 95),
                percentile(ms, 99),
                ms[-1],
            ]
        )
    print_table(
        f"Dashboard figures, {corpus.cases:,} cases ({corpus.events:,} events);"
        f" {results['school_years'][0]} to {results['school_years'][-1]}",
        ["variant", "reads", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        rows,
    )
    summary = {
        row[0]: {
            "p50_ms": row[2],
            "p95_ms": row[3],
            "p99_ms": row[4],
            "max_ms": row[5],
            "reads": row[1],
        }
        for row in rows
    }
    counted_p99 = summary["now, counted from the intervals (baseline)"]["p99_ms"]
    print()
    for name, target in TARGETS_MS.items():
        p99 = summary[name]["p99_ms"]
        print(
            f"{name}: p99 {p99:.1f} ms (target {target:.0f} ms); counting now"
            f" from the intervals: p99 {counted_p99:.1f} ms"
        )
    path = write_results(
        run,
        {
            "corpus": {"cases": corpus.cases, "events": corpus.events},
            "school_years": results["school_years"],
            "reads_per_variant": args.reads,
            "figures": summary,
            "targets_ms": TARGETS_MS,
            "cases_in_largest_year": results["largest_year"],
        },
    )
    say(f"results: {path}")


def measure(
    db: Database,
    view: DashboardView,
    clock_views: tuple[DeadlinesView, DeadlinesView],
    reads: int,
    rng: random.Random,
) -> dict[str, Any]:
    with db.reading() as tx:
        row = tx.fetchone(
            "SELECT MIN(registered_at), MAX(registered_at) FROM {c}", c=view.cases
        )
        assert row is not None, "the corpus holds cases"
        assert row[0] is not None, "the corpus holds cases"
        first, last = (datetime.fromtimestamp(v, UTC) for v in row)
        counts = tx.fetchall(
            "SELECT school_year, SUM(n) FROM {t} GROUP BY school_year",
            t=view.year_counts,
        )
    now = datetime.now(UTC)
    years = sorted({str(y) for y, _ in counts})
    current = school_year_of(local_date(now))
    regions = [str(r) for r in Region]

    def pick() -> tuple[str, str | None]:
        year = current if rng.random() < 0.5 else rng.choice(years)
        region = rng.choice(regions) if rng.random() < 0.5 else None
        return year, region

    def past_moment() -> datetime:
        span = (last - first).total_seconds()
        return first + timedelta(seconds=rng.uniform(0, span))

    clocks, joined = clock_views

    def with_clocks(tx: Any) -> None:
        """What the API's dashboard adds now: the open cases' deadline clocks."""
        view.figures(tx, school_year=year, region=region, now=now)
        clocks.counts(tx, region)
        clocks.missed_or_at_risk(tx, region=region)

    def clocks_alone(deadlines: DeadlinesView) -> Callable[[Any], Any]:
        def read(tx: Any) -> Any:
            return deadlines.counts(tx, region), deadlines.missed_or_at_risk(
                tx, region=region
            )

        return read

    variants: dict[str, Callable[[Any], Any]] = {
        "now": lambda tx: view.figures(tx, school_year=year, region=region, now=now),
        "now, with the deadline clocks (the API's response)": with_clocks,
        "the deadline clocks alone (counters)": clocks_alone(clocks),
        "the deadline clocks alone, joined with the cases (baseline)": clocks_alone(
            joined
        ),
        "now, counted from the intervals (baseline)": lambda tx: view.figures(
            tx, school_year=year, region=region, as_of=now, now=now
        ),
        "as of a past moment": lambda tx: view.figures(
            tx,
            school_year=school_year_of(local_date(moment)),
            region=region,
            as_of=moment,
            now=now,
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in variants}
    # Warm the caches once per variant (the first read pays for them).
    year, region, moment = current, None, past_moment()
    for read in variants.values():
        with db.reading() as tx:
            read(tx)
    for i in range(reads):
        for name, read in variants.items():
            year, region = pick()
            moment = past_moment()
            began = time.perf_counter()
            with db.reading() as tx:
                read(tx)
            timings[name].append((time.perf_counter() - began) * 1000)
        if (i + 1) % max(1, reads // 5) == 0:
            say(f"  {i + 1}/{reads} reads of each variant")
    return {
        "timings": timings,
        "school_years": years,
        "largest_year": max((int(n) for _, n in counts), default=0),
    }


if __name__ == "__main__":
    main()
