"""HTTP under load (issue 5): 16 concurrent clients for a fixed time against
`dossier serve` on the stored corpus, per kind of request throughput and p50,
p95, p99, and the save-to-read-model lag under that load.

    python bench/http_load.py [--cases N] [--seconds 30] [--clients 16] [--profile]

The corpus is bench/_corpus.py's (one million cases by default; ``--cases`` or
``DOSSIER_BENCH_CASES`` for a smaller one). This script starts `dossier worker`
(every read model) and `dossier serve` on a free port as processes of their own,
gives bench users a fresh token (`dossier users add` / `users token`), picks
sample cases from the case list, then runs bench/_loadgen.py (async httpx, a
third process) once per phase:

1. ``mix``: the realistic mix, commands 20%, case list with filters 20%, case
   detail 30%, dashboard 15%, history 5%, as-of reads 10%;
2. ``commands``: commands only (registrations and lifecycle commands).

During each phase a thread samples the server's PostgreSQL sessions (marked
by PGAPPNAME) and who holds the events table's EXCLUSIVE lock, which the event
store takes for every write until its commit. With ``--profile`` a third phase
repeats the commands under two py-spy samplers (installed in the venv for the
measurement, not a dependency) attached to the server, and prints where the
requests' thread time goes (running Python, waiting for PostgreSQL, for a
pooled connection or on a lock, by our innermost file:line) and where the
server's CPU goes (the thread holding the GIL).

Lag: every command answer carries X-Log-Position. A thread here polls the
serving case_list position in ``projection_state`` every ``--poll-ms`` on a
connection of its own and notes when each position was first seen; a command's
lag is that moment minus the moment its answer was read (0 when the read model
was there first). The poll interval bounds the error (it can only overstate).

The load writes to the corpus (new cases, lifecycle commands, activities on
stored cases): the corpus grows a little each run; the events appended are added
to the marker's ``writes`` column.
"""

from __future__ import annotations

import argparse
import bisect
import json
import linecache
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from _common import (
    ROOT,
    BenchRun,
    _cpu_ticks,
    commit_rate,
    database_url,
    percentile,
    print_table,
    say,
    stop_process,
    tail,
    write_results,
)
from _corpus import MARKER, Corpus, default_cases, ensure_corpus
from psycopg import sql

from domain.zone import local_date
from projections.figures import school_year_of

BIN = Path(sys.executable).parent
LOADGEN = ROOT / "bench" / "_loadgen.py"
STATE_QUERY = (
    "SELECT position FROM projection_state"
    " WHERE name = 'case_list' AND status = 'serving'"
)
MIX = {
    "command": 20,
    "list": 20,
    "detail": 30,
    "dashboard": 15,
    "history": 5,
    "as_of": 10,
}
COMMANDS_ONLY = {"command": 100}
REGIONS = [
    "groningen",
    "friesland",
    "drenthe",
    "overijssel",
    "flevoland",
    "gelderland",
    "utrecht",
    "noord-holland",
    "zuid-holland",
    "zeeland",
    "noord-brabant",
    "limburg",
]
ROLES = ("intake", "coordinator", "auditor")
TARGETS = {"command_p50_ms": 10.0, "command_p99_ms": 50.0, "commands_per_s": 400.0}
LAG_P99_TARGET_MS = 25.0


# `dossier serve` with another GIL switch interval (the --switch-interval-ms
# experiment; nothing in Dossier itself changes).
SERVE_WITH_SWITCH_INTERVAL = """
import os, sys
sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
sys.argv[0] = "dossier"
from dossier.cli import app
sys.exit(app())
"""


# --- the corpus -----------------------------------------------------------------------


def choose_corpus(cases: int | None) -> Corpus:
    """The corpus asked for; refuses one whose build has begun but not completed
    (ensure_corpus would drop it and start again, under another build's feet)."""
    wanted = cases or default_cases()
    schema = f"corpus_{wanted}"
    url = database_url()
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            schema_exists = conn.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                (schema,),
            ).fetchone()
            marker = conn.execute(
                "SELECT 1 FROM information_schema.tables"
                " WHERE table_schema = %s AND table_name = %s",
                (schema, MARKER),
            ).fetchone()
    except psycopg.OperationalError:
        schema_exists = marker = None  # no database yet: ensure_corpus makes it
    if schema_exists and not marker:
        raise SystemExit(
            f"schema {schema} exists without its {MARKER} marker: a build is running"
            " (or was interrupted). Wait for it, use a smaller corpus (--cases 3000),"
            f" or rebuild it with `python bench/_corpus.py {wanted}`."
        )
    return ensure_corpus(wanted, pool_size=5)


def log_head(corpus: Corpus) -> int:
    with corpus.connect() as conn:
        row = conn.execute("SELECT max(notification_id) FROM dossier_events").fetchone()
    return int(str(row[0])) if row and row[0] is not None else 0


def count_writes(corpus: Corpus, events: int) -> None:
    """Add the events this run appended to the marker's ``writes``."""
    with corpus.connect() as conn:
        table = sql.Identifier(MARKER)
        conn.execute(
            sql.SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS"
                " writes bigint NOT NULL DEFAULT 0"
            ).format(table)
        )
        conn.execute(
            sql.SQL("UPDATE {} SET writes = writes + %s").format(table), (events,)
        )


def samples(corpus: Corpus, count: int) -> dict[str, Any]:
    """Random stored cases to read, and cases in mediation to record activities on."""
    with corpus.connect() as conn:
        row = conn.execute(
            "SELECT version FROM projection_state"
            " WHERE name = 'case_list' AND status = 'serving'"
        ).fetchone()
        assert row is not None, "the corpus's case list is built"
        table = sql.Identifier(f"case_list_v{int(str(row[0]))}")
        total = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table))
        n = int(str((total.fetchone() or (0,))[0]))
        percent = min(100.0, 100.0 * 3 * count / max(n, 1))
        rows = conn.execute(
            sql.SQL(
                "SELECT case_id, reference, status, registered_at, consultant_id"
                " FROM {} TABLESAMPLE BERNOULLI (%s) WHERE erased = 0 LIMIT %s"
            ).format(table),
            (percent, count),
        ).fetchall()
        mediation = conn.execute(
            sql.SQL(
                "SELECT case_id FROM {} TABLESAMPLE BERNOULLI (%s)"
                " WHERE status IN ('assigned', 'in_mediation') LIMIT %s"
            ).format(table),
            (min(100.0, percent * 5), count),
        ).fetchall()
    cases = [
        {
            "id": r[0],
            "reference": r[1],
            "status": r[2],
            "registered_at": float(str(r[3])),
            "consultant_id": r[4],
        }
        for r in rows
    ]
    return {"cases": cases, "mediation_cases": [r[0] for r in mediation]}


# --- processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )


def postmaster_pid(corpus: Corpus) -> int | None:
    """PostgreSQL's postmaster, when it runs on this machine (the parent of a
    backend of ours); None when the server is elsewhere or out of sight."""
    try:
        with corpus.connect() as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            assert row is not None
            text = Path(f"/proc/{row[0]}/stat").read_text()
    except (psycopg.Error, OSError):
        return None
    return int(text[text.rindex(")") + 2 :].split()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its descendants (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        # fields[1] is the parent; utime and stime are the 14th and 15th fields
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])))
    children: dict[int, list[int]] = defaultdict(list)
    for child, (parent, _) in stats.items():
        children[parent].append(child)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(children.get(current, []))
    return total / tick


def wait_ready(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dossier serve exited {proc.returncode}:\n{tail(log)}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"dossier serve not ready in 300 s:\n{tail(log)}")


def token_for(env: dict[str, str], name: str, role: str) -> str:
    """A fresh token for a bench user, adding the user the first time."""
    dossier = str(BIN / "dossier")
    done = subprocess.run(
        [dossier, "users", "add", name, "--role", role, "--no-password"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:  # there already: give it a new token
        done = subprocess.run(
            [dossier, "users", "token", name],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    tokens = [w for w in done.stdout.split() if w.startswith("dos_")]
    if done.returncode != 0 or not tokens:
        raise RuntimeError(f"no token for {name}: {done.stdout}{done.stderr}")
    return tokens[-1]


# --- lag ------------------------------------------------------------------------------


class LagPoller(threading.Thread):
    """Polls the serving case_list position; notes when each new one is first seen
    (monotonic time after the query returned: the lag can only be overstated)."""

    def __init__(self, corpus: Corpus, interval: float) -> None:
        super().__init__(name="lag-poller", daemon=True)
        self.conn = corpus.connect()
        self.interval = interval
        self.times: list[float] = []
        self.positions: list[int] = []
        self.polls = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                row = self.conn.execute(STATE_QUERY, prepare=True).fetchone()
                seen = time.monotonic()
                self.polls += 1
                position = int(str(row[0])) if row else 0
                if not self.positions or position > self.positions[-1]:
                    self.times.append(seen)
                    self.positions.append(position)
                time.sleep(self.interval)
        finally:
            self.conn.close()

    def reached(self, position: int) -> bool:
        return bool(self.positions) and self.positions[-1] >= position

    def lags(self, commands: list[list[float]]) -> tuple[list[float], int]:
        """Each command's lag (s), sorted, and how many were never seen."""
        lags, unseen = [], 0
        for done, position in commands:
            i = bisect.bisect_left(self.positions, position)
            if i == len(self.positions):
                unseen += 1
            else:
                lags.append(max(0.0, self.times[i] - done))
        return sorted(lags), unseen


SERVER_APP = "dossier-bench-http-server"
LOCK_QUERY = """
SELECT a.state, coalesce(a.wait_event_type || '/' || a.wait_event, 'on CPU')
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.relation = 'dossier_events'::regclass AND l.mode = 'ExclusiveLock'
  AND l.granted
"""
BACKENDS_QUERY = """
SELECT a.state, coalesce(a.wait_event_type || '/' || a.wait_event, 'on CPU'),
       count(*)
FROM pg_stat_activity a WHERE a.application_name = %s GROUP BY 1, 2
"""


class DatabaseSampler(threading.Thread):
    """Samples what the server's PostgreSQL sessions do (they carry
    PGAPPNAME=dossier-bench-http-server) and who holds the events table's
    EXCLUSIVE lock, which the event store takes for every write and keeps until
    the commit: every command's transaction passes through it one at a time."""

    def __init__(self, corpus: Corpus, interval: float) -> None:
        super().__init__(name="database-sampler", daemon=True)
        self.conn = corpus.connect()
        self.interval = interval
        self.samples = 0
        self.holder: Counter[str] = Counter()
        self.sessions: Counter[str] = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                held = self.conn.execute(LOCK_QUERY, prepare=True).fetchall()
                rows = self.conn.execute(
                    BACKENDS_QUERY, (SERVER_APP,), prepare=True
                ).fetchall()
                self.samples += 1
                if not held:
                    self.holder["not held"] += 1
                for state, wait in held:
                    self.holder[f"held, holder {state}: {wait}"] += 1
                for state, wait, n in rows:
                    self.sessions[f"{state}: {wait}"] += int(str(n))
                time.sleep(self.interval)
        finally:
            self.conn.close()

    def summary(self) -> dict[str, Any]:
        n = max(self.samples, 1)
        return {
            "samples": self.samples,
            "interval_ms": round(self.interval * 1000, 1),
            "events_lock_percent_of_samples": {
                k: round(100 * v / n, 1) for k, v in self.holder.most_common()
            },
            "server_sessions_average": {
                k: round(v / n, 2) for k, v in self.sessions.most_common()
            },
        }


# --- one phase ------------------------------------------------------------------------


def run_phase(
    name: str,
    mix: dict[str, float],
    *,
    args: argparse.Namespace,
    base: dict[str, Any],
    corpus: Corpus,
    procs: dict[str, subprocess.Popen[bytes]],
    workdir: Path,
    profile: bool = False,
) -> dict[str, Any]:
    config = {**base, "mix": mix, "seconds": args.seconds}
    config_path = workdir / f"loadgen-{name}.json"
    result_path = workdir / f"loadgen-{name}-result.json"
    config_path.write_text(json.dumps(config))
    say(f"phase {name}: {args.clients} clients, {args.seconds:.0f} s ...")

    poller = LagPoller(corpus, args.poll_ms / 1000)
    poller.start()
    sampler = DatabaseSampler(corpus, 0.01)
    sampler.start()
    head_before = log_head(corpus)
    # Our processes, and PostgreSQL's (the postmaster and its backends: on a
    # quiet machine, the database work these requests cause).
    watched = {k: p.pid for k, p in procs.items()}
    postmaster = postmaster_pid(corpus)
    if postmaster is not None:
        watched["postgres"] = postmaster
    cpu_before = {k: cpu_seconds(pid) for k, pid in watched.items()}
    ticks_before = _cpu_ticks()
    load_before = os.getloadavg()
    spies = start_profilers(procs["server"].pid, workdir, args) if profile else {}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(LOADGEN), str(config_path), str(result_path)],
        cwd=ROOT,
        check=False,
    )
    wall = time.monotonic() - began
    cpu_after = {k: cpu_seconds(pid) for k, pid in watched.items()}
    ticks_after = _cpu_ticks()
    if done.returncode != 0:
        poller.stopping.set()
        sampler.stopping.set()
        raise RuntimeError(f"the load generator exited {done.returncode}")
    result = json.loads(result_path.read_text())
    last = max((p for _, p in result["commands"]), default=0)
    deadline = time.monotonic() + 10
    while not poller.reached(last) and time.monotonic() < deadline:
        time.sleep(0.05)
    poller.stopping.set()
    poller.join(timeout=5)
    sampler.stopping.set()
    sampler.join(timeout=5)
    for _, spy in spies.values():
        spy.wait(timeout=60)
    head_after = log_head(corpus)

    lags, unseen = poller.lags(result["commands"])
    busy = ticks_after[0] - ticks_before[0]
    total = ticks_after[1] - ticks_before[1]
    cpu: dict[str, Any] = {
        f"{k}_cpu_percent_of_one_core": round(
            100 * (cpu_after[k] - cpu_before[k]) / wall, 1
        )
        for k in watched
    }
    cpu["loadgen_cpu_percent_of_one_core"] = result["loadgen_cpu_percent_of_one_core"]
    kinds = kind_rows(result)
    # CPU per request, taking the measured rate as that of the whole run
    per_second = kinds["all"]["per_second"] if "all" in kinds else 0.0
    for k in watched:
        used = cpu_after[k] - cpu_before[k]
        cpu[f"{k}_cpu_ms_per_request"] = (
            round(1000 * used / (per_second * wall), 2) if per_second else None
        )
    return {
        "phase": name,
        "mix": mix,
        "clients": result["clients"],
        "seconds": result["seconds"],
        "warmup_seconds": result["warmup_seconds"],
        "kinds": kinds,
        "database": sampler.summary(),
        "lag_ms": {
            **ms_summary(lags),
            "unseen_within_10_s": unseen,
            "poll_interval_ms": args.poll_ms,
            "polls": poller.polls,
        },
        "events_appended": head_after - head_before,
        "cpu": {
            **cpu,
            "machine_busy_percent": round(100 * busy / total, 1) if total else None,
            "loadavg_before": [round(v, 2) for v in load_before],
            "loadavg_after": [round(v, 2) for v in os.getloadavg()],
        },
        "examples_of_failures": {
            k: v["examples"] for k, v in result["kinds"].items() if v["examples"]
        },
    }


def ms_summary(values: list[float]) -> dict[str, Any]:
    """Sorted seconds -> count, p50/p95/p99/max in ms."""

    def ms(v: float | None) -> float | None:
        return round(v * 1000, 2) if v is not None else None

    return {
        "samples": len(values),
        "p50": ms(percentile(values, 50)),
        "p95": ms(percentile(values, 95)),
        "p99": ms(percentile(values, 99)),
        "max": ms(values[-1] if values else None),
    }


def kind_rows(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per kind (and all commands together): requests, rate, latencies, failures."""
    seconds = float(result["seconds"]) or 1.0
    groups: dict[str, list[str]] = {k: [k] for k in result["kinds"]}
    commands = [k for k in result["kinds"] if k.startswith("command:")]
    if commands:
        groups["commands (all)"] = commands
    groups["all"] = list(result["kinds"])
    rows = {}
    for label, kinds in groups.items():
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        for kind in kinds:
            latencies.extend(result["kinds"][kind]["latencies"])
            statuses.update(result["kinds"][kind]["statuses"])
        latencies.sort()
        requests = sum(statuses.values())
        rows[label] = {
            "requests": requests,
            "ok": len(latencies),
            "per_second": round(requests / seconds, 1),
            "ok_per_second": round(len(latencies) / seconds, 1),
            "latency_ms": ms_summary(latencies),
            "conflicts": statuses["409"] + statuses["412"],
            "rejected": sum(
                v
                for s, v in statuses.items()
                if s.isdigit() and 400 <= int(s) < 500 and s not in ("409", "412")
            ),
            "errors": sum(
                v for s, v in statuses.items() if not s.isdigit() or int(s) >= 500
            ),
            "statuses": dict(statuses),
        }
    return rows


# --- profiling ------------------------------------------------------------------------


def start_profilers(
    pid: int, workdir: Path, args: argparse.Namespace
) -> dict[str, tuple[Path, subprocess.Popen[bytes]]]:
    """Two py-spy samplers on the server, neither pausing it (--nonblocking):
    ``wall`` samples every thread, idle ones too; ``gil`` only the thread that
    holds the GIL, which is where the server's Python CPU goes."""
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    assert spy is not None
    running = {}
    for name, flag in (("wall", "--idle"), ("gil", "--gil")):
        output = workdir / f"server-profile-{name}.txt"
        argv = [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(args.warmup + args.seconds)),
            "--rate",
            "100",
            "--format",
            "raw",
            "--full-filenames",
            "--nonblocking",
            flag,
            "--output",
            str(output),
        ]
        if args.server_workers and args.server_workers > 1:
            argv.append("--subprocesses")
        running[name] = (
            output,
            start(argv, os.environ.copy(), output.with_suffix(".log")),
        )
    return running


def short(frame: str) -> str:
    """'fn (/path/to/file.py:12)' -> 'fn (pkg/file.py:12)'."""
    for marker in ("/site-packages/", f"{ROOT}/", "/lib/python3.11/"):
        if marker in frame:
            head, _, rest = frame.partition(marker)
            return f"{head.split('(')[0]}({rest}"
    return frame


def bucket(frame: str) -> str:
    """Which body of code a frame belongs to."""
    path = frame.rsplit("(", 1)[-1]
    if "/site-packages/" in path:
        return path.split("/site-packages/")[1].split("/")[0].split(".")[0]
    if f"{ROOT}/" in path:
        return path.split(f"{ROOT}/")[1].split("/")[0] + " (ours)"
    return "stdlib" if "/lib/python3" in path else "other"


WAITS = ("threading.py", "queue.py", "selectors.py", "psycopg/waiting.py")


def entering_lock(frame: str) -> bool:
    """A Python frame sampled on a ``with`` line is inside a C-level __enter__:
    in practice acquiring a lock (py-spy shows no frame for the C call)."""
    location = frame.rsplit("(", 1)[-1].rstrip(")")
    filename, _, line = location.rpartition(":")
    if not line.isdigit():
        return False
    return linecache.getline(filename, int(line)).lstrip().startswith("with ")


def state_of(frames: list[str]) -> str:
    """What a sampled thread was doing: serving a request (running Python, or
    waiting for a pooled connection, for PostgreSQL, or on a lock), running
    something else (the event loop, logging), or idle."""
    leaf = frames[-1]
    in_request = any(f"{ROOT}/api/" in f for f in frames)
    waiting = (
        any(w in leaf for w in WAITS)
        or leaf.startswith("Connection.wait ")
        or entering_lock(leaf)
    )
    if in_request:
        if not waiting:
            return "request: running Python (or waiting for the GIL)"
        if any("ConnectionPool.getconn" in f for f in frames):
            return "request: waiting for a pooled connection"
        if "psycopg/" in leaf:
            return "request: waiting for PostgreSQL"
        return "request: waiting on a lock"
    return "idle" if waiting else "other threads: running"


def stacks(path: Path) -> Iterator[tuple[list[str], int]]:
    """py-spy's raw format: ``frame;frame;... count`` per line."""
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():
            yield stack.split(";"), int(count_text)


def own_frames(frames: list[str]) -> list[str]:
    return [f for f in frames if f"{ROOT}/" in f and "/.venv/" not in f]


def thread_of(frames: list[str]) -> str:
    """Which of the server's threads a stack is on, by what it does."""
    if any("WorkerThread.run" in f for f in frames):
        if any(f"{ROOT}/" in f and "/.venv/" not in f for f in frames):
            return "thread pool: endpoints, dependencies (auth, domain, store)"
        return "thread pool: waiting for and taking work"
    if any("anyio/to_thread.py" in f for f in frames):
        return "event loop: handing requests to the thread pool"
    web = ("uvicorn/", "starlette/", "fastapi/", "h11/", f"{ROOT}/dossier/serve.py")
    if any(w in f for f in frames for w in web):
        return "event loop: HTTP, middleware, routing, validation, JSON"
    return "other (pool upkeep, truncated stacks)"


def profile_summary(wall: Path, gil: Path, top: int = 25) -> dict[str, Any]:
    """Where requests' thread time goes (wall: every thread sampled, idle ones
    too), and where the server's Python CPU goes (gil: the GIL holder only)."""
    states: Counter[str] = Counter()
    deepest: Counter[str] = Counter()  # our innermost line, and the state
    for frames, count in stacks(wall):
        state = state_of(frames)
        states[state] += count
        mine = own_frames(frames)
        if state.startswith("request") and mine:
            deepest[f"{short(mine[-1])}: {state.split(': ')[1]}"] += count
    frames_cpu: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    for frames, count in stacks(gil):
        threads[thread_of(frames)] += count
        frames_cpu[short(frames[-1])] += count
        packages[bucket(frames[-1])] += count
        for function in {short(f).rsplit(":", 1)[0] + ")" for f in own_frames(frames)}:
            inclusive[function] += count
    requests = sum(v for k, v in states.items() if k.startswith("request"))
    cpu = sum(packages.values())

    def share(counter: Counter[str], whole: int) -> list[tuple[str, float]]:
        return [
            (k, round(100 * v / max(whole, 1), 1)) for k, v in counter.most_common(top)
        ]

    return {
        "wall_samples": sum(states.values()),
        "request_samples": requests,
        "gil_samples": cpu,
        "request_states_percent": share(
            Counter({k: v for k, v in states.items() if k.startswith("request")}),
            requests,
        ),
        "deepest_own_line_percent_of_request_time": share(deepest, requests),
        "cpu_by_thread_percent": share(threads, cpu),
        "cpu_by_package_percent": share(packages, cpu),
        "cpu_by_frame_percent": share(frames_cpu, cpu),
        "cpu_inclusive_ours_percent": share(inclusive, cpu),
        "raw_stacks": {"wall": str(wall), "gil": str(gil)},
    }


# --- reporting ------------------------------------------------------------------------


def print_phase(phase: dict[str, Any], corpus: Corpus) -> None:
    rows = []
    for label, r in phase["kinds"].items():
        lat = r["latency_ms"]
        rows.append(
            [
                label,
                r["requests"],
                r["per_second"],
                lat["p50"],
                lat["p95"],
                lat["p99"],
                lat["max"],
                r["conflicts"],
                r["rejected"],
                r["errors"],
            ]
        )
    print_table(
        f"Phase {phase['phase']}: {phase['clients']} clients, {phase['seconds']:.1f} s"
        f" measured after {phase['warmup_seconds']:.0f} s warm-up,"
        f" corpus {corpus.cases:,} cases (latency of 2xx answers, ms)",
        [
            "kind",
            "requests",
            "req/s",
            "p50",
            "p95",
            "p99",
            "max",
            "409/412",
            "other 4xx",
            "errors",
        ],
        rows,
    )
    lag, cpu = phase["lag_ms"], phase["cpu"]
    suffix = "_cpu_percent_of_one_core"
    processes = {
        k.removesuffix(suffix).replace("_", " "): v
        for k, v in cpu.items()
        if k.endswith(suffix)
    }
    print_table(
        f"Save-to-read-model lag (case_list), phase {phase['phase']}, ms",
        ["commands", "p50", "p95", "p99", "max", "unseen", "poll ms", "events"],
        [
            [
                lag["samples"],
                lag["p50"],
                lag["p95"],
                lag["p99"],
                lag["max"],
                lag["unseen_within_10_s"],
                lag["poll_interval_ms"],
                phase["events_appended"],
            ]
        ],
    )
    per_request = {
        k.removesuffix("_cpu_ms_per_request"): v
        for k, v in cpu.items()
        if k.endswith("_cpu_ms_per_request")
    }
    print_table(
        "CPU (% of one core; the machine has "
        f"{os.cpu_count()}; ms per request ≈), phase {phase['phase']}",
        [*processes, *(f"{k} ms/req" for k in per_request), "machine busy %", "load"],
        [
            [
                *processes.values(),
                *per_request.values(),
                cpu.get("machine_busy_percent"),
                " ".join(str(v) for v in cpu["loadavg_after"]),
            ]
        ],
    )
    db = phase["database"]
    print_table(
        f"PostgreSQL, phase {phase['phase']}: the events table's EXCLUSIVE lock"
        f" (% of {db['samples']} samples, every {db['interval_ms']} ms)",
        ["lock", "%"],
        list(db["events_lock_percent_of_samples"].items()),
    )
    print_table(
        "The server's PostgreSQL sessions (state: wait), average count",
        ["sessions", "average"],
        list(db["server_sessions_average"].items()),
    )
    for kind, examples in phase["examples_of_failures"].items():
        for status, text in examples.items():
            print(f"  {kind} {status}: {text[:200]}")


def print_profile(profile: dict[str, Any]) -> None:
    for key, title in (
        ("request_states_percent", "Requests' thread time by state (wall)"),
        ("deepest_own_line_percent_of_request_time", "Requests by our innermost line"),
        ("cpu_by_thread_percent", "Server CPU (GIL held) by thread"),
        ("cpu_by_package_percent", "Server CPU (GIL held) by package, self"),
        ("cpu_by_frame_percent", "Server CPU (GIL held) by frame, self"),
        ("cpu_inclusive_ours_percent", "Server CPU (GIL held) in our functions"),
    ):
        print_table(
            f"{title}, %; py-spy on the server, commands only",
            ["where", "%"],
            [list(r) for r in profile[key]],
        )


def targets(phases: dict[str, dict[str, Any]]) -> list[list[Any]]:
    rows = []
    commands = phases.get("commands", {}).get("kinds", {}).get("commands (all)")
    if commands:
        lat = commands["latency_ms"]
        rows += [
            ["command p50 ms (commands only)", lat["p50"], TARGETS["command_p50_ms"]],
            ["command p99 ms (commands only)", lat["p99"], TARGETS["command_p99_ms"]],
            [
                "commands/s (commands only, 2xx)",
                commands["ok_per_second"],
                TARGETS["commands_per_s"],
            ],
        ]
    for name in ("mix", "commands"):
        if name in phases:
            p99 = phases[name]["lag_ms"]["p99"]
            rows.append([f"lag p99 ms ({name})", p99, LAG_P99_TARGET_MS])
    for row in rows:
        higher_is_better = row[0].startswith("commands/s")
        value, goal = row[1], row[2]
        met = value is not None and (
            value >= goal if higher_is_better else value <= goal
        )
        row.append("met" if met else "NOT met")
    return rows


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="corpus size")
    parser.add_argument("--seconds", type=float, default=30.0, help="per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="per phase, s")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--phases", default="mix,commands", help="comma-separated: mix, commands"
    )
    parser.add_argument("--poll-ms", type=float, default=2.0, help="lag poll interval")
    parser.add_argument(
        "--server-workers", type=int, default=None, help="DOSSIER_WORKERS"
    )
    parser.add_argument("--pool-size", type=int, default=None, help="DOSSIER_POOL_SIZE")
    parser.add_argument(
        "--split-worker",
        action="store_true",
        help="case_list in a worker of its own, the other read models in another",
    )
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        default=None,
        help="experiment: the server's sys.setswitchinterval (Python's is 5 ms)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then the commands again with py-spy on the server",
    )
    parser.add_argument("--samples", type=int, default=5000, help="cases to read")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    phases_wanted = [p.strip() for p in args.phases.split(",") if p.strip()]
    if args.profile and not (
        shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    ):
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")

    corpus = choose_corpus(args.cases)
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    run = BenchRun("http_load", corpus.url, corpus.schema, stamp, corpus.settings, True)
    workdir = Path(tempfile.mkdtemp(prefix=f"dossier-http-load-{stamp}-"))
    env = corpus.environment()
    port = free_port()
    server_env = {**env, "DOSSIER_HOST": "127.0.0.1", "DOSSIER_PORT": str(port)}
    if args.server_workers:
        server_env["DOSSIER_WORKERS"] = str(args.server_workers)
    if args.pool_size:
        server_env["DOSSIER_POOL_SIZE"] = str(args.pool_size)
    base_url = f"http://127.0.0.1:{port}"
    dossier = str(BIN / "dossier")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    phases: dict[str, dict[str, Any]] = {}
    exits: dict[str, int | None] = {}
    head_at_start = log_head(corpus)
    profile: dict[str, Any] | None = None
    try:  # the ceiling of anything that commits one transaction at a time
        commits_per_second: float | None = round(commit_rate(run), 1)
    except psycopg.Error as error:
        say(f"commit rate not measured: {error}")
        commits_per_second = None
    say(f"work files and process logs in {workdir}")
    try:
        if args.split_worker:
            procs["worker"] = start(
                [dossier, "worker", "case_list"], env, workdir / "worker.log"
            )
            procs["worker_others"] = start(
                [
                    dossier,
                    "worker",
                    "dashboard",
                    "deadlines",
                    "workload",
                    "audit_trail",
                ],
                env,
                workdir / "worker_others.log",
            )
        else:
            procs["worker"] = start([dossier, "worker"], env, workdir / "worker.log")
        server_env["PGAPPNAME"] = SERVER_APP
        serve = [dossier, "serve"]
        if args.switch_interval_ms is not None:
            # An experiment, from here only: the server's GIL switch interval.
            serve = [sys.executable, "-c", SERVE_WITH_SWITCH_INTERVAL, "serve"]
            server_env["BENCH_SWITCH_INTERVAL"] = str(args.switch_interval_ms / 1000)
        procs["server"] = start(serve, server_env, workdir / "server.log")
        wait_ready(base_url, procs["server"], workdir / "server.log")
        say(f"server ready on {base_url}")

        tokens = {role: token_for(env, f"bench-http-{role}", role) for role in ROLES}
        consultants: dict[str, list[str]] = defaultdict(list)
        listed = httpx.get(
            f"{base_url}/api/v1/consultants",
            params={"active": "true"},
            headers={"Authorization": f"Bearer {tokens['coordinator']}"},
            timeout=30,
        )
        listed.raise_for_status()
        for consultant in listed.json():
            consultants[consultant["kind"]].append(consultant["id"])
        picked = samples(corpus, args.samples)
        today = local_date(datetime.now(UTC))
        years = [school_year_of(today), school_year_of(today - timedelta(days=365))]
        kinds = {k: len(v) for k, v in consultants.items()}
        say(
            f"{len(picked['cases'])} sample cases, {len(picked['mediation_cases'])}"
            f" in mediation, consultants {kinds}"
        )
        base = {
            "base_url": base_url,
            "tokens": tokens,
            "clients": args.clients,
            "warmup_seconds": args.warmup,
            "seed": args.seed,
            "regions": REGIONS,
            "school_years": years,
            "consultants": consultants,
            **picked,
        }
        plan = {"mix": MIX, "commands": COMMANDS_ONLY}
        for name in phases_wanted:
            phases[name] = run_phase(
                name,
                {k: float(v) for k, v in plan[name].items()},
                args=args,
                base=base,
                corpus=corpus,
                procs=procs,
                workdir=workdir,
            )
            print_phase(phases[name], corpus)
        if args.profile:
            phases["commands_profiled"] = run_phase(
                "commands_profiled",
                {k: float(v) for k, v in COMMANDS_ONLY.items()},
                args=args,
                base=base,
                corpus=corpus,
                procs=procs,
                workdir=workdir,
                profile=True,
            )
            print_phase(phases["commands_profiled"], corpus)
            profile = profile_summary(
                workdir / "server-profile-wall.txt", workdir / "server-profile-gil.txt"
            )
    finally:
        for name in ("server", *[k for k in procs if k != "server"]):
            if name in procs:
                exits[name] = stop_process(procs[name])
        events = log_head(corpus) - head_at_start
        count_writes(corpus, events)

    if profile is not None:
        print_profile(profile)
    rows = targets(phases)
    if rows:
        print_table("Targets (issue 5)", ["figure", "value", "target", ""], rows)
    print(
        f"\nSingle-row commits/s on this PostgreSQL before the phases: "
        f"{commits_per_second} (each write holds the events table's lock through"
        " its commit, so commands/s stay below about this)."
    )
    print(
        f"\nThe load wrote to corpus {corpus.schema}: {events:,} events appended"
        " (new cases, lifecycle commands, activities on stored cases)."
    )
    path = write_results(
        run,
        {
            "parameters": {**vars(args), "corpus_schema": corpus.schema},
            "corpus": {"cases": corpus.cases, "events_at_build": corpus.events},
            "log_head_at_start": head_at_start,
            "single_row_commits_per_second_before": commits_per_second,
            "events_appended": events,
            "server": {
                "workers": args.server_workers or corpus.settings.workers,
                "switch_interval_ms": args.switch_interval_ms or 5.0,
                "pool_size": args.pool_size or corpus.settings.pool_size,
                "read_model_workers": "case_list alone + the others"
                if args.split_worker
                else "one worker, every read model",
            },
            "phases": phases,
            "profile": profile,
            "targets": rows,
            "exit_codes": exits,
            "logs": {name: tail(workdir / f"{name}.log", 5) for name in procs},
        },
    )
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
