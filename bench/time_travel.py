"""Time travel: one case with 1,000 events read at random versions and at random
moments, beside the bare library's full replay of the same aggregate, in one run.

    python bench/time_travel.py [--events 1000] [--reads 500] [--keep] [--profile]

The case goes through the real commands (``CaseService``): registration, both
prerequisites, intake, assignment, then activities, with a suspension and
resumption about every 100 events and a reassignment about every 250, the
clock moving on 0.5 to 6 hours between commands (about four months in all).
The service snapshots a case every 50 versions.

Reads, interleaved in random order so that both sides share whatever else the
machine is doing:

- ours, version: ``get_case(case_id, version=N)``, N uniform over 1..events;
- ours, as of: ``get_case(case_id, as_of=t)``, t uniform between the first and
  the last event's timestamp;
- baseline: the eventsourcing library's ``Repository(service.events)`` (no
  snapshot store, no cache): ``repository.get(case_id, version=N)`` replays every
  event from the first; for the as-of reads at the version in force at t.

Every read of ours is compared with the baseline's aggregate (all attributes).
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import io
import pstats
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, cast
from uuid import UUID

from _common import (
    BenchRun,
    bench_run,
    percentile,
    print_table,
    say,
    write_results,
)
from eventsourcing.application import Repository
from psycopg import sql

from domain.case import Case
from domain.service import CaseService
from domain.values import ActivityKind, IntakeDecision, Region, Service, Step
from domain.zone import local_date
from dossier import collector
from dossier.bootstrap import build_service
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration

TARGET_P99_MS = 5.0
START = datetime(2026, 9, 1, 7, 30, tzinfo=UTC)
KINDS = ("ours, version", "ours, as of", "library, version", "library, as of")

SUMMARY = (
    "gesprek met ouders en mentor over terugkeer naar school; afspraken over "
    "een aangepast rooster, begeleiding door de intern begeleider en een "
    "evaluatie over drie weken. School wil eerst een plan van aanpak van het "
    "samenwerkingsverband; ouders vragen om een time-out voorziening."
)
SUMMARY_WORDS = SUMMARY.split()
PARTIES = ("ouders", "mentor", "intern begeleider", "leerplicht", "jeugdarts", "swv")


# --- the case ---


def build_case(
    service: CaseService, clock: FakeClock, events: int, rng: random.Random
) -> UUID:
    """A case with exactly ``events`` events, through the real commands."""

    def tick() -> None:
        clock.advance(minutes=rng.uniform(30, 360))

    consultants = [
        service.register_consultant(
            name, Region.NOORD_HOLLAND, Service.ONDERWIJSCONSULENT, 30, by=COORDINATOR
        ).id
        for name in ("Anna Bakker", "Bram Visser")
    ]
    case_id = service.register(registration(), by=INTAKE).case.id
    version = 1
    for step in Step:
        tick()
        version = service.record_prerequisite(
            case_id, step, local_date(clock.now()), "Gesprek gevoerd.", by=INTAKE
        ).case.version
    tick()
    version = service.decide_intake(
        case_id, IntakeDecision.ADMISSIBLE, by=INTAKE
    ).case.version
    tick()
    current = consultants[0]
    version = service.assign(case_id, current, by=COORDINATOR).case.version
    if version > events:
        raise SystemExit(f"--events must be at least {version}")
    began = time.monotonic()
    while version < events:
        tick()
        left = events - version
        if version % 100 == 0 and left >= 2:
            service.suspend(case_id, "Wachten op onderzoek.", by=COORDINATOR)
            tick()
            version = service.resume(
                case_id, "Onderzoek ontvangen.", by=COORDINATOR
            ).case.version
        elif version % 250 == 0:
            current = consultants[1] if current == consultants[0] else consultants[0]
            version = service.assign(case_id, current, by=COORDINATOR).case.version
        else:
            words = rng.sample(SUMMARY_WORDS, rng.randint(12, len(SUMMARY_WORDS)))
            version = service.record_activity(
                case_id,
                rng.choice(list(ActivityKind)),
                local_date(clock.now()),
                " ".join(words).capitalize() + ".",
                rng.sample(PARTIES, rng.randint(1, 3)),
                by=consultant_actor(current),
            ).case.version
        if version % 200 == 0:
            say(f"  {version}/{events} events, {time.monotonic() - began:.0f} s")
    return case_id


def store_facts(run: BenchRun, case_id: UUID) -> dict[str, Any]:
    with run.connect() as conn:
        facts: dict[str, Any] = {}
        for name, table in (
            ("events", "dossier_events"),
            ("snapshots", "dossier_snapshots"),
        ):
            row = conn.execute(
                sql.SQL(
                    "SELECT COUNT(*), COALESCE(SUM(length(state)), 0),"
                    " COALESCE(MAX(length(state)), 0)"
                    " FROM {} WHERE originator_id = %s"
                ).format(sql.Identifier(table)),
                (case_id,),
            ).fetchone()
            assert row is not None
            facts[name] = {
                "rows": int(row[0]),
                "state_bytes": int(row[1]),
                "largest_state_bytes": int(row[2]),
            }
    return facts


# --- reads ---


def state(case: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(case).items() if k != "_pending_events"}


def timed_ms(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """The value, wall milliseconds, and this process's CPU milliseconds (less
    swayed by other work on the machine; leaves out PostgreSQL's own time)."""
    cpu = time.process_time()
    began = time.perf_counter()
    value = fn()
    wall = (time.perf_counter() - began) * 1000
    return value, wall, (time.process_time() - cpu) * 1000


def summary(kind: str, times: list[float], cpu: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    cpu_ordered = sorted(cpu)
    return {
        "kind": kind,
        "reads": len(ordered),
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1] if ordered else None,
        "mean_ms": sum(ordered) / len(ordered) if ordered else None,
        "cpu_p50_ms": percentile(cpu_ordered, 50),
        "cpu_p99_ms": percentile(cpu_ordered, 99),
    }


def by_version(
    versions: list[int], times: list[float], events: int, parts: int = 4
) -> list[dict[str, Any]]:
    """Wall figures of reads grouped by the version read: the work grows with it."""
    rows = []
    size = -(-events // parts)
    for part in range(parts):
        low, high = part * size + 1, min(events, (part + 1) * size)
        chosen = sorted(
            t for v, t in zip(versions, times, strict=True) if low <= v <= high
        )
        rows.append(
            {
                "versions": f"{low}-{high}",
                "reads": len(chosen),
                "p50_ms": percentile(chosen, 50),
                "p99_ms": percentile(chosen, 99),
                "max_ms": chosen[-1] if chosen else None,
            }
        )
    return rows


def measure(
    service: CaseService,
    library: Repository[UUID],
    case_id: UUID,
    timestamps: list[datetime],
    reads: int,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]], dict[str, Any]]:
    events = len(timestamps)
    first, last = timestamps[0], timestamps[-1]
    span = (last - first).total_seconds()
    versions = [rng.randint(1, events) for _ in range(reads)]
    moments = [first + timedelta(seconds=rng.uniform(0, span)) for _ in range(reads)]
    # The version in force at t: the last event recorded at or before it.
    at_versions = [bisect.bisect_right(timestamps, t) for t in moments]

    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpu: dict[str, list[float]] = {kind: [] for kind in KINDS}
    mismatches: list[str] = []
    for warm in range(10):  # connections, caches, the key read
        service.get_case(case_id, version=versions[warm])
        service.get_case(case_id, as_of=moments[warm])
        library.get(case_id, version=versions[warm])
    step = max(1, reads // 5)
    for i in range(reads):
        n, t, at = versions[i], moments[i], at_versions[i]
        results: dict[str, Any] = {}
        calls: list[tuple[str, Callable[[], Any]]] = [
            (KINDS[0], partial(service.get_case, case_id, version=n)),
            (KINDS[1], partial(service.get_case, case_id, as_of=t)),
            (KINDS[2], partial(library.get, case_id, version=n)),
            (KINDS[3], partial(library.get, case_id, version=at)),
        ]
        rng.shuffle(calls)
        for kind, call in calls:
            results[kind], ms, cpu_ms = timed_ms(call)
            times[kind].append(ms)
            cpu[kind].append(cpu_ms)
        if state(results[KINDS[0]]) != state(results[KINDS[2]]):
            mismatches.append(f"version {n}")
        if state(results[KINDS[1]]) != state(results[KINDS[3]]):
            mismatches.append(f"as of {t.isoformat()} (version {at})")
        if (i + 1) % step == 0:
            say(f"  {i + 1}/{reads} reads of each kind")
    check = {
        "compared": 2 * reads,
        "mismatches": len(mismatches),
        "first_mismatches": mismatches[:10],
        "versions_min_max": [min(versions), max(versions)],
        "as_of_versions_min_max": [min(at_versions), max(at_versions)],
    }
    figures = [summary(kind, times[kind], cpu[kind]) for kind in KINDS]
    groups = {
        KINDS[0]: by_version(versions, times[KINDS[0]], events),
        KINDS[1]: by_version(at_versions, times[KINDS[1]], events),
        KINDS[2]: by_version(versions, times[KINDS[2]], events),
    }
    return figures, groups, check


def profile_ours(
    service: CaseService,
    case_id: UUID,
    timestamps: list[datetime],
    reads: int,
    rng: random.Random,
) -> dict[str, str]:
    """cProfile of ``reads`` version reads and ``reads`` as-of reads of ours."""
    events = len(timestamps)
    span = (timestamps[-1] - timestamps[0]).total_seconds()
    out: dict[str, str] = {}
    for kind in ("version", "as_of"):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(reads):
            if kind == "version":
                service.get_case(case_id, version=rng.randint(1, events))
            else:
                moment = timestamps[0] + timedelta(seconds=rng.uniform(0, span))
                service.get_case(case_id, as_of=moment)
        profiler.disable()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.strip_dirs().sort_stats("cumulative").print_stats(15)
        stats.sort_stats("tottime").print_stats(15)
        out[kind] = text.getvalue()
    return out


# --- main ---


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="the case's events")
    parser.add_argument("--reads", type=int, default=500, help="reads of each kind")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="READS",
        help="also cProfile this many reads of ours of each kind",
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="keep CPython's collector settings (the served processes tune them)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    with bench_run("time_travel", keep=args.keep) as run:
        clock = FakeClock(START)
        service = build_service(run.settings, clock=clock)
        try:
            say(f"building a case of {args.events} events ...")
            began = time.monotonic()
            case_id = build_case(service, clock, args.events, rng)
            build_seconds = time.monotonic() - began
            timestamps = [
                cast(Case.Event, e).timestamp for e in service.events.get(case_id)
            ]
            assert len(timestamps) == args.events
            assert timestamps == sorted(timestamps)
            counts: dict[str, int] = {}
            for e in service.events.get(case_id):
                counts[type(e).__name__] = counts.get(type(e).__name__, 0) + 1
            facts = store_facts(run, case_id)
            say(
                f"built in {build_seconds:.1f} s: {facts['events']['rows']} events"
                f" ({facts['events']['state_bytes']:,} bytes),"
                f" {facts['snapshots']['rows']} snapshots"
                f" ({facts['snapshots']['state_bytes']:,} bytes)"
            )
            library: Repository[UUID] = Repository(service.events)
            if not args.default_gc:
                collector.tune()  # as `dossier serve` and `dossier worker` do
            say(f"reading: {args.reads} reads of each kind, interleaved ...")
            figures, groups, check = measure(
                service, library, case_id, timestamps, args.reads, rng
            )
            print_table(
                f"Time travel: one case of {args.events:,} events"
                f" (snapshot every 50), {args.reads:,} reads of each kind, ms",
                [
                    "read",
                    "reads",
                    "p50",
                    "p95",
                    "p99",
                    "max",
                    "mean",
                    "cpu p50",
                    "cpu p99",
                    "p99 <= 5 ms",
                ],
                [
                    [
                        f["kind"],
                        f["reads"],
                        f["p50_ms"],
                        f["p95_ms"],
                        f["p99_ms"],
                        f["max_ms"],
                        f["mean_ms"],
                        f["cpu_p50_ms"],
                        f["cpu_p99_ms"],
                        f["p99_ms"] <= TARGET_P99_MS,
                    ]
                    for f in figures
                ],
            )
            print_table(
                "By the version read (as of: the version in force), wall ms",
                ["read", "versions", "reads", "p50", "p99", "max"],
                [
                    [
                        kind,
                        g["versions"],
                        g["reads"],
                        g["p50_ms"],
                        g["p99_ms"],
                        g["max_ms"],
                    ]
                    for kind, rows in groups.items()
                    for g in rows
                ],
            )
            print(
                "\nlibrary = eventsourcing Repository(service.events), no snapshot"
                " store: repository.get(case_id, version=N) replays events 1..N"
                " (as of: N = the version in force at the moment)."
            )
            print(
                f"every read compared with the library's aggregate:"
                f" {check['compared']} compared, {check['mismatches']} differ"
            )
            profile = None
            if args.profile:
                profile = profile_ours(service, case_id, timestamps, args.profile, rng)
                for kind, text in profile.items():
                    print(f"\ncProfile, ours, {args.profile} reads by {kind}:")
                    print(text)
            path = write_results(
                run,
                {
                    "parameters": vars(args),
                    "case": {
                        "events": args.events,
                        "event_types": counts,
                        "first_event": timestamps[0].isoformat(),
                        "last_event": timestamps[-1].isoformat(),
                        "build_seconds": round(build_seconds, 3),
                        "store": facts,
                        "snapshot_interval": CaseService.snapshotting_intervals[Case],
                    },
                    "target_p99_ms": TARGET_P99_MS,
                    "reads": figures,
                    "reads_by_version": groups,
                    "check": check,
                    "profile": profile,
                },
            )
            print(f"\nresults: {path.relative_to(path.parents[2])}")
            if check["mismatches"]:
                say(f"MISMATCHES: {check['first_mismatches']}")
                return 1
        finally:
            service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
