"""Read-model catch-up in events/s: our batched runner against the eventsourcing
library's ProjectionRunner, on the same bulk-loaded log in the same run.

    python bench/catchup.py [--cases 50000] [--baseline-events 20000] [--profile]

(a) ours: ``rebuild(..., batch_size=5000, compare=False)`` of every registered
projection over the whole log, each timed on its own; (b) the library's own
``ProjectionRunner`` with a library-style projection that keeps one row per case
(status, consultant, version) upserted on every case event in the same
transaction as its tracking record (one transaction per event, as the
library's examples do), over the first ``--baseline-events`` log positions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BenchRun,
    bench_run,
    commit_rate,
    print_table,
    say,
    seed,
    vacuum_analyze,
    write_results,
)
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection as LibraryProjection
from eventsourcing.projection import ProjectionRunner as LibraryProjectionRunner
from eventsourcing.utils import EnvType, get_topic
from psycopg import sql

from domain.case import Case
from domain.service import CaseService
from dossier.bootstrap import (
    build_read_database,
    build_service,
    store_environment,
)
from dossier.settings import Settings
from projections.case_list import CaseListProjection
from projections.rebuild import drop_version, rebuild
from projections.registry import resolve
from projections.runner import ProjectionRunner, subclasses
from projections.state import next_version
from storage.db import Database
from storage.kek import KekFile
from storage.keyrings import keyring_for
from storage.stores import CasePostgresFactory

# --- the library-style baseline ---


class LibraryCaseService(CaseService):
    """The application as the library's runner builds it: ``cls(env)``."""

    name = "dossier"  # the same event table, dossier_events

    def __init__(self, env: EnvType | None = None) -> None:
        keks = KekFile(Settings().kek_path)
        super().__init__(
            env,
            infrastructure=CasePostgresFactory,
            keyring_factory=partial(keyring_for, keks=keks),
        )


LIBRARY_TABLE = "library_case_list"


class LibraryCaseListView(PostgresTrackingRecorder):
    """A materialised view the library's way: a PostgresTrackingRecorder whose
    every change commits in one transaction with its tracking record."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.cases = sql.Identifier(datastore.schema, LIBRARY_TABLE)
        self.sql_create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " case_id uuid PRIMARY KEY,"
                " reference text,"
                " status text NOT NULL,"
                " consultant_id uuid,"
                " has_activity boolean NOT NULL DEFAULT false,"
                " version integer NOT NULL,"
                " position bigint NOT NULL)"
            ).format(self.cases)
        )
        # One upsert per case event. ``status`` NULL keeps the status;
        # ``only_from`` makes the change conditional on the current status;
        # 'resume' returns to in_mediation or assigned as the row says.
        self.upsert = sql.SQL(
            "INSERT INTO {t} AS c"
            " (case_id, reference, status, consultant_id, has_activity,"
            "  version, position)"
            " VALUES (%(case_id)s, %(reference)s,"
            "  COALESCE(%(status)s::text, 'unknown'), %(consultant_id)s::uuid,"
            "  COALESCE(%(activity)s::boolean, false), %(version)s, %(position)s)"
            " ON CONFLICT (case_id) DO UPDATE SET"
            " status = CASE"
            "   WHEN %(status)s::text IS NULL THEN c.status"
            "   WHEN %(status)s::text = 'resume' THEN"
            "     CASE WHEN c.has_activity THEN 'in_mediation' ELSE 'assigned' END"
            "   WHEN %(only_from)s::text IS NULL OR c.status = %(only_from)s::text"
            "     THEN %(status)s::text"
            "   ELSE c.status END,"
            " consultant_id = CASE WHEN %(set_consultant)s::boolean"
            "   THEN %(consultant_id)s::uuid ELSE c.consultant_id END,"
            " has_activity = COALESCE(%(activity)s::boolean, c.has_activity),"
            " version = excluded.version,"
            " position = excluded.position"
        ).format(t=self.cases)

    def upsert_case(
        self,
        tracking: Tracking,
        event: Any,
        *,
        status: str | None = None,
        only_from: str | None = None,
        reference: str | None = None,
        consultant_id: Any = None,
        set_consultant: bool = False,
        activity: bool | None = None,
    ) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(
                self.upsert,
                {
                    "case_id": event.originator_id,
                    "reference": reference,
                    "status": status,
                    "only_from": only_from,
                    "consultant_id": consultant_id,
                    "set_consultant": set_consultant,
                    "activity": activity,
                    "version": event.originator_version,
                    "position": tracking.notification_id,
                },
                prepare=True,
            )


CASE_EVENT_CLASSES = (
    Case.Registered,
    Case.Event,
    *sorted(subclasses(Case.Event), key=str),
)
INTAKE_STATUS = {
    "admissible": "awaiting_assignment",
    "not_admissible": "not_admissible",
    "referred": "referred",
}


class LibraryCaseListProjection(LibraryProjection[LibraryCaseListView]):
    """The case list's status column, written the way the library's examples
    write projections: one handler per event type, one transaction each."""

    name = "library_case_list"
    topics = tuple(get_topic(c) for c in CASE_EVENT_CLASSES)

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register(Case.Registered)
    def _registered(self, event: Case.Registered, tracking: Tracking) -> None:
        self.view.upsert_case(
            tracking, event, status="registered", reference=event.reference
        )

    @process_event.register(Case.Event)
    def _other(self, event: Case.Event, tracking: Tracking) -> None:
        # Prerequisites recorded or waived: only version and position move.
        self.view.upsert_case(tracking, event)

    @process_event.register(Case.PrerequisitesMet)
    def _met(self, event: Case.PrerequisitesMet, tracking: Tracking) -> None:
        self.view.upsert_case(tracking, event, status="awaiting_intake")

    @process_event.register(Case.IntakeDecided)
    def _intake(self, event: Case.IntakeDecided, tracking: Tracking) -> None:
        self.view.upsert_case(tracking, event, status=INTAKE_STATUS[event.decision])

    @process_event.register(Case.Assigned)
    def _assigned(self, event: Case.Assigned, tracking: Tracking) -> None:
        self.view.upsert_case(
            tracking,
            event,
            status="assigned",
            only_from="awaiting_assignment",
            consultant_id=event.consultant_id,
            set_consultant=True,
        )

    @process_event.register(Case.ActivityRecorded)
    def _activity(self, event: Case.ActivityRecorded, tracking: Tracking) -> None:
        self.view.upsert_case(
            tracking, event, status="in_mediation", only_from="assigned", activity=True
        )

    @process_event.register(Case.Suspended)
    def _suspended(self, event: Case.Suspended, tracking: Tracking) -> None:
        self.view.upsert_case(tracking, event, status="suspended")

    @process_event.register(Case.Resumed)
    def _resumed(self, event: Case.Resumed, tracking: Tracking) -> None:
        self.view.upsert_case(tracking, event, status="resume")

    @process_event.register(Case.Closed)
    def _closed(self, event: Case.Closed, tracking: Tracking) -> None:
        self.view.upsert_case(tracking, event, status="closed")

    @process_event.register(Case.Withdrawn)
    def _withdrawn(self, event: Case.Withdrawn, tracking: Tracking) -> None:
        self.view.upsert_case(tracking, event, status="withdrawn")

    @process_event.register(Case.Reopened)
    def _reopened(self, event: Case.Reopened, tracking: Tracking) -> None:
        self.view.upsert_case(
            tracking,
            event,
            status="awaiting_assignment",
            consultant_id=None,
            set_consultant=True,
        )


def run_baseline(
    run: BenchRun, events: int, case_list_table: str | None, timeout: float
) -> dict[str, Any]:
    """The library's runner over the first ``events`` log positions."""
    topics = list(LibraryCaseListProjection.topics)
    with run.connect() as conn:
        row = conn.execute(
            "SELECT MAX(notification_id), COUNT(*) FROM dossier_events"
            " WHERE notification_id <= %s AND topic = ANY(%s)",
            (events, topics),
        ).fetchone()
        assert row is not None
        target, handled = int(row[0] or 0), int(row[1])
    say(
        f"baseline: library ProjectionRunner up to position {target}"
        f" ({handled} case events) ..."
    )
    env = store_environment(run.settings)
    began = time.monotonic()
    with LibraryProjectionRunner(
        application_class=LibraryCaseService,
        projection_class=LibraryCaseListProjection,
        view_class=LibraryCaseListView,
        env=env,
    ) as runner:
        constructed = time.monotonic() - began
        finished = False
        deadline = began + timeout
        while time.monotonic() < deadline:
            try:
                runner.wait(target, timeout=min(15.0, deadline - time.monotonic()))
                finished = True
                break
            except TimeoutError:
                at = runner.view.max_tracking_id(runner.app_name) or 0
                elapsed = time.monotonic() - began
                say(f"  at {at}/{target}, {elapsed:.0f} s, {at / elapsed:.0f} pos/s")
        seconds = time.monotonic() - began
        reached = runner.view.max_tracking_id(runner.app_name) or 0
    check = _check_baseline(run, case_list_table)
    result = {
        "target_position": target,
        "reached_position": reached,
        "finished": finished,
        "case_events": handled,
        "seconds": round(seconds, 3),
        "construct_seconds": round(constructed, 3),
        "events_per_second": round(min(reached, target) / seconds, 1),
        "case_events_per_second": round(
            handled * min(1.0, reached / target) / seconds, 1
        )
        if target
        else 0.0,
        "topics_filtered_in_sql": True,
        "check": check,
    }
    return result


def _check_baseline(run: BenchRun, case_list_table: str | None) -> dict[str, Any]:
    """Where the baseline and our case list are at the same case version, their
    statuses must agree (a check that the two do equivalent work)."""
    with run.connect() as conn:
        rows = conn.execute(
            sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(LIBRARY_TABLE))
        ).fetchone()
        result: dict[str, Any] = {"library_rows": int(rows[0]) if rows else 0}
        if case_list_table is not None:
            same = conn.execute(
                sql.SQL(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE l.status <> c.status"
                    " OR l.consultant_id::text IS DISTINCT FROM c.consultant_id)"
                    " FROM {l} l JOIN {c} c ON c.case_id = l.case_id::text"
                    " WHERE c.version = l.version"
                ).format(
                    l=sql.Identifier(LIBRARY_TABLE), c=sql.Identifier(case_list_table)
                )
            ).fetchone()
            assert same is not None
            result["compared_rows"] = int(same[0])
            result["differing_rows"] = int(same[1])
    return result


# --- ours ---


def run_ours(
    service: CaseService,
    db: Database,
    head: int,
    projection_class: Any,
    first: int,
) -> dict[str, Any]:
    """Rebuild over the whole log; also when it passed position ``first`` (the
    baseline's range), for a like-for-like figure."""
    say(f"ours: rebuild {projection_class.name} over {head} events ...")
    began = time.monotonic()
    last = [began]
    first_at: list[tuple[int, float]] = []
    step = max(1, head // 10)
    next_report = [step]

    def on_batch(n: int, position: int) -> None:
        now = time.monotonic()
        last[0] = now
        if not first_at and position >= first:
            first_at.append((position, now - began))
        if position >= next_report[0]:
            say(
                f"  {projection_class.name}: {position}/{head},"
                f" {now - began:.0f} s, {position / (now - began):.0f} ev/s"
            )
            next_report[0] += step

    report = rebuild(
        service,
        db,
        projection_class,
        batch_size=5000,
        compare=False,
        on_batch=on_batch,
    )
    catch_up = last[0] - began
    return {
        "projection": projection_class.name,
        "version": report.new_version,
        "position": report.position,
        "rows": report.rows,
        "seconds": round(report.seconds, 3),
        "catch_up_seconds": round(catch_up, 3),
        "events_per_second": round(report.position / report.seconds, 1),
        "catch_up_events_per_second": round(report.position / catch_up, 1)
        if catch_up
        else None,
        "first_positions": first_at[0][0] if first_at else None,
        "first_positions_events_per_second": round(first_at[0][0] / first_at[0][1], 1)
        if first_at and first_at[0][1]
        else None,
    }


def profile_ours(
    service: CaseService, db: Database, events: int | None, dump: Path
) -> dict[str, Any]:
    """cProfile of our runner catching a new case_list version up (main thread)."""
    with db.transaction() as tx:
        version = next_version(tx, CaseListProjection.name)
    runner = ProjectionRunner(
        service, db, CaseListProjection, version=version, batch_size=5000
    )
    say(f"profile: case_list v{version} up to {events or 'the head'} ...")
    profiler = cProfile.Profile()
    began = time.monotonic()
    profiler.enable()
    processed = runner.catch_up(up_to=events)
    profiler.disable()
    seconds = time.monotonic() - began
    with db.transaction() as tx:
        drop_version(tx, CaseListProjection, version)
    profiler.dump_stats(dump)  # outside the tree: `python -m pstats` it
    texts = {}
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(
            10 if order == "cumulative" else 15
        )
        texts[order] = out.getvalue()
    return {
        "events": processed,
        "seconds_profiled": round(seconds, 3),
        "events_per_second_under_profiler": round(processed / seconds, 1),
        "top_cumulative": texts["cumulative"],
        "top_tottime": texts["tottime"],
        "pstats_file": str(dump),
    }


# --- main ---


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--seed-batch", type=int, default=200)
    parser.add_argument("--baseline-events", type=int, default=20_000)
    parser.add_argument(
        "--baseline-timeout", type=float, default=1800.0, help="seconds"
    )
    parser.add_argument(
        "--projections",
        nargs="*",
        metavar="NAME",
        help="rebuild only these (default: every registered projection)",
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--profile-events",
        type=int,
        default=200_000,
        help="log positions to profile (0: the whole log)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    args = parser.parse_args(argv)

    with bench_run("catchup", keep=args.keep) as run:
        service = build_service(run.settings)
        db = build_read_database(run.settings)
        try:
            seeding = seed(service, args.cases, batch=args.seed_batch)
            head = int(seeding["log_head"])
            seeding["vacuum_analyze_seconds"] = round(vacuum_analyze(run), 3)
            commits_per_second = commit_rate(run)
            say(f"single-row commits/s on this server: {commits_per_second:.0f}")
            with run.connect() as conn:
                row = conn.execute(
                    "SELECT COUNT(*) FROM dossier_events WHERE topic = ANY(%s)",
                    (list(LibraryCaseListProjection.topics),),
                ).fetchone()
                seeding["case_events"] = int(row[0]) if row else 0
            print_table(
                f"Seeding (dossier.bulk.load, batch {args.seed_batch})",
                ["cases", "events", "case events", "seconds", "cases/s", "events/s"],
                [
                    [
                        seeding["cases"],
                        head,
                        seeding["case_events"],
                        seeding["seconds"],
                        seeding["cases_per_second"],
                        seeding["events_per_second"],
                    ]
                ],
            )

            # Every registered projection (as workers run them), or those named.
            ours = []
            for cls in resolve(args.projections or None):
                try:
                    ours.append(run_ours(service, db, head, cls, args.baseline_events))
                except Exception as error:  # a read model may be unfinished
                    say(f"  {cls.name} failed: {error!r}")
                    ours.append(
                        {
                            "projection": cls.name,
                            "error": repr(error),
                            "position": None,
                            "seconds": None,
                            "events_per_second": None,
                            "catch_up_events_per_second": None,
                        }
                    )
            case_list = next(
                (o for o in ours if o["projection"] == CaseListProjection.name), None
            )
            case_list_table = (
                f"{CaseListProjection.name}_v{case_list['version']}"
                if case_list
                else None
            )

            baseline = None
            if not args.skip_baseline:
                before = commit_rate(run)
                baseline = run_baseline(
                    run,
                    min(args.baseline_events, head),
                    case_list_table,
                    args.baseline_timeout,
                )
                baseline["single_row_commits_per_second_before_after"] = [
                    round(before, 1),
                    round(commit_rate(run), 1),
                ]

            rows: list[list[Any]] = [
                [
                    "ours (rebuild, batch 5000)",
                    o["projection"],
                    o["position"],
                    o["seconds"],
                    o["events_per_second"],
                    o["catch_up_events_per_second"],
                ]
                for o in ours
            ]
            if baseline is not None:
                rows.append(
                    [
                        "library ProjectionRunner",
                        LibraryCaseListProjection.name,
                        baseline["reached_position"],
                        baseline["seconds"],
                        baseline["events_per_second"],
                        None,
                    ]
                )
            print_table(
                f"Catch-up over the log ({head:,} events, {args.cases:,} cases)",
                [
                    "runner",
                    "projection",
                    "events",
                    "seconds",
                    "events/s",
                    "catch-up only ev/s",
                ],
                rows,
            )
            ratio = ratio_first = None
            if baseline is not None and case_list and baseline["events_per_second"]:
                ratio = case_list["events_per_second"] / baseline["events_per_second"]
                if case_list.get("first_positions_events_per_second"):
                    ratio_first = (
                        case_list["first_positions_events_per_second"]
                        / baseline["events_per_second"]
                    )
                    print(
                        f"\nours over the first {case_list['first_positions']:,}"
                        " positions (batch boundary):"
                        f" {case_list['first_positions_events_per_second']:,.0f}"
                        f" events/s -> {ratio_first:.1f}x the library"
                    )
                print(
                    f"\nours/library (case_list): {ratio:.1f}x"
                    f"  (library over positions 1..{baseline['target_position']:,},"
                    f" {baseline['case_events']:,} case events, topic-filtered in SQL;"
                    f" statuses compared on {baseline['check'].get('compared_rows')}"
                    f" cases: {baseline['check'].get('differing_rows')} differ)"
                )
                b, a = baseline["single_row_commits_per_second_before_after"]
                print(
                    "single-row commits/s on this server: after seeding"
                    f" {commits_per_second:,.0f}, just before/after the baseline"
                    f" {b:,.0f}/{a:,.0f} (the library runner commits once per event)"
                )

            profile = None
            if args.profile:
                profile = profile_ours(
                    service,
                    db,
                    args.profile_events or None,
                    Path(tempfile.gettempdir()) / f"dossier-catchup-{run.stamp}.prof",
                )
                print(
                    f"\nProfile of ours (case_list, {profile['events']:,} events,"
                    f" {profile['events_per_second_under_profiler']:,.0f} ev/s"
                    " under cProfile), top 10 by cumulative time:"
                )
                print(profile["top_cumulative"])
                print("Top 15 by own time:")
                print(profile["top_tottime"])

            path = write_results(
                run,
                {
                    "parameters": vars(args),
                    "seeding": seeding,
                    "single_row_commits_per_second": round(commits_per_second, 1),
                    "ours": ours,
                    "baseline": baseline,
                    "ratio_ours_over_library": round(ratio, 2) if ratio else None,
                    "ratio_ours_over_library_same_range": round(ratio_first, 2)
                    if ratio_first
                    else None,
                    "profile": profile,
                },
            )
            print(f"\nresults: {path.relative_to(path.parents[2])}")
        finally:
            db.close()
            service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
