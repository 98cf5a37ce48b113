"""Save-to-read-model lag under load: how long after a command returns its case
shows in the case list, with N writer threads issuing realistic commands.

    python bench/lag.py [--cases 20000] [--writers 8] [--seconds 30] [--worker-process]

In-process (default): a ProjectionHost with every registered projection runs in
the writers' process (woken by saves and NOTIFY, polling every second); after
each command the writer thread calls ``host.wait_for(result.log_position,
timeout=5, names=["case_list"])``. With ``--worker-process`` the projections run
in ``python -m workers case_list`` and each writer polls ``projection_state``
(the serving case_list version's position) every millisecond instead.
"""

from __future__ import annotations

import argparse
import collections
import random
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from _common import (
    ROOT,
    BenchRun,
    bench_run,
    percentile,
    print_table,
    register_consultants,
    say,
    seed,
    stop_process,
    tail,
    vacuum_analyze,
    write_results,
)
from psycopg import sql

from domain.service import CaseService, Result
from domain.values import ActivityKind, IntakeDecision, Step
from domain.zone import local_date
from dossier.bootstrap import build_read_database, build_service
from projections.registry import resolve
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration
from workers.projection_host import ProjectionHost

STEPS = list(Step)
STATE_QUERY = (
    "SELECT position FROM projection_state"
    " WHERE name = 'case_list' AND status = 'serving'"
)


# --- what the writers do ---


@dataclass
class OpenCase:
    """A case this writer registered and is taking through intake to mediation."""

    case_id: UUID
    steps_done: int = 0
    stage: str = "registered"
    consultant_id: UUID | None = None
    activities_left: int = 0


class Workload:
    """One writer's realistic mix: register cases, record their prerequisites,
    decide intake, assign a consultant, record activities; and record
    activities on older (bulk-loaded) cases that are in mediation."""

    def __init__(
        self,
        service: CaseService,
        consultants: list[UUID],
        base_cases: list[tuple[UUID, UUID]],
        rng: random.Random,
    ) -> None:
        self.service = service
        self.consultants = consultants
        self.base_cases = base_cases
        self.rng = rng
        self.open: list[OpenCase] = []

    def step(self) -> tuple[str, Result]:
        rng = self.rng
        if len(self.open) < 3 or rng.random() < 0.12:
            return "register", self._register()
        if self.base_cases and rng.random() < 0.3:
            case_id, consultant_id = rng.choice(self.base_cases)
            return "activity_on_older_case", self._activity(case_id, consultant_id)
        case = rng.choice(self.open)
        if case.stage == "registered":
            step = STEPS[case.steps_done]
            result = self.service.record_prerequisite(
                case.case_id, step, self._today(), None, by=INTAKE
            )
            case.steps_done += 1
            if case.steps_done == len(STEPS):
                case.stage = "awaiting_intake"
            return "record_prerequisite", result
        if case.stage == "awaiting_intake":
            result = self.service.decide_intake(
                case.case_id, IntakeDecision.ADMISSIBLE, by=INTAKE
            )
            case.stage = "awaiting_assignment"
            return "decide_intake", result
        if case.stage == "awaiting_assignment":
            case.consultant_id = rng.choice(self.consultants)
            result = self.service.assign(
                case.case_id, case.consultant_id, by=COORDINATOR
            )
            case.stage = "assigned"
            case.activities_left = rng.randint(2, 6)
            return "assign", result
        assert case.consultant_id is not None
        result = self._activity(case.case_id, case.consultant_id)
        case.activities_left -= 1
        if case.activities_left <= 0:
            self.open.remove(case)  # it stays in mediation; we move on
        return "record_activity", result

    def _register(self) -> Result:
        result = self.service.register(registration(), by=INTAKE)
        self.open.append(OpenCase(result.case.id))
        return result

    def _activity(self, case_id: UUID, consultant_id: UUID) -> Result:
        return self.service.record_activity(
            case_id,
            self.rng.choice(list(ActivityKind)),
            self._today(),
            "Gesprek met ouders en school over de terugkeer.",
            [],
            by=consultant_actor(consultant_id),
        )

    def _today(self) -> Any:
        return local_date(self.service.clock.now())


# --- measuring ---


@dataclass
class WriterStats:
    lags: list[float] = field(default_factory=list)
    command_seconds: list[float] = field(default_factory=list)
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    lag_by_kind: dict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    timeouts: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    first_error: str | None = None


Waiter = Callable[[int, float], bool]


class StatePoller:
    """Waits by polling the serving case_list position (one connection each)."""

    def __init__(self, run: BenchRun, interval: float) -> None:
        self.conn = run.connect()
        self.interval = interval
        self.polls = 0

    def __call__(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            row = self.conn.execute(STATE_QUERY, prepare=True).fetchone()
            self.polls += 1
            if row is not None and int(row[0]) >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.interval)

    def close(self) -> None:
        self.conn.close()


def run_writers(
    service: CaseService,
    make_waiter: Callable[[], tuple[Waiter, Callable[[], None]]],
    consultants: list[UUID],
    base_cases: list[tuple[UUID, UUID]],
    *,
    writers: int,
    seconds: float,
    timeout: float,
) -> tuple[list[WriterStats], float, int]:
    stats = [WriterStats() for _ in range(writers)]
    polls = [0] * writers
    ready = threading.Barrier(writers + 1)
    end = [0.0]

    def write(index: int) -> None:
        mine = stats[index]
        waiter, close = make_waiter()
        workload = Workload(
            service,
            consultants,
            base_cases[index::writers],
            random.Random(1000 + index),
        )
        ready.wait()
        try:
            while time.monotonic() < end[0]:
                began = time.monotonic()
                try:
                    kind, result = workload.step()
                except Exception as error:  # counted, shown once, and go on
                    mine.errors[type(error).__name__] += 1
                    if mine.first_error is None:
                        mine.first_error = traceback.format_exc()
                    continue
                returned = time.monotonic()
                ok = waiter(result.log_position, timeout)
                seen = time.monotonic()
                mine.kinds[kind] += 1
                mine.command_seconds.append(returned - began)
                if ok:
                    mine.lags.append(seen - returned)
                    mine.lag_by_kind[kind].append(seen - returned)
                else:
                    mine.timeouts += 1
        finally:
            polls[index] = getattr(waiter, "polls", 0)
            close()

    threads = [
        threading.Thread(target=write, args=(i,), name=f"writer-{i}", daemon=True)
        for i in range(writers)
    ]
    for thread in threads:
        thread.start()
    head_before = service.recorder.max_notification_id() or 0
    end[0] = time.monotonic() + seconds
    began = time.monotonic()
    ready.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    head_after = service.recorder.max_notification_id() or 0
    say(f"  {writers} writers done in {elapsed:.1f} s; polls {sum(polls)}")
    return stats, elapsed, head_after - head_before


def summarise(stats: list[WriterStats], elapsed: float, events: int) -> dict[str, Any]:
    lags = sorted(x for s in stats for x in s.lags)
    commands = sorted(x for s in stats for x in s.command_seconds)
    kinds: collections.Counter[str] = collections.Counter()
    errors: collections.Counter[str] = collections.Counter()
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for s in stats:
        kinds.update(s.kinds)
        errors.update(s.errors)
        for kind, values in s.lag_by_kind.items():
            by_kind[kind].extend(values)

    def ms(value: float | None) -> float | None:
        return round(value * 1000, 2) if value is not None else None

    return {
        "seconds": round(elapsed, 3),
        "commands": len(commands),
        "commands_per_second": round(len(commands) / elapsed, 1),
        "events_written": events,
        "events_per_second": round(events / elapsed, 1),
        "lag_ms": {
            "p50": ms(percentile(lags, 50)),
            "p95": ms(percentile(lags, 95)),
            "p99": ms(percentile(lags, 99)),
            "max": ms(lags[-1] if lags else None),
            "mean": ms(sum(lags) / len(lags) if lags else None),
            "samples": len(lags),
        },
        "timeouts": sum(s.timeouts for s in stats),
        "command_ms": {
            "p50": ms(percentile(commands, 50)),
            "p95": ms(percentile(commands, 95)),
            "p99": ms(percentile(commands, 99)),
            "max": ms(commands[-1] if commands else None),
        },
        "commands_by_kind": dict(kinds),
        "lag_p50_ms_by_kind": {
            k: ms(percentile(sorted(v), 50)) for k, v in sorted(by_kind.items())
        },
        "errors": dict(errors),
        "first_error": next((s.first_error for s in stats if s.first_error), None),
    }


# --- setting up ---


def older_cases(run: BenchRun) -> list[tuple[UUID, UUID]]:
    """Bulk-loaded cases in mediation, with their consultant, from the case list."""
    with run.connect() as conn:
        row = conn.execute(
            "SELECT version FROM projection_state"
            " WHERE name = 'case_list' AND status = 'serving'"
        ).fetchone()
        if row is None:
            return []
        table = sql.Identifier(f"case_list_v{int(row[0])}")
        rows = conn.execute(
            sql.SQL(
                "SELECT case_id, consultant_id FROM {} WHERE consultant_id IS NOT NULL"
                " AND status IN ('assigned', 'in_mediation') ORDER BY case_id"
            ).format(table)
        ).fetchall()
    return [(UUID(str(r[0])), UUID(str(r[1]))) for r in rows]


def serving_position(run: BenchRun) -> int | None:
    try:
        with run.connect() as conn:
            row = conn.execute(STATE_QUERY).fetchone()
    except Exception:  # the worker has not created the table yet
        return None
    return int(row[0]) if row else None


def start_worker(run: BenchRun, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "workers", "case_list"],
        cwd=ROOT,
        env=run.environment(),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


# --- main ---


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed-batch", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=5.0, help="per wait, s")
    parser.add_argument("--consultants", type=int, default=4)
    parser.add_argument(
        "--worker-process",
        action="store_true",
        help="projections in `python -m workers case_list`; writers poll the state",
    )
    parser.add_argument("--poll-ms", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    args = parser.parse_args(argv)
    variant = "worker process" if args.worker_process else "in-process host"
    pool_size = max(5, args.writers)

    with bench_run("lag", keep=args.keep, pool_size=pool_size) as run:
        service = build_service(run.settings)
        db = build_read_database(run.settings)
        host: ProjectionHost | None = None
        worker: subprocess.Popen[bytes] | None = None
        log = Path(tempfile.gettempdir()) / f"dossier-{run.schema}-worker.log"
        extra: dict[str, Any] = {}
        try:
            seeding = seed(service, args.cases, batch=args.seed_batch)
            head = int(seeding["log_head"])
            seeding["vacuum_analyze_seconds"] = round(vacuum_analyze(run), 3)
            print_table(
                f"Seeding (dossier.bulk.load, batch {args.seed_batch})",
                ["cases", "events", "seconds", "cases/s", "events/s"],
                [
                    [
                        seeding["cases"],
                        head,
                        seeding["seconds"],
                        seeding["cases_per_second"],
                        seeding["events_per_second"],
                    ]
                ],
            )

            began = time.monotonic()
            if args.worker_process:
                say(f"starting worker (log {log}) and catching up {head} events ...")
                worker = start_worker(run, log)
                while (serving_position(run) or 0) < head:
                    if worker.poll() is not None:
                        raise RuntimeError(
                            f"worker exited {worker.returncode}:\n{tail(log)}"
                        )
                    time.sleep(0.2)
                projections = ["case_list"]
            else:
                classes = resolve(None)
                projections = [c.name for c in classes]
                say(f"starting host {projections}, catching up {head} events ...")
                host = ProjectionHost(
                    service,
                    db,
                    classes,
                    poll_seconds=1.0,
                    listen_url=run.settings.database_url,
                )
                host.start()
                if not host.wait_for(head, timeout=3600):
                    raise RuntimeError("the host did not catch up within an hour")
            catch_up_seconds = time.monotonic() - began
            say(
                f"  caught up in {catch_up_seconds:.1f} s"
                f" ({head / catch_up_seconds:.0f} events/s)"
            )

            consultants = register_consultants(service, args.consultants)
            base = older_cases(run)
            say(
                f"running {args.writers} writers for {args.seconds:.0f} s"
                f" ({len(base)} older cases in mediation to work on) ..."
            )

            def make_waiter() -> tuple[Waiter, Callable[[], None]]:
                if host is not None:
                    running = host

                    def wait(position: int, timeout: float) -> bool:
                        return running.wait_for(
                            position, timeout=timeout, names=["case_list"]
                        )

                    return wait, lambda: None
                poller = StatePoller(run, args.poll_ms / 1000)
                return poller, poller.close

            stats, elapsed, events = run_writers(
                service,
                make_waiter,
                consultants,
                base,
                writers=args.writers,
                seconds=args.seconds,
                timeout=args.timeout,
            )
            summary = summarise(stats, elapsed, events)
            if host is not None:
                extra["lags_at_end"] = [vars(lag) for lag in host.lags()]
        finally:
            if host is not None:
                host.stop()
            if worker is not None:
                extra["worker_exit_code"] = stop_process(worker)
                extra["worker_log_tail"] = tail(log, 10)
            db.close()
            service.close()

        lag = summary["lag_ms"]
        cmd = summary["command_ms"]
        print_table(
            f"Save-to-read-model lag ({variant}; case_list; {args.writers} writers,"
            f" {args.seconds:.0f} s, base {args.cases:,} cases)",
            [
                "variant",
                "commands",
                "commands/s",
                "events/s",
                "lag p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "timeouts",
                "errors",
            ],
            [
                [
                    variant,
                    summary["commands"],
                    summary["commands_per_second"],
                    summary["events_per_second"],
                    lag["p50"],
                    lag["p95"],
                    lag["p99"],
                    lag["max"],
                    summary["timeouts"],
                    sum(summary["errors"].values()),
                ]
            ],
        )
        print_table(
            "Command latency (command call to return, ms) and mix",
            ["p50", "p95", "p99", "max", "catch-up s", "mix"],
            [
                [
                    cmd["p50"],
                    cmd["p95"],
                    cmd["p99"],
                    cmd["max"],
                    round(catch_up_seconds, 1),
                    ", ".join(
                        f"{k} {v}"
                        for k, v in sorted(summary["commands_by_kind"].items())
                    ),
                ]
            ],
        )
        if summary["first_error"]:
            print(f"\nerrors {summary['errors']}; first:\n{summary['first_error']}")
        path = write_results(
            run,
            {
                "parameters": {**vars(args), "pool_size": pool_size},
                "variant": variant,
                "projections_running": projections,
                "seeding": seeding,
                "catch_up_seconds": round(catch_up_seconds, 3),
                "result": summary,
                **extra,
            },
        )
        print(f"\nresults: {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
