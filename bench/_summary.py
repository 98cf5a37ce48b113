"""One table of every headline figure from the latest results of each benchmark
(bench/results/*.json), beside its baseline and the issue's target: what
`make bench` prints last.

    python bench/_summary.py [--since 2026-11-28T05:00:00]

``--since`` ignores results older than that moment (UTC), so that a figure
missing from this run shows as missing rather than as an older run's.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import RESULTS_DIR, print_table

Row = list[Any]


def latest(script: str, since: datetime | None) -> dict[str, Any] | None:
    """The newest results of ``script`` run as `make bench` runs it (no
    arguments); an experiment's (other flags) only when there is no such run,
    and then said on stderr."""
    found = []
    for path in RESULTS_DIR.glob(f"{script}-*.json"):
        data = json.loads(path.read_text())
        started = datetime.fromisoformat(data["started_utc"])
        if since is None or started >= since:
            found.append((not data.get("argv"), started, path.name, data))
    if not found:
        return None
    default, _, name, data = max(found, key=lambda f: f[:3])
    if not default:
        print(
            f"{script}: no run with make bench's defaults; showing {name}"
            f" (run with {' '.join(data['argv'])})",
            file=sys.stderr,
        )
    return data


def met(value: float | None, target: float, *, at_most: bool) -> str:
    if value is None:
        return "-"
    ok = value <= target if at_most else value >= target
    return "yes" if ok else "NO"


def catchup_rows(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    seeding = data.get("seeding") or {}
    if seeding:
        rows.append(
            [
                "bulk seeding, events/s",
                seeding.get("events_per_second"),
                None,
                None,
                "-",
            ]
        )
    baseline = (data.get("baseline") or {}).get("events_per_second")
    for result in data.get("ours") or []:
        rate = result.get("events_per_second")
        rows.append(
            [
                f"rebuild {result['projection']}, events/s",
                rate,
                baseline,
                ">= 20,000",
                met(rate, 20_000, at_most=False),
            ]
        )
    return rows


def commands_rows(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    phases = data.get("phases") or []
    for threads in sorted({p["threads"] for p in phases}):
        by = {p["variant"]: p for p in phases if p["threads"] == threads}
        ours = next((p for v, p in by.items() if v.startswith("ours")), None)
        library = by.get("bare library")
        plain = by.get("plain psycopg")
        if ours is None:
            continue
        rows.append(
            [
                f"service commands/s, {threads} thread(s) (vs library; psycopg"
                f" {plain['commands_per_second'] if plain else '-'})",
                ours["commands_per_second"],
                library["commands_per_second"] if library else None,
                None,
                "-",
            ]
        )
    return rows


def http_rows(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for target in data.get("targets") or []:
        name, value, goal, _verdict = target[:4]
        at_most = "/s" not in name
        verdict = met(value, goal, at_most=at_most)
        shown = f"{'<=' if at_most else '>='} {goal:g}"
        rows.append([f"HTTP {name}", value, None, shown, verdict])
    return rows


def lag_rows(data: dict[str, Any]) -> list[Row]:
    lag = (data.get("result") or {}).get("lag_ms") or {}
    p99 = lag.get("p99")
    return [
        [
            f"lag p99 ms, {data.get('variant', 'service')} (bench/lag.py writers)",
            p99,
            None,
            "<= 25",
            met(p99, 25, at_most=True),
        ]
    ]


def time_travel_rows(data: dict[str, Any]) -> list[Row]:
    reads = {r["kind"]: r for r in data.get("reads") or []}
    rows: list[Row] = []
    for kind, baseline in (
        ("ours, version", "library, version"),
        ("ours, as of", "library, as of"),
    ):
        if kind in reads:
            p99 = reads[kind]["p99_ms"]
            rows.append(
                [
                    f"time travel p99 ms, {kind.removeprefix('ours, ')}",
                    p99,
                    reads.get(baseline, {}).get("p99_ms"),
                    "<= 5",
                    met(p99, 5, at_most=True),
                ]
            )
    return rows


def dashboard_rows(data: dict[str, Any]) -> list[Row]:
    figures = data.get("figures") or {}
    baseline = figures.get("now, counted from the intervals (baseline)", {}).get(
        "p99_ms"
    )
    rows: list[Row] = []
    for name, target in (data.get("targets_ms") or {}).items():
        p99 = figures.get(name, {}).get("p99_ms")
        rows.append(
            [
                f"dashboard p99 ms, {name}",
                p99,
                baseline,
                f"<= {target:.0f}",
                met(p99, target, at_most=True),
            ]
        )
    return rows


def outages_rows(data: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [
        [
            t["figure"],
            t["value"],
            t["baseline"],
            f"<= {t['target']:g}",
            met(t["value"], t["target"], at_most=True),
        ]
        for t in data.get("targets") or []
    ]
    if "500s" in data:
        errors = data["500s"]
        verdict = met(errors, 0, at_most=True)
        rows.append(["500s under outages and bodies", errors, None, "= 0", verdict])
    return rows


def pages_rows(data: dict[str, Any]) -> list[Row]:
    """Each page's p95 on the corpus (against its target), beside the API's p95
    for the same case; of the demo data only its slowest page."""
    rows: list[Row] = []
    for dataset, result in (data.get("datasets") or {}).items():
        pages = [p for p in result["pages"] if not p["baseline"]]
        api = next((p for p in result["pages"] if p["as"] == "api"), None)
        api_p95 = api["client_ms"]["p95"] if api else None
        if dataset == "demo":
            pages = sorted(pages, key=lambda p: p["client_ms"]["p95"] or 0)[-1:]
        for p in pages:
            p95, goal = p["client_ms"]["p95"], p["target_p95_ms"]
            judged = dataset != "demo" and goal is not None
            rows.append(
                [
                    f"page p95 ms, {p['page']} ({p['as']}), {dataset}",
                    p95,
                    api_p95,
                    f"<= {goal:g}" if judged else None,
                    met(p95, goal, at_most=True) if judged else "-",
                ]
            )
    return rows


def replay_rows(data: dict[str, Any]) -> list[Row]:
    """A replay step's server p95 per store, beside the API's plain case read."""
    rows: list[Row] = []
    goal = data.get("target_p95_ms")
    for store, result in (data.get("stores") or {}).items():
        pages = {p["page"]: p for p in result["pages"]}
        step, api = pages.get("replay step (htmx)"), pages.get("API case read")
        if step is None:
            continue
        p95 = step["server_ms"]["p95"]
        rows.append(
            [
                f"replay step p95 ms (server), {result['events']} events, {store}",
                p95,
                api["server_ms"]["p95"] if api else None,
                f"<= {goal:g}" if goal else None,
                met(p95, goal, at_most=True) if goal else "-",
            ]
        )
    return rows


SECTIONS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "catchup": catchup_rows,
    "commands": commands_rows,
    "http_load": http_rows,
    "lag": lag_rows,
    "time_travel": time_travel_rows,
    "dashboard": dashboard_rows,
    "outages": outages_rows,
    "pages": pages_rows,
    "replay": replay_rows,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", type=datetime.fromisoformat, default=None)
    args = parser.parse_args()
    since = args.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows: list[Row] = []
    missing = []
    for script, make_rows in SECTIONS.items():
        data = latest(script, since)
        if data is None:
            missing.append(script)
            continue
        rows.extend(make_rows(data))
    print_table(
        "Summary: ours beside the baseline measured in the same run, and the target",
        ["figure", "ours", "baseline", "target", "met"],
        rows,
    )
    if missing:
        print(f"\nno results for: {', '.join(missing)}")
    print(f"\nresults in {Path(RESULTS_DIR).relative_to(Path.cwd())}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
