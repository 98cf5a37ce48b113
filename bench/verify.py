"""The hash chain's figures: bulk loading with and without it (same run, rounds
taking turns), then `dossier verify`'s walk in events/s over what was loaded.

    python bench/verify.py [--cases 2000] [--rounds 3] [--workers 0]

Each round bulk-loads ``--cases`` cases twice with the same seed, once into a
schema whose recorder chains (the production path: digests before the table
lock, positions and links under it, one COPY) and once into one whose recorder
writes the library-shaped COPY without hashes, in alternating order. Then the
chained schema is walked as `dossier verify` walks it (events and snapshots).
For the whole-log figure, point `dossier verify` at a 50,000-case load
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import time
from typing import Any, cast

from _common import bench_run, print_table, say, write_results

from dossier.bootstrap import build_service
from dossier.bulk import load
from storage.chain import ChainedLog, SnapshotLog
from storage.verification import verify_log


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="per load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--workers", type=int, default=0, help="player processes (0: in this one)"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with bench_run("verify", keep=args.keep) as run:
        unchained_settings = run.settings.model_copy(
            update={"database_schema": run.schema + "_nochain"}
        )
        with run.connect() as conn:
            conn.execute(f"CREATE SCHEMA {run.schema}_nochain")
        chained = build_service(run.settings)
        unchained = build_service(unchained_settings)
        unchained.recorder.chained = False  # type: ignore[attr-defined]
        rates: dict[str, list[float]] = {"chained": [], "unchained": []}
        try:
            for r in range(args.rounds):
                order = [("chained", chained), ("unchained", unchained)]
                for name, service in order if r % 2 == 0 else order[::-1]:
                    head = service.recorder.max_notification_id() or 0
                    began = time.perf_counter()
                    load(service, args.cases, seed=r + 1, workers=args.workers)
                    seconds = time.perf_counter() - began
                    events = (service.recorder.max_notification_id() or 0) - head
                    rates[name].append(events / seconds)
                    say(f"round {r + 1} {name}: {events / seconds:,.0f} events/s")
            log = chained.recorder
            snapshots = chained.snapshots
            assert snapshots is not None
            began = time.perf_counter()
            walk = verify_log(
                cast(ChainedLog, log), cast(SnapshotLog, snapshots.recorder)
            )
            verify_seconds = time.perf_counter() - began
            assert walk.broken is None, walk.broken
        finally:
            chained.close()
            unchained.close()
            if not args.keep:
                with run.connect() as conn:
                    conn.execute(f"DROP SCHEMA {run.schema}_nochain CASCADE")
        mean = {k: sum(v) / len(v) for k, v in rates.items()}
        by_round = [
            round(a / b, 3)
            for a, b in zip(rates["chained"], rates["unchained"], strict=True)
        ]
        data: dict[str, Any] = {
            "cases_per_load": args.cases,
            "rounds": args.rounds,
            "bulk_events_per_second": {k: round(v) for k, v in mean.items()},
            "bulk_chained_over_unchained": round(
                mean["chained"] / mean["unchained"], 3
            ),
            "bulk_ratio_by_round": by_round,
            "verify_events": walk.events,
            "verify_seconds": round(verify_seconds, 2),
            "verify_events_per_second": round(walk.events / verify_seconds),
            "snapshots_checked": walk.snapshots,
        }
        print_table(
            "Hash chain: bulk loading and verifying",
            ["figure", "value"],
            [
                ["bulk events/s, chained", data["bulk_events_per_second"]["chained"]],
                [
                    "bulk events/s, no chain",
                    data["bulk_events_per_second"]["unchained"],
                ],
                ["chained / no chain", data["bulk_chained_over_unchained"]],
                ["ratio by round", " ".join(str(x) for x in by_round)],
                ["verify events", walk.events],
                ["verify events/s", data["verify_events_per_second"]],
            ],
        )
        say(f"results: {write_results(run, data)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
