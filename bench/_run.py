"""What `make bench` runs: every bench/*.py in turn, first saying what it will
do and about how long it will take, then where it is, then the summary table.

    python bench/_run.py [--quick] [--only commands,lag] [--plan]

The estimate comes from the last run of each script on this machine
(bench/results/_durations.json, written here after each script) and, on a
fresh clone, from the figures measured on the development machine (2 cores)
below. The shared corpus (bench/_corpus.py) is built first when it is missing:
about 70 minutes for the default million cases (and 7 for the pages' 100,000),
under two minutes for the quick run's 20,000 (``--quick``, the same as
``DOSSIER_BENCH_CASES=20000``).
``--plan`` prints the plan and stops.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import RESULTS_DIR, ROOT, database_url, print_table
from _corpus import CASES_VARIABLE, DEFAULT_CASES, corpus_ready, default_cases

QUICK_CASES = 20_000
DURATIONS = RESULTS_DIR / "_durations.json"
# Seconds per script with the corpus built, on one million cases and on 20,000,
# for a machine that has not run them yet: the development machine's (2 cores,
# PostgreSQL on the same machine; `make bench QUICK=1` on 2026-12-08, the
# million-case figures estimated from it). Only the scripts that read the corpus
# depend on its size.
MEASURED: dict[str, tuple[float, float]] = {
    "catchup": (380, 380),
    "commands": (40, 40),
    "dashboard": (150, 100),
    "destruction": (80, 80),
    "http_load": (120, 75),
    "keys": (10, 10),
    "lag": (175, 175),
    "outages": (90, 90),
    "pages": (180, 120),
    "replay": (95, 95),
    "sealed_reads": (105, 105),
    "time_travel": (260, 260),
    "verify": (20, 20),
}
UNKNOWN_SCRIPT = 120.0
# The scripts that read the shared corpus (the others make schemas of their own).
CORPUS_READERS = {"dashboard", "http_load", "pages"}
# Building a corpus (bulk load, then every read model caught up): 100,000 cases
# took 423 s and 20,000 took 78 s on 2026-12-08; a million about ten times the
# former.
CORPUS_BUILD = {DEFAULT_CASES: 70 * 60.0, 100_000: 430.0, QUICK_CASES: 80.0}
CORPUS_SECONDS_PER_CASE = 0.0043


def scripts(only: set[str] | None) -> list[Path]:
    """The benchmarks: bench/*.py whose name does not start with an underscore."""
    found = sorted(p for p in (ROOT / "bench").glob("*.py") if p.name[0] != "_")
    return [p for p in found if only is None or p.stem in only]


def remembered() -> dict[str, float]:
    try:
        data = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def remember(durations: dict[str, float]) -> None:
    DURATIONS.parent.mkdir(parents=True, exist_ok=True)
    DURATIONS.write_text(json.dumps({**remembered(), **durations}, indent=1))


def estimate(script: str, cases: int, last: dict[str, float]) -> float:
    key = f"{script}@{cases}"
    if key in last:
        return last[key]
    large, small = MEASURED.get(script, (UNKNOWN_SCRIPT, UNKNOWN_SCRIPT))
    return small if cases <= QUICK_CASES else large


def corpus_estimate(cases: int) -> float:
    return CORPUS_BUILD.get(cases, cases * CORPUS_SECONDS_PER_CASE + 60)


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"a {QUICK_CASES:,}-case corpus"
    )
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--plan", action="store_true", help="print the plan only")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ[CASES_VARIABLE] = str(QUICK_CASES)
    cases = default_cases()
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    chosen = scripts(only)
    if not chosen:
        print("no benchmarks in bench/ match: nothing to run")
        return 0
    last = remembered()
    # The pages' bench reads a corpus of 100,000 unless the size is set.
    sizes = {
        cases if p.stem != "pages" or args.quick else 100_000
        for p in chosen
        if p.stem in CORPUS_READERS
    }
    missing = sorted(size for size in sizes if not corpus_ready(size))
    ready = not missing
    plan = [[p.stem, minutes(estimate(p.stem, cases, last))] for p in chosen]
    total = sum(estimate(p.stem, cases, last) for p in chosen)
    if not ready:
        plan.insert(
            0, [f"build the corpus ({cases:,} cases)", minutes(corpus_estimate(cases))]
        )
        total += corpus_estimate(cases)
    print(
        f"make bench: {len(chosen)} benchmarks on {database_url()}, corpus of"
        f" {cases:,} cases ({'ready' if ready else 'built first where missing'});"
        f" about {minutes(total)} in all on a 2-core machine."
    )
    if cases > QUICK_CASES:
        print(f"(A quick run on {QUICK_CASES:,} cases: make bench QUICK=1.)")
    print_table("The plan", ["step", "about"], plan)
    if args.plan:
        return 0
    sys.stdout.flush()

    started = datetime.now(UTC)
    began = time.monotonic()
    failed: list[str] = []
    durations: dict[str, float] = {}
    left = total
    if not ready:
        step = time.monotonic()
        print(f"--- building the corpus of {cases:,} cases", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "_corpus.py")], check=False
        )
        left -= corpus_estimate(cases)
        durations[f"_corpus@{cases}"] = time.monotonic() - step
    for number, path in enumerate(chosen, 1):
        elapsed = time.monotonic() - began
        print(
            f"--- [{number}/{len(chosen)}] {path.relative_to(ROOT)}"
            f" (about {minutes(estimate(path.stem, cases, last))};"
            f" {minutes(elapsed)} gone, about {minutes(max(left, 0))} left)",
            flush=True,
        )
        step = time.monotonic()
        done = subprocess.run([sys.executable, str(path)], check=False)
        took = time.monotonic() - step
        durations[f"{path.stem}@{cases}"] = took
        left -= estimate(path.stem, cases, last)
        if done.returncode != 0:
            failed.append(path.name)
        remember(durations)
    print(f"--- all done in {minutes(time.monotonic() - began)}", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "_summary.py"),
            "--since",
            started.strftime("%Y-%m-%dT%H:%M:%S"),
        ],
        check=False,
    )
    if failed:
        print(f"bench failed: {' '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
