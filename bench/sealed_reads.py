"""The cost of sealed read models (issue 13, "Figures"): a case-list page and an
audit-trail page with their personal values opened, against the same queries
with the values left sealed, in the same run, on PostgreSQL.

    python bench/sealed_reads.py [--cases 20000] [--rounds 200] [--keep]

A fresh schema (bench/_common.py); N bulk-loaded cases; the case list and the
audit trail caught up. Each round reads, in turn: a page of 50 of the case list
(the coordinator's queue: open cases, thuiszitters first) as the read model
gives it (names sealed), and the same page with the names opened (the keys of
the page read with one query, one AES-GCM open per row), as the API and the
pages serve it; then a page of 100 of the audit trail, first with the values
withheld (the Logboek page), then opened (GET /api/v1/audit/trail). The
difference is what sealing costs a reader; p50/p95 per kind and the ratios
are printed. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from _common import (
    bench_run,
    percentile,
    print_table,
    say,
    seed,
    vacuum_analyze,
    write_results,
)

from api.reads import open_pupil_names
from dossier.bootstrap import build_read_database, build_service
from projections.audit_queries import AuditTrailView
from projections.audit_sealing import open_trail, withhold_changes
from projections.audit_trail import AuditTrailProjection
from projections.case_list import CaseListProjection
from projections.case_list_view import CaseFilter, CaseListView
from projections.runner import ProjectionRunner

QUEUE = CaseFilter(status="awaiting_assignment", order="at_home")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    args = parser.parse_args()
    with bench_run("sealed_reads", keep=args.keep) as run:
        service = build_service(run.settings)
        db = build_read_database(run.settings)
        try:
            load = seed(service, args.cases, batch=500)
            vacuum_analyze(run)
            runners = {}
            for cls in (CaseListProjection, AuditTrailProjection):
                say(f"catching up {cls.name} ...")
                runners[cls.name] = ProjectionRunner(service, db, cls)
                runners[cls.name].catch_up()
            case_list = CaseListView.for_version(runners["case_list"].version)
            trail = AuditTrailView.for_version(runners["audit_trail"].version)
            keyring = service.keyring
            ids = _some_case_ids(db, case_list)
            rng = random.Random(7)
            times: dict[str, list[float]] = {
                k: [] for k in ("list", "list opened", "trail", "trail opened")
            }

            def list_page(opened: bool) -> None:
                with db.reading() as tx:
                    page = case_list.page(tx, QUEUE, limit=50, cursor=None)
                if opened:
                    open_pupil_names(page.rows, keyring)

            def trail_page(opened: bool) -> None:
                case_id = rng.choice(ids)
                with db.reading() as tx:
                    items, _ = trail.trail(tx, case_id=case_id, limit=100)
                if opened:
                    open_trail(items, keyring)
                else:
                    for item in items:
                        if item["changes"] is not None:
                            withhold_changes(item["changes"])

            for round_ in range(args.rounds + 10):
                for kind, fn in (
                    ("list", lambda: list_page(False)),
                    ("list opened", lambda: list_page(True)),
                    ("trail", lambda: trail_page(False)),
                    ("trail opened", lambda: trail_page(True)),
                ):
                    began = time.perf_counter()
                    fn()
                    if round_ >= 10:  # warm-up rounds not counted
                        times[kind].append((time.perf_counter() - began) * 1000)
            figures = {k: _figures(v) for k, v in times.items()}
            rows = [
                [k, f["p50_ms"], f["p95_ms"], _ratio(figures, k)]
                for k, f in figures.items()
            ]
            print_table(
                f"sealed read models, {args.cases:,} cases, {args.rounds} rounds (ms)",
                ["read", "p50", "p95", "p95 / sealed p95"],
                rows,
            )
            path = write_results(
                run, {"load": load, "rounds": args.rounds, "reads": figures}
            )
            say(f"results in {path}")
        finally:
            db.close()
            service.factory.close()


def _some_case_ids(db: Any, view: CaseListView) -> list[str]:
    with db.reading() as tx:
        page = view.page(tx, CaseFilter(), limit=500, cursor=None)
    return [r.case_id for r in page.rows]


def _figures(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    return {"p50_ms": percentile(ordered, 50), "p95_ms": percentile(ordered, 95)}


def _ratio(figures: dict[str, dict[str, float | None]], kind: str) -> float | None:
    base = figures[kind.removesuffix(" opened")]["p95_ms"]
    mine = figures[kind]["p95_ms"]
    return None if not base or mine is None else round(mine / base, 2)


if __name__ == "__main__":
    main()
