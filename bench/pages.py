"""Server time per web page (issue 11, "Figures"): p50 and p95 of every page, on
the demo data and on a 100,000-case corpus; target p95 <= 100 ms at 100,000.

    python bench/pages.py [--datasets demo,corpus] [--cases 100000]
                          [--requests 100] [--warmup 5] [--profile [PAGE]]
                          [--pages WORD,...] [--demo-data DIR]

One client at a time (sequential httpx on loopback, no concurrency: latency per
page, not throughput). Every round asks for every page once, so that whatever
else the machine does falls on all pages alike; the first ``--warmup`` rounds
are not counted. Each request carries an X-Request-ID, and the server's own
figure (the "request" log line's duration_ms, from the HTTP middleware: routing,
the handler and its dependencies, the rendering) is read from its log and shown
beside the client's. Baselines in the same rounds: GET /healthz, and the API's
GET /api/v1/cases/{id} for the case the case pages show.

Datasets: ``demo`` is `dossier demo` (the default 1,600 cases, through the
commands) on SQLite in a temporary directory with embedded read models, as
`make run` gives; ``corpus`` is bench/_corpus.py's schema corpus_<N> on
PostgreSQL with `dossier worker` beside `dossier serve`, as production runs.
The pages read, but for POST /aanmelding: each registers a case (in the corpus
too, counted in its marker's ``writes``); the corpus also keeps the bench
users (bench-pages-*).

``--profile [PAGE]`` then serves the slowest page (sign-in aside: argon2 is
slow on purpose), or PAGE ("label role" as printed), again under pyinstrument
(`pip install pyinstrument`; without it, cProfile): the threadpool calls, the
page handler and its dependencies, each profiled in its thread. The demo's
SQLite is removed after its run (``--keep-demo`` keeps it); the processes' logs
stay.

``--pages dashboard`` asks only for the pages whose label holds one of the
words (the baselines always); ``--demo-data DIR`` serves a demo built before
(a ``var`` directory of `dossier demo`, read models caught up) instead of
building one, and leaves it in place.

Exits non-zero only when a page answered other than 2xx/3xx.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from _common import (
    ROOT,
    BenchRun,
    database_url,
    percentile,
    print_table,
    say,
    tail,
    write_results,
)
from _corpus import CASES_VARIABLE, Corpus
from _pages import (
    BIN,
    SIGNED_OUT,
    TARGET_P95_MS,
    Clients,
    Dataset,
    Probe,
    Server,
    probes,
    run_rounds,
    sample,
    served_extras,
    server_figures,
    signed_in,
    signed_out,
    summary,
    users,
)
from http_load import choose_corpus, count_writes, log_head

from dossier.settings import Settings

# `dossier serve` with every threadpool call (page handlers and their
# dependencies) under pyinstrument once the flag file exists; the combined
# profile is written as text on SIGTERM (uvicorn restores this handler, then
# raises the signal again after its graceful shutdown).
PROFILED_SERVE = """
import cProfile, functools, io, os, pstats, signal, sys, threading
from pathlib import Path
try:
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session
except ImportError:  # (not installed: cProfile, sorted by cumulative time)
    Profiler = None
import fastapi.dependencies.utils, fastapi.routing, starlette.concurrency
flag, output = Path(os.environ["BENCH_PROFILE_FLAG"]), os.environ["BENCH_PROFILE_OUT"]
sessions, lock, original = [], threading.Lock(), starlette.concurrency.run_in_threadpool

def profiled(func):
    @functools.wraps(func)
    def run(*args, **kwargs):
        if not flag.exists():
            return func(*args, **kwargs)
        profiler = Profiler(interval=0.0002) if Profiler else cProfile.Profile()
        (profiler.start if Profiler else profiler.enable)()
        try:
            return func(*args, **kwargs)
        finally:
            session = profiler.stop() if Profiler else profiler.disable() or profiler
            with lock:
                sessions.append(session)
    return run

async def run_in_threadpool(func, *args, **kwargs):
    return await original(profiled(func), *args, **kwargs)

fastapi.routing.run_in_threadpool = run_in_threadpool
fastapi.dependencies.utils.run_in_threadpool = run_in_threadpool

def save(*_):
    if sessions and Profiler:
        combined = functools.reduce(Session.combine, sessions)
        text = ConsoleRenderer(unicode=False, color=False, show_all=False,
                               time="seconds").render(combined)
    elif sessions:
        out = io.StringIO()
        stats = pstats.Stats(sessions[0], stream=out)
        for session in sessions[1:]:
            stats.add(session)
        stats.strip_dirs().sort_stats("cumulative").print_stats(60)
        text = "cProfile (pyinstrument is not installed)\\n" + out.getvalue()
    if sessions:
        Path(output).write_text(f"{len(sessions)} threadpool calls\\n" + text)
    os._exit(0)

signal.signal(signal.SIGTERM, save)
sys.argv[0] = "dossier"
from dossier.cli import app
sys.exit(app())
"""


def measure(
    data: Dataset, args: argparse.Namespace, errors: list[dict[str, Any]]
) -> dict[str, Any]:
    """Serve the dataset, sign everyone in, ask for every page, read the log."""
    case = sample(data.settings)
    logins, token = users(data.settings, case["consultant_id"])
    say(
        f"{data.name}: {case['cases']:,} cases; sample case {case['reference']}"
        f" (its consultant holds {case['consultant_cases']:,} cases)"
    )
    server = Server(data)
    profile = None
    try:
        server.start()
        base_url = server.base_url
        clients: Clients = {who: signed_in(base_url, *logins[who]) for who in logins}
        clients[SIGNED_OUT] = signed_out(base_url)
        clients["sign-in"] = signed_out(base_url)
        bearer = {"Authorization": f"Bearer {token}"}
        clients["api"] = (httpx.Client(base_url=base_url, headers=bearer), "")
        chosen = [
            p
            for p in probes(case, logins) + served_extras(clients)
            if p.baseline or not args.pages or any(w in p.label for w in args.pages)
        ]
        ids = run_rounds(data.name, chosen, clients, args.warmup, args.requests, errors)
        server.stop_server()
        server_figures(data.workdir / "server.log", ids)
        if args.profile:
            profile = profiled(server, chosen, clients, args, errors)
        for client, _ in clients.values():
            client.close()
    finally:
        server.stop()
    api = next(p for p in chosen if p.who == "api")
    pages = [summary(p, api) for p in chosen]
    return {
        "sample_case": {k: v for k, v in case.items() if k != "pupil_name"},
        "pages": pages,
        "read_models": "embedded in dossier serve"
        if data.settings.runs_projections_inside
        else "dossier worker beside dossier serve",
        "profile": profile,
        "loadavg_after": [round(v, 2) for v in os.getloadavg()],
        "logs": str(data.workdir),
    }


def profiled(
    server: Server,
    chosen: list[Probe],
    clients: Clients,
    args: argparse.Namespace,
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    """The slowest page (by the client's p95; sign-in and baselines aside) again,
    on a server whose threadpool calls run under pyinstrument."""
    candidates = [p for p in chosen if not p.baseline and p.who != "sign-in"]
    if args.profile != "slowest":
        candidates = [p for p in chosen if f"{p.label} {p.who}" == args.profile]
        if not candidates:
            names = ", ".join(repr(f"{p.label} {p.who}") for p in chosen)
            raise SystemExit(f"--profile: no page {args.profile!r}; pages: {names}")
    slowest = max(candidates, key=lambda p: percentile(sorted(p.client_ms), 95) or 0)
    workdir = server.data.workdir
    flag, output = workdir / "profile.on", workdir / "profile.txt"
    argv = [sys.executable, "-c", PROFILED_SERVE, "serve"]
    server.start(
        "server-profiled",
        argv,
        BENCH_PROFILE_FLAG=str(flag),
        BENCH_PROFILE_OUT=str(output),
    )
    again = replace(slowest, client_ms=[], server_ms=[])
    name = f"{server.data.name}-profile"
    run_rounds(name, [again], clients, args.warmup, 0, errors)
    flag.touch()
    run_rounds(name, [again], clients, 0, args.requests, errors)
    flag.unlink()
    server.stop_server()
    text = (
        output.read_text() if output.exists() else tail(workdir / "server-profiled.log")
    )
    p50 = percentile(sorted(again.client_ms), 50)
    return {
        "page": slowest.label,
        "as": slowest.who,
        "requests": len(again.client_ms),
        "client_p50_ms_under_profiler": None if p50 is None else round(p50, 2),
        "text": text,
        "file": str(output),
    }


def print_dataset(name: str, result: dict[str, Any]) -> None:
    rows = [
        [
            p["page"],
            p["as"],
            p["requests"],
            p["client_ms"]["p50"],
            p["client_ms"]["p95"],
            p["client_ms"]["max"],
            p["server_ms"]["p50"],
            p["server_ms"]["p95"],
            p["p95_over_api_p95"],
            "baseline" if p["baseline"] else f"<= {p['target_p95_ms']:.0f}",
            "-" if p["met"] is None else ("yes" if p["met"] else "NO"),
        ]
        for p in result["pages"]
    ]
    case, load = result["sample_case"], result["loadavg_after"]
    print_table(
        f"Pages, {name}: {case['cases']:,} cases, {result['read_models']};"
        f" name search: {case['name_searched']}; load average after:"
        f" {' '.join(map(str, load))} on {os.cpu_count()} CPUs; ms, one client"
        " at a time (p50/p95/max as the client saw them; server: the request log's"
        " duration_ms); the target is for p95 at 100,000 cases, on the client's",
        [
            "page",
            "as",
            "n",
            "p50",
            "p95",
            "max",
            "server p50",
            "server p95",
            "p95 x API",
            "target",
            "met",
        ],
        rows,
    )
    profile = result.get("profile")
    if profile:
        print(
            f"\nProfile (threadpool calls) of {profile['page']} as"
            f" {profile['as']}, {profile['requests']} requests, client p50 under"
            f" the profiler {profile['client_p50_ms_under_profiler']} ms:"
        )
        print("\n".join(profile["text"].splitlines()[:80]))


# --- datasets -----------------------------------------------------------------------


def demo_dataset(root: Path, built: Path | None = None) -> Dataset:
    """`dossier demo` on SQLite under ``root``, read models caught up (make run);
    or the one ``built`` before (its read models caught up again)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    data_dir = built.resolve() if built is not None else root / "var"
    env |= {
        "DOSSIER_DATA_DIR": str(data_dir),
        "DOSSIER_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    dossier = str(BIN / "dossier")
    began = time.monotonic()
    steps = [[dossier, "demo"]] if built is None else []
    for argv in [*steps, [dossier, "projections", "catch-up"]]:
        say(f"demo: dossier {' '.join(argv[1:])} ...")
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[1:]} failed: {done.stderr.decode()[-2000:]}")
    settings = Settings(database_url=None, data_dir=data_dir)
    seconds = round(time.monotonic() - began, 1)
    return Dataset("demo", env, settings, root, {"build_seconds": seconds})


def corpus_dataset(cases: int, root: Path) -> tuple[Dataset, Corpus]:
    """bench/_corpus.py's corpus on PostgreSQL (built now when missing)."""
    corpus = choose_corpus(cases)
    env = corpus.environment()
    facts = {"schema": corpus.schema, "events_at_build": corpus.events}
    return Dataset(f"corpus_{cases}", env, corpus.settings, root, facts), corpus


# The pages' corpus: a tenth of the HTTP load's million by default (make bench's
# quick run, DOSSIER_BENCH_CASES, takes its size instead).
PAGES_CASES = 100_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="demo,corpus", help="demo, corpus")
    parser.add_argument(
        "--cases",
        type=int,
        default=int(os.environ.get(CASES_VARIABLE) or PAGES_CASES),
        help=f"corpus size ({CASES_VARIABLE} when set, else {PAGES_CASES:,})",
    )
    parser.add_argument("--keep-demo", action="store_true", help="keep its SQLite")
    parser.add_argument("--requests", type=int, default=100, help="per page")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="slowest",
        default=None,
        metavar="PAGE",
        help="profile the slowest page, or PAGE ('GET / (werkvoorraad) coordinator')",
    )
    parser.add_argument(
        "--pages",
        type=lambda text: [w.strip() for w in text.split(",") if w.strip()],
        default=[],
        metavar="WORD,...",
        help="only the pages whose label holds a word, such as 'dashboard'",
    )
    parser.add_argument(
        "--demo-data",
        type=Path,
        default=None,
        metavar="DIR",
        help="a `dossier demo` data directory to serve (kept) instead of a new one",
    )
    args = parser.parse_args(argv)
    wanted = [d.strip() for d in args.datasets.split(",") if d.strip()]
    if unknown := set(wanted) - {"demo", "corpus"}:
        parser.error(f"unknown datasets: {', '.join(sorted(unknown))}")
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    workdir = Path(tempfile.mkdtemp(prefix=f"dossier-pages-{stamp}-"))
    say(f"work files and process logs in {workdir}")
    errors: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    schema = "-"
    for name in wanted:
        root = workdir / name
        root.mkdir()
        corpus = None
        if name == "demo":
            data = demo_dataset(root, args.demo_data)
        else:
            data, corpus = corpus_dataset(args.cases, root)
            schema, head = corpus.schema, log_head(corpus)
        try:
            results[data.name] = {**measure(data, args, errors), "dataset": data.facts}
        finally:
            if corpus is not None:  # the registrations posted
                data.facts["events_appended"] = log_head(corpus) - head
                count_writes(corpus, data.facts["events_appended"])
        if name == "demo" and not args.keep_demo and args.demo_data is None:
            shutil.rmtree(root / "var", ignore_errors=True)
        print_dataset(data.name, results[data.name])
    settings = Settings(database_url=database_url(), database_schema="public")
    run = BenchRun("pages", database_url(), schema, stamp, settings, True)
    path = write_results(
        run,
        {
            "parameters": vars(args),
            "timing": "client: httpx on loopback, sequential; server: duration_ms"
            " of the request log line (HTTP middleware)",
            "target_p95_ms_at_100k": TARGET_P95_MS,
            "datasets": results,
            "errors": errors,
        },
    )
    for error in errors[:10]:
        print(f"  error: {error['dataset']} {error['page']} {error['status']}")
    print(f"\n{len(errors)} answers not 2xx/3xx; results: {path.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
