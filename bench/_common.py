"""Shared plumbing for the benchmarks: a fresh PostgreSQL schema per run, seeding,
machine facts, JSON results under bench/results/ and plain printed tables."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
# `python bench/x.py` puts bench/ first on the path; the project's own packages
# are installed, but `tests.support` (sample registrations) is only in the tree.
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

from uuid import UUID  # noqa: E402

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from domain.service import CaseService  # noqa: E402
from domain.values import Region, Service  # noqa: E402
from dossier.bulk import load  # noqa: E402
from dossier.settings import Settings  # noqa: E402
from tests.support.samples import COORDINATOR  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/dossier_bench"
URL_VARIABLE = "DOSSIER_BENCH_DATABASE_URL"
RESULTS_DIR = ROOT / "bench" / "results"


def database_url() -> str:
    return os.environ.get(URL_VARIABLE) or DEFAULT_URL


def say(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the figures."""
    print(message, file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    """Create the benchmark database when it is missing."""
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")
        except psycopg.errors.DuplicateDatabase:
            pass


@dataclass
class BenchRun:
    """One benchmark run: its own schema, settings for it, and what it found."""

    script: str
    url: str
    schema: str
    stamp: str
    settings: Settings
    keep: bool
    started: float = field(default_factory=time.monotonic)
    cpu_at_start: tuple[float, float] = field(default_factory=lambda: _cpu_ticks())
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """An autocommit connection whose search_path is this run's schema."""
        return psycopg.connect(
            self.url,
            autocommit=True,
            options=f"-c search_path={self.schema}",
            **kwargs,
        )

    def environment(self) -> dict[str, str]:
        """Environment for a Dossier process on this run's schema."""
        return dossier_environment(self.url, self.schema)


def dossier_environment(url: str, schema: str) -> dict[str, str]:
    """Environment for a Dossier process (serve, worker, CLI) on ``schema``: this
    one's, without any DOSSIER_ setting of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    env["DOSSIER_DATABASE_URL"] = url
    env["DOSSIER_DATABASE_SCHEMA"] = schema
    env["DOSSIER_LOG_FORMAT"] = "json"
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextmanager
def bench_run(script: str, *, keep: bool, pool_size: int = 5) -> Iterator[BenchRun]:
    """A fresh schema ``bench_<timestamp>``, dropped at the end unless ``keep``."""
    url = database_url()
    ensure_database(url)
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    schema = f"bench_{stamp}"
    with psycopg.connect(url, autocommit=True) as conn:
        for attempt in range(2, 100):
            try:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                break
            except psycopg.errors.DuplicateSchema:
                schema = f"bench_{stamp}_{attempt}"
    say(f"{script}: schema {schema} in {redact(url)}")
    settings = Settings(database_url=url, database_schema=schema, pool_size=pool_size)
    run = BenchRun(script, url, schema, stamp, settings, keep)
    try:
        yield run
    finally:
        if keep:
            say(f"kept schema {schema} (--keep)")
        else:
            drop_schema(url, schema)


def drop_schema(url: str, schema: str) -> None:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)
                )
            )
        say(f"dropped schema {schema}")
    except psycopg.Error as error:
        say(f"could not drop schema {schema}: {error}")


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# --- seeding ---


def seed(service: CaseService, cases: int, *, batch: int) -> dict[str, Any]:
    """Bulk-load ``cases`` realistic cases; the figures of the load."""
    say(f"seeding {cases} cases (batch {batch}) ...")
    done = 0
    step = max(1, cases // 10)
    next_report = step
    began = time.monotonic()

    def progress(n: int) -> None:
        nonlocal done, next_report
        done += n
        if done >= next_report:
            elapsed = time.monotonic() - began
            say(f"  {done}/{cases} cases, {elapsed:.0f} s")
            next_report += step

    report = load(service, cases, batch=batch, progress=progress)
    head = service.recorder.max_notification_id() or 0
    seconds = time.monotonic() - began
    return {
        "cases": report.cases,
        "events_counted_by_load": report.events,
        "log_head": head,
        "seconds": round(seconds, 3),
        "cases_per_second": round(report.cases / seconds, 1),
        "events_per_second": round(head / seconds, 1),
        "batch": batch,
    }


def vacuum_analyze(run: BenchRun, table: str = "dossier_events") -> float:
    """VACUUM ANALYZE after a bulk load: sets hint bits and statistics once, so
    whatever reads the log first does not pay for them."""
    began = time.monotonic()
    with run.connect() as conn:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    return time.monotonic() - began


def commit_rate(run: BenchRun, commits: int = 300) -> float:
    """Single-row upsert transactions per second in this run's schema: the
    ceiling of anything that commits once per event (WAL flush per commit)."""
    with run.connect() as conn:
        conn.execute("CREATE TABLE bench_commit_probe (k int PRIMARY KEY, n int)")
        began = time.monotonic()
        for i in range(commits):
            with conn.transaction():
                conn.execute(
                    "INSERT INTO bench_commit_probe VALUES (%s, 1) ON CONFLICT (k)"
                    " DO UPDATE SET n = bench_commit_probe.n + 1",
                    (i % 10,),
                )
        seconds = time.monotonic() - began
        conn.execute("DROP TABLE bench_commit_probe")
    return commits / seconds


# --- facts, results, tables ---


def machine_facts(url: str) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_mb(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {
            name: _version(name)
            for name in ("eventsourcing", "psycopg", "psycopg-pool", "psycopg-binary")
        },
        "git_commit": _git("rev-parse", "HEAD"),
        "git_changed_files": len(
            (_git("--no-optional-locks", "status", "--porcelain") or "").splitlines()
        ),
    }
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT version()").fetchone()
            facts["postgresql"] = row[0] if row else None
            settings = {}
            for name in (
                "server_version",
                "shared_buffers",
                "synchronous_commit",
                "fsync",
                "max_connections",
                "work_mem",
            ):
                value = conn.execute(
                    sql.SQL("SHOW {}").format(sql.Identifier(name))
                ).fetchone()
                settings[name] = value[0] if value else None
            facts["postgresql_settings"] = settings
            host = urlsplit(url).hostname or ""
            facts["postgresql_on_this_machine"] = host in ("127.0.0.1", "localhost", "")
    except psycopg.Error as error:
        facts["postgresql"] = f"unavailable: {error}"
    return facts


def _cpu_ticks() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split()[1:9]]
    except (OSError, ValueError):
        return (0.0, 0.0)
    idle = fields[3] + fields[4]
    return (sum(fields) - idle, sum(fields))


def machine_load(run: BenchRun) -> dict[str, Any]:
    """How busy the machine was over the run: other work on it skews timings."""
    busy0, total0 = run.cpu_at_start
    busy1, total1 = _cpu_ticks()
    ours = os.times()
    elapsed = time.monotonic() - run.started
    cpus = os.cpu_count() or 1
    return {
        "loadavg_at_start": [round(v, 2) for v in run.load_at_start],
        "loadavg_at_end": [round(v, 2) for v in os.getloadavg()],
        "all_cpus_busy_percent": round(100 * (busy1 - busy0) / (total1 - total0), 1)
        if total1 > total0
        else None,
        "this_process_cpu_percent_of_machine": round(
            100 * (ours.user + ours.system) / (elapsed * cpus), 1
        ),
        "child_processes_cpu_percent_of_machine": round(
            100 * (ours.children_user + ours.children_system) / (elapsed * cpus), 1
        ),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    """Read-only git queries (no optional locks, nothing written)."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def write_results(run: BenchRun, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{run.script}-{run.stamp}.json"
    n = 2
    while path.exists():
        path = RESULTS_DIR / f"{run.script}-{run.stamp}-{n}.json"
        n += 1
    document = {
        "script": run.script,
        "started_utc": datetime.strptime(run.stamp, "%Y%m%d_%H%M%S")
        .replace(tzinfo=UTC)
        .isoformat(),
        "argv": sys.argv[1:],
        "database": redact(run.url),
        "schema": run.schema,
        "kept_schema": run.keep,
        "wall_seconds": round(time.monotonic() - run.started, 1),
        "machine": machine_facts(run.url),
        "machine_load": machine_load(run),
        **data,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def print_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """A plain, aligned table on stdout (numbers right-aligned)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [
        all(_is_number(row[i]) for row in rows) if rows else False
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print()
    print(title)
    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def percentile(sorted_values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile of already sorted values (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(min(rank, len(sorted_values))) - 1]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.monotonic()
    value = fn()
    return value, time.monotonic() - began


# --- processes and consultants ---


def stop_process(proc: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, then wait (and kill only when it will not go). uvicorn raises
    the signal again after its graceful shutdown: a server's -15 is clean."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout=10)
    return proc.returncode


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a process's log (empty when there is none)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def register_consultants(service: CaseService, count: int) -> list[UUID]:
    """Consultants of the kind the sample registration needs."""
    return [
        service.register_consultant(
            f"Bench Consulent {n}",
            Region.NOORD_HOLLAND,
            Service.ONDERWIJSCONSULENT,
            40,
            by=COORDINATOR,
        ).id
        for n in range(count)
    ]
