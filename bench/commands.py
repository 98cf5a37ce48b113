"""Command path in commands/s: our application service against the bare
eventsourcing library and against plain psycopg inserts, same commands, one run.

    python bench/commands.py [--commands 3000] [--threads 8] [--profile] [--keep]
                             [--without-chain]

Every variant runs the same planned commands, first from 1 thread, then from
``--threads`` threads (each thread works on cases of its own, as concurrent
HTTP requests on different cases would):

(a) ours: ``CaseService`` as ``dossier.bootstrap.build_service`` builds it for
PostgreSQL. A realistic mix of single-case commands: register a case, record
its two prerequisites, decide intake, assign a consultant, record 2 to 6
activities. Each command loads the aggregate, checks its rules and saves its
new event(s) in one transaction, personal data sealed under the case's key
(a registration also saves the year's reference counter, the reference index
and the case's key).

(b) the bare library: an ``eventsourcing.application.Application`` with a
trivial aggregate (no sealing, no extra tables) in a schema of its own, with
the same POSTGRES_* settings (pool, lock timeout, pre-ping): a registration
creates one aggregate; every other command is ``repository.get``, one event,
``save``.

(c) plain psycopg: one connection per thread; a registration is one INSERT in
its own transaction into an event-log-shaped table; every other command first
SELECTs the case's rows (the "load"), then INSERTs one row in its own
transaction.

(d) with ``--without-chain``: ours again in a schema of its own, its recorder
writing through the library's plain insert (no digest, no chain hash, no
head read under the lock): the hash chain's cost is (a) against (d).

The payloads of (b) and (c) are sized like ours: per command kind, the mean
stored size of our case event of that kind, measured after ours' warm-up.
Each phase runs in ``--rounds`` rounds with the variants taking turns in a
rotating order, so load from other work on the machine falls on all three;
the per-round ratios show how much it moved. ``--profile`` then runs ours once
more under cProfile (1 thread, a fresh plan) and prints the top functions by
cumulative time to stderr.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg
from _common import (
    BenchRun,
    bench_run,
    commit_rate,
    percentile,
    print_table,
    register_consultants,
    say,
    write_results,
)
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from domain.values import ActivityKind, IntakeDecision, Step
from domain.zone import local_date
from dossier.bootstrap import build_service, store_environment
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration

KINDS = (
    "register",
    "record_prerequisite",
    "decide_intake",
    "assign",
    "record_activity",
)
STEPS = list(Step)
ACTIVITY_KINDS = list(ActivityKind)
NOTE = "Gesprek met de intern begeleider gevoerd; school ziet geen plek."
SUMMARY = "Gesprek met ouders en school over de terugkeer."
# Our case event that each command kind writes (the payload the others mimic).
TOPIC_OF_KIND = {
    "register": "Case.Registered",
    "record_prerequisite": "Case.PrerequisiteRecorded",
    "decide_intake": "Case.IntakeDecided",
    "assign": "Case.Assigned",
    "record_activity": "Case.ActivityRecorded",
}


# --- the plan: the same commands for every variant ---


@dataclass(frozen=True)
class Command:
    kind: str
    case_id: UUID
    detail: int = 0  # the prerequisite step, or the activity kind
    consultant: int = 0  # which consultant (assign, record_activity)


@dataclass
class _PlannedCase:
    case_id: UUID
    stage: str = "registered"
    steps_done: int = 0
    consultant: int = 0
    activities_left: int = 0


def make_plan(
    commands: int, threads: int, seed: int, consultants: int
) -> list[list[Command]]:
    """Per thread, a realistic sequence on cases of that thread's own: register
    (about 1 in 9), then each case's prerequisites, intake, assignment and
    activities, interleaved over the thread's open cases (as bench/lag.py)."""
    plans = []
    for index in range(threads):
        rng = random.Random(seed * 1000 + index)
        count = commands // threads + (1 if index < commands % threads else 0)
        open_cases: list[_PlannedCase] = []
        plan: list[Command] = []
        while len(plan) < count:
            if len(open_cases) < 3 or rng.random() < 0.12:
                case_id = UUID(int=rng.getrandbits(128), version=4)
                open_cases.append(_PlannedCase(case_id))
                plan.append(Command("register", case_id))
                continue
            case = rng.choice(open_cases)
            if case.stage == "registered":
                plan.append(
                    Command("record_prerequisite", case.case_id, case.steps_done)
                )
                case.steps_done += 1
                if case.steps_done == len(STEPS):
                    case.stage = "awaiting_intake"
            elif case.stage == "awaiting_intake":
                plan.append(Command("decide_intake", case.case_id))
                case.stage = "awaiting_assignment"
            elif case.stage == "awaiting_assignment":
                case.consultant = rng.randrange(consultants)
                plan.append(Command("assign", case.case_id, consultant=case.consultant))
                case.stage = "assigned"
                case.activities_left = rng.randint(2, 6)
            else:
                plan.append(
                    Command(
                        "record_activity",
                        case.case_id,
                        rng.randrange(len(ACTIVITY_KINDS)),
                        case.consultant,
                    )
                )
                case.activities_left -= 1
                if case.activities_left <= 0:
                    open_cases.remove(case)  # it stays in mediation
        plans.append(plan)
    return plans


# --- the variants ---

Execute = Callable[[Command], None]


class Variant(Protocol):
    name: str

    def executor(self) -> tuple[Execute, Callable[[], None]]:
        """A command runner for one thread, and how to close it."""

    def stored(self) -> tuple[int, int]:
        """(events, bytes of their state) in this variant's event table."""


def table_totals(run: BenchRun, table: sql.Composable) -> tuple[int, int]:
    with run.connect() as conn:
        row = conn.execute(
            sql.SQL("SELECT COUNT(*), COALESCE(SUM(length(state)), 0) FROM {}").format(
                table
            )
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


class Ours:
    """The application service as production builds it, shared by the threads."""

    name = "ours (CaseService)"

    def __init__(
        self, run: BenchRun, consultants: int, schema: str | None = None
    ) -> None:
        self.run = run
        settings = run.settings
        if schema is not None:
            settings = settings.model_copy(update={"database_schema": schema})
        self.schema = schema or run.schema
        self.service = build_service(settings)
        self.table = sql.Identifier(self.schema, "dossier_events")
        self.consultants = register_consultants(self.service, consultants)

    def execute(self, command: Command) -> None:
        service = self.service
        case_id = command.case_id
        if command.kind == "register":
            service.register(registration(), by=INTAKE, case_id=case_id)
            return
        today = local_date(service.clock.now())
        if command.kind == "record_prerequisite":
            service.record_prerequisite(
                case_id, STEPS[command.detail], today, NOTE, by=INTAKE
            )
        elif command.kind == "decide_intake":
            service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
        elif command.kind == "assign":
            service.assign(
                case_id, self.consultants[command.consultant], by=COORDINATOR
            )
        elif command.kind == "record_activity":
            consultant = consultant_actor(self.consultants[command.consultant])
            service.record_activity(
                case_id,
                ACTIVITY_KINDS[command.detail],
                today,
                SUMMARY,
                [],
                by=consultant,
            )
        else:
            raise ValueError(command.kind)

    def executor(self) -> tuple[Execute, Callable[[], None]]:
        return self.execute, lambda: None

    def stored(self) -> tuple[int, int]:
        return table_totals(self.run, self.table)

    def snapshots(self) -> int:
        with self.run.connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT COUNT(*) FROM {}").format(
                    sql.Identifier(self.schema, "dossier_snapshots")
                )
            ).fetchone()
        return int(row[0]) if row else 0

    def payload_sizes(self) -> dict[str, int]:
        """Mean stored bytes of our case event of each command kind."""
        with self.run.connect() as conn:
            rows = conn.execute(
                sql.SQL(
                    "SELECT topic, AVG(length(state)) FROM {} GROUP BY topic"
                ).format(self.table)
            ).fetchall()
        by_topic = {str(topic).rsplit(":", 1)[-1]: float(size) for topic, size in rows}
        return {
            kind: round(by_topic.get(topic, 500.0))
            for kind, topic in TOPIC_OF_KIND.items()
        }

    def close(self) -> None:
        self.service.close()


class Unchained(Ours):
    """Ours, its recorder writing without the hash chain (the chain's baseline)."""

    name = "ours without the hash chain"

    def __init__(self, run: BenchRun, consultants: int, schema: str) -> None:
        super().__init__(run, consultants, schema)
        self.service.recorder.chained = False  # type: ignore[attr-defined]


class Record(Aggregate):
    """The library's trivial aggregate: a payload, changed by one event."""

    def __init__(self, id: UUID, payload: str) -> None:
        self.payload = payload

    @event("Changed")
    def change(self, payload: str) -> None:
        self.payload = payload


class BareApplication(Application[UUID]):
    name = "BenchLibrary"  # its table: benchlibrary_events


class Library:
    """The bare library on the same server, with our POSTGRES_* settings."""

    name = "bare library"

    def __init__(self, run: BenchRun, schema: str, sizes: dict[str, int]) -> None:
        self.run = run
        env = store_environment(run.settings)
        env["POSTGRES_SCHEMA"] = schema
        self.app = BareApplication(env)
        self.table = sql.Identifier(schema, "benchlibrary_events")
        # The payload string that makes each kind's stored event as big as ours.
        probe = Record(id=UUID(int=0), payload="")
        probe.change("")
        created, changed = (
            len(self.app.mapper.to_stored_event(e).state)
            for e in probe.collect_events()
        )
        self.payloads = {
            kind: "x" * max(0, size - (created if kind == "register" else changed))
            for kind, size in sizes.items()
        }

    def execute(self, command: Command) -> None:
        payload = self.payloads[command.kind]
        if command.kind == "register":
            self.app.save(Record(id=command.case_id, payload=payload))
            return
        record: Record = self.app.repository.get(command.case_id)
        record.change(payload)
        self.app.save(record)

    def executor(self) -> tuple[Execute, Callable[[], None]]:
        return self.execute, lambda: None

    def stored(self) -> tuple[int, int]:
        return table_totals(self.run, self.table)

    def close(self) -> None:
        self.app.close()


class Plain:
    """Plain psycopg: a connection per thread, one INSERT per command."""

    name = "plain psycopg"

    def __init__(self, run: BenchRun, schema: str, sizes: dict[str, int]) -> None:
        self.run = run
        self.table = sql.Identifier(schema, "plain_events")
        with run.connect() as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (originator_id uuid NOT NULL,"
                    " version int NOT NULL, topic text NOT NULL, state bytea NOT NULL,"
                    " PRIMARY KEY (originator_id, version))"
                ).format(self.table)
            )
        self.payloads = {kind: os.urandom(size) for kind, size in sizes.items()}
        self.insert = sql.SQL(
            "INSERT INTO {} (originator_id, version, topic, state)"
            " VALUES (%s, %s, %s, %s)"
        ).format(self.table)
        self.select = sql.SQL(
            "SELECT version, topic, state FROM {} WHERE originator_id = %s"
            " ORDER BY version"
        ).format(self.table)

    def executor(self) -> tuple[Execute, Callable[[], None]]:
        conn = psycopg.connect(self.run.url, autocommit=True)

        def execute(command: Command) -> None:
            version = 1
            if command.kind != "register":
                rows = conn.execute(self.select, (command.case_id,)).fetchall()
                if not rows:
                    raise LookupError(f"no case {command.case_id}")
                version = int(rows[-1][0]) + 1
            with conn.transaction():
                conn.execute(
                    self.insert,
                    (
                        command.case_id,
                        version,
                        f"bench:{command.kind}",
                        self.payloads[command.kind],
                    ),
                )

        return execute, conn.close

    def stored(self) -> tuple[int, int]:
        return table_totals(self.run, self.table)


# --- running and measuring ---


@dataclass
class ThreadStats:
    seconds: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    first_error: str | None = None


@dataclass
class Tally:
    """One variant at one thread count, summed over its rounds."""

    stats: list[ThreadStats] = field(default_factory=list)
    seconds: float = 0.0
    events: int = 0
    state_bytes: int = 0
    rounds: list[float] = field(default_factory=list)  # commands/s of each


def run_plan(
    variant: Variant, plan: list[list[Command]], tally: Tally | None = None
) -> Tally:
    """Every thread runs its own list at once; adds the figures to ``tally``."""
    executors = [variant.executor() for _ in plan]
    stats = [ThreadStats() for _ in plan]
    start = threading.Barrier(len(plan) + 1)

    def work(index: int) -> None:
        execute, _ = executors[index]
        mine = stats[index]
        start.wait()
        for command in plan[index]:
            began = time.perf_counter()
            try:
                execute(command)
            except Exception as error:  # counted, the first one kept
                mine.errors[type(error).__name__] += 1
                if mine.first_error is None:
                    mine.first_error = traceback.format_exc()
                continue
            took = time.perf_counter() - began
            mine.seconds.append(took)
            mine.by_kind[command.kind].append(took)

    events_before, bytes_before = variant.stored()
    threads = [
        threading.Thread(target=work, args=(i,), name=f"cmd-{i}", daemon=True)
        for i in range(len(plan))
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for _, close in executors:
        close()
    events_after, bytes_after = variant.stored()
    tally = tally or Tally()
    tally.stats.extend(stats)
    tally.seconds += elapsed
    tally.events += events_after - events_before
    tally.state_bytes += bytes_after - bytes_before
    tally.rounds.append(round(sum(len(s.seconds) for s in stats) / elapsed, 1))
    return tally


def summarise(tally: Tally, threads: int) -> dict[str, Any]:
    stats, elapsed = tally.stats, tally.seconds
    events, state_bytes = tally.events, tally.state_bytes
    latencies = sorted(x for s in stats for x in s.seconds)
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter[str] = collections.Counter()
    for s in stats:
        errors.update(s.errors)
        for kind, values in s.by_kind.items():
            by_kind[kind].extend(values)

    def ms(value: float | None) -> float | None:
        return round(value * 1000, 2) if value is not None else None

    done = len(latencies)
    return {
        "threads": threads,
        "commands": done,
        "seconds": round(elapsed, 3),
        "commands_per_second": round(done / elapsed, 1) if elapsed else None,
        "commands_per_second_by_round": tally.rounds,
        "events": events,
        "events_per_command": round(events / done, 2) if done else None,
        "events_per_second": round(events / elapsed, 1) if elapsed else None,
        "mean_state_bytes": round(state_bytes / events) if events else None,
        "state_bytes_per_command": round(state_bytes / done) if done else None,
        "latency_ms": {
            "p50": ms(percentile(latencies, 50)),
            "p95": ms(percentile(latencies, 95)),
            "p99": ms(percentile(latencies, 99)),
            "max": ms(latencies[-1] if latencies else None),
            "mean": ms(sum(latencies) / done if done else None),
        },
        "commands_by_kind": {k: len(by_kind[k]) for k in KINDS if k in by_kind},
        "p50_ms_by_kind": {
            k: ms(percentile(sorted(by_kind[k]), 50)) for k in KINDS if k in by_kind
        },
        "errors": dict(errors),
        "first_error": next((s.first_error for s in stats if s.first_error), None),
    }


def profile_ours(ours: Ours, plan: list[list[Command]], dump: Path) -> dict[str, Any]:
    """cProfile of ours from the main thread over a fresh sequential plan."""
    profiler = cProfile.Profile()
    errors = 0
    began = time.perf_counter()
    profiler.enable()
    for command in plan[0]:
        try:
            ours.execute(command)
        except Exception:  # counted; the profile is still worth reading
            errors += 1
    profiler.disable()
    seconds = time.perf_counter() - began
    profiler.dump_stats(dump)  # outside the tree: `python -m pstats` it
    texts = {}
    for order, lines in (("cumulative", 40), ("tottime", 25)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        texts[order] = out.getvalue()
    return {
        "commands": len(plan[0]),
        "errors": errors,
        "seconds_profiled": round(seconds, 3),
        "commands_per_second_under_profiler": round(len(plan[0]) / seconds, 1),
        "top_cumulative": texts["cumulative"],
        "top_tottime": texts["tottime"],
        "pstats_file": str(dump),
    }


@contextmanager
def extra_schema(run: BenchRun, suffix: str) -> Iterator[str]:
    """A second schema beside the run's, dropped with it (unless --keep)."""
    name = f"{run.schema}_{suffix}"
    with run.connect() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        if run.keep:
            say(f"kept schema {name} (--keep)")
        else:
            with run.connect() as conn:
                conn.execute(
                    sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name))
                )


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def spread(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{min(known):.2f} to {max(known):.2f}" if known else "-"


# --- main ---


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=3000, help="per phase")
    parser.add_argument(
        "--threads", type=int, default=8, help="the concurrent phase (after 1 thread)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="each phase in this many rounds, the variants taking turns",
    )
    parser.add_argument("--warmup", type=int, default=200, help="commands, untimed")
    parser.add_argument("--consultants", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-commands", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the schemas")
    parser.add_argument(
        "--without-chain",
        action="store_true",
        help="also ours without the hash chain (its cost: same run, same plans)",
    )
    args = parser.parse_args(argv)
    thread_counts = sorted({1, args.threads})
    pool_size = max(5, args.threads)

    with (
        bench_run("commands", keep=args.keep, pool_size=pool_size) as run,
        extra_schema(run, "lib") as library_schema,
        extra_schema(run, "pg") as plain_schema,
        extra_schema(run, "nochain") as unchained_schema,
    ):
        commits_per_second = commit_rate(run)
        say(f"single-row commits/s on this server: {commits_per_second:.0f}")
        seeds = iter(range(args.seed * 100, args.seed * 100 + 100))

        def plan_of(commands: int, threads: int) -> list[list[Command]]:
            return make_plan(commands, threads, next(seeds), args.consultants)

        ours = Ours(run, args.consultants)
        unchained = (
            Unchained(run, args.consultants, unchained_schema)
            if args.without_chain
            else None
        )
        library: Library | None = None
        phases: list[dict[str, Any]] = []
        profile = None
        try:
            say("ours: warm-up ...")
            run_plan(ours, plan_of(args.warmup, 1))
            sizes = ours.payload_sizes()
            say(f"payload bytes per kind (ours' case events): {sizes}")
            library = Library(run, library_schema, sizes)
            plain = Plain(run, plain_schema, sizes)
            variants: list[Variant] = [ours, library, plain]
            if unchained is not None:
                variants.append(unchained)
            for variant in variants[1:]:
                say(f"{variant.name}: warm-up ...")
                run_plan(variant, plan_of(args.warmup, 1))
            for threads in thread_counts:
                say(f"phase: {args.commands} commands, {threads} thread(s)")
                tallies = {v.name: Tally() for v in variants}
                for r in range(args.rounds):
                    size = args.commands // args.rounds
                    size += args.commands % args.rounds if r == 0 else 0
                    plan = plan_of(size, threads)
                    # Each round in another order, so drifting load is shared.
                    turn = r % len(variants)
                    for variant in variants[turn:] + variants[:turn]:
                        tally = run_plan(variant, plan, tallies[variant.name])
                        say(
                            f"  round {r + 1}/{args.rounds} {variant.name}:"
                            f" {size} commands, {tally.rounds[-1]:.0f}/s"
                        )
                for variant in variants:
                    result = summarise(tallies[variant.name], threads)
                    phases.append({"variant": variant.name, **result})
                    if result["first_error"]:
                        say(f"{variant.name}: {result['errors']}")
                        say(result["first_error"])
            snapshots = ours.snapshots()
            commits_after = commit_rate(run)
            if args.profile:
                say(f"profile: ours, {args.profile_commands} commands, 1 thread ...")
                profile = profile_ours(
                    ours,
                    plan_of(args.profile_commands, 1),
                    Path(tempfile.gettempdir()) / f"dossier-commands-{run.stamp}.prof",
                )
                say(
                    f"\nProfile of ours ({profile['commands']} commands,"
                    f" {profile['commands_per_second_under_profiler']:.0f}/s under"
                    " cProfile), top 40 by cumulative time:"
                )
                say(profile["top_cumulative"])
                say("Top 25 by own time:")
                say(profile["top_tottime"])
        finally:
            ours.close()
            if unchained is not None:
                unchained.close()
            if library is not None:
                library.close()

        rows = []
        ratios = []
        for threads in thread_counts:
            group = [p for p in phases if p["threads"] == threads]
            by_name = {p["variant"]: p for p in group}
            for p in group:
                lat = p["latency_ms"]
                rows.append(
                    [
                        p["variant"],
                        threads,
                        p["commands"],
                        p["events"],
                        p["commands_per_second"],
                        p["events_per_second"],
                        lat["p50"],
                        lat["p95"],
                        lat["p99"],
                        p["state_bytes_per_command"],
                        sum(p["errors"].values()),
                    ]
                )
            mine = by_name[Ours.name]
            others = [Library.name, Plain.name]
            others += [Unchained.name] if Unchained.name in by_name else []
            for other in others:
                theirs = by_name[other]
                ratios.append(
                    {
                        "threads": threads,
                        "versus": other,
                        "throughput_ours_over_theirs": ratio(
                            mine["commands_per_second"], theirs["commands_per_second"]
                        ),
                        "p50_latency_ours_over_theirs": ratio(
                            mine["latency_ms"]["p50"], theirs["latency_ms"]["p50"]
                        ),
                        "p99_latency_ours_over_theirs": ratio(
                            mine["latency_ms"]["p99"], theirs["latency_ms"]["p99"]
                        ),
                        "throughput_ratio_by_round": [
                            ratio(a, b)
                            for a, b in zip(
                                mine["commands_per_second_by_round"],
                                theirs["commands_per_second_by_round"],
                                strict=True,
                            )
                        ],
                    }
                )
        print_table(
            f"Command path on PostgreSQL ({args.commands:,} commands per phase,"
            f" pool {pool_size})",
            [
                "variant",
                "threads",
                "commands",
                "events",
                "commands/s",
                "events/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "bytes/cmd",
                "errors",
            ],
            rows,
        )
        print_table(
            "Ratios (throughput: ours/theirs commands/s; latency: ours/theirs)",
            [
                "threads",
                "versus",
                "throughput",
                "rounds' range",
                "p50 latency",
                "p99 latency",
            ],
            [
                [
                    r["threads"],
                    r["versus"],
                    r["throughput_ours_over_theirs"],
                    spread(r["throughput_ratio_by_round"]),
                    r["p50_latency_ours_over_theirs"],
                    r["p99_latency_ours_over_theirs"],
                ]
                for r in ratios
            ],
        )
        print_table(
            "p50 latency by command kind, ms",
            ["variant", "threads", *KINDS],
            [
                [
                    p["variant"],
                    p["threads"],
                    *(p["p50_ms_by_kind"].get(k) for k in KINDS),
                ]
                for p in phases
            ],
        )
        path = write_results(
            run,
            {
                "parameters": {**vars(args), "pool_size": pool_size},
                "single_row_commits_per_second_before_after": [
                    round(commits_per_second, 1),
                    round(commits_after, 1),
                ],
                "payload_bytes_by_kind": sizes,
                "ours_snapshots_taken": snapshots,
                "schemas": [run.schema, library_schema, plain_schema],
                "phases": phases,
                "ratios": ratios,
                "profile": profile,
            },
        )
        print(
            f"\nsingle-row commits/s on this server before/after:"
            f" {commits_per_second:,.0f}/{commits_after:,.0f}"
        )
        print(f"results: {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
