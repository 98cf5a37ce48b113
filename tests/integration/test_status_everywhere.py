"""Every read model shows each case in its aggregate's status, on both stores.

The commands of the Case state machine (tests/support/case_machine.py: random
commands from random actors at random moments, valid or not) play the lives of
two or three cases kept by a real CaseService, on a store emptied for each
example. Each command runs as the service's own commands run, on the case as the
service loads it, and the service saves what it gave. Left out: the role check
before the load (the service's tests cover it; the machine's actors may be of
any role) and, after an erasure, destroying the case's key (it hides personal
values, never a status). After every command that succeeds (those of a head
start too, so that no state on the way goes unchecked), every read model is
caught up, and for each case its status in the case list, in the audit trail
(its state and its ZGW trail), in the dashboard (the current row, the status
intervals) and what the deadlines and the workload derive from it must be the
aggregate's; the dashboard's counts by status (open, closed) must be the counts
over the aggregates, now and as of that moment.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from itertools import groupby
from typing import Any, ClassVar

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from domain.case import Case
from domain.registration import Registration
from domain.values import OPEN_STATUSES, Status
from domain.zone import local_date
from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections.audit_queries import AuditTrailView
from projections.case_list_view import CaseListView
from projections.dashboard_view import DashboardView
from projections.figures import school_year_of
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from storage.db import Tx
from tests.support.case_machine import CaseCommands
from tests.support.case_strategies import (
    ADMIT,
    REGISTERED_AT,
    WITH_CONSULTANT,
    Intake,
    consultant_picks,
    head_start_intakes,
    head_starts,
    kinds,
)
from tests.support.clock import FakeClock
from tests.support.samples import INTAKE
from tests.support.stores import empty_store

MAX_CASES = 3
# What the machine keeps of the case it plays; set aside while it plays another.
PER_CASE = ("case", "events", "recorded", "withdrawn_from", "statuses")


class StatusEverywhere(CaseCommands):
    """The commands on cases kept by a CaseService; the read models held to the
    aggregates after every command that succeeds and after every step."""

    store: ClassVar[Settings]  # emptied for each example

    def __init__(self) -> None:
        super().__init__()
        empty_store(self.store)
        self.cleanup = ExitStack()
        try:
            self.clock = FakeClock(REGISTERED_AT)
            self.service = build_service(self.store, clock=self.clock)
            self.cleanup.callback(self.service.factory.close)
            self.read_db = build_read_database(self.store)
            self.cleanup.callback(self.read_db.close)
            projections = all_projections(self.store.intake_norm_weeks)
            self.runners = {
                name: ProjectionRunner(self.service, self.read_db, projection)
                for name, projection in projections.items()
            }
        except BaseException:
            self.cleanup.close()
            raise
        self.lives: list[dict[str, Any]] = []
        self.current = 0
        self.statuses: list[Status] = []  # the case's, after each of its commands
        self.checked_at: int | None = None  # the log's head at the last check

    def teardown(self) -> None:
        self.cleanup.close()

    # --- where the cases live: the service -----------------------------------------

    def new_case(self, registration: Registration) -> Case:
        """Registered by the service now, as it loads it."""
        self.clock.set(self.now)
        case_id = self.service.register(registration, by=INTAKE).case.id
        case = self.service.get_case(case_id)
        self.now = case.modified_on  # (the clock moved on a little)
        self.statuses = [Status(case.status)]
        return case

    def attempt(self, command: Any, **options: Any) -> bool:
        """The command on the case as the service loads it now; the read models
        checked after each one that succeeds, those of a head start too."""
        self.case = self.service.get_case(self.case.id)
        succeeded = super().attempt(command, **options)
        if succeeded:
            self.statuses.append(Status(self.case.status))
            self.check_read_models()
        return succeeded

    def take_events(self) -> Sequence[Any]:
        """What the command gave, saved by the service."""
        events = list(self.case.pending_events)
        if events:
            self.service.save_changes(self.case)
        return events

    # --- a few cases ----------------------------------------------------------------

    def set_aside(self) -> None:
        """Keep what the machine holds of the case it plays in ``lives``."""
        if self.lives:
            self.lives[self.current] = {name: getattr(self, name) for name in PER_CASE}

    def start_life(
        self, kind: str, head_start: int, consultant: int, intake: Intake = ADMIT
    ) -> None:
        self.set_aside()
        self.current = len(self.lives)
        self.lives.append({})
        super().start_life(kind, head_start, consultant, intake)

    @initialize(
        others=st.lists(
            st.tuples(kinds, head_starts, consultant_picks, head_start_intakes),
            min_size=1,
            max_size=MAX_CASES - 1,
        )
    )
    def register_other_cases(self, others: list[tuple[str, int, int, Intake]]) -> None:
        """Beside the case the machine registers (``register``), one or two more,
        whose head start may end at the intake."""
        for kind, head_start, consultant, intake in others:
            self.start_life(kind, head_start, consultant, intake)

    @precondition(lambda self: len(self.lives) > 1)
    @rule(index=st.integers(0, MAX_CASES - 1))
    def turn_to_another_case(self, index: int) -> None:
        self.set_aside()
        self.current = index % len(self.lives)
        for name, value in self.lives[self.current].items():
            setattr(self, name, value)

    # --- the read models --------------------------------------------------------------

    @invariant()
    def every_read_model_shows_each_case_in_its_aggregates_status(self) -> None:
        self.check_read_models()

    def check_read_models(self) -> None:
        """Catch every read model up and hold each case's rows, and the counts,
        to the aggregates as the service loads them. (Nothing recorded since the
        last check, as after a refused command: they are as it found them.)"""
        self.set_aside()
        head = self.service.recorder.max_notification_id()
        if head == self.checked_at:
            return
        self.checked_at = head
        for runner in self.runners.values():
            runner.catch_up()
        cases = [self.service.get_case(life["case"].id) for life in self.lives]
        with self.read_db.reading() as tx:
            for case, life in zip(cases, self.lives, strict=True):
                assert Status(case.status) == life["statuses"][-1]
                history = [status for status, _ in groupby(life["statuses"])]
                self.check_case_list(tx, case)
                self.check_audit_trail(tx, case, history)
                self.check_dashboard_rows(tx, case, history)
                self.check_deadlines_and_workload(tx, case)
            self.check_dashboard_counts(tx, cases)

    def version(self, name: str) -> int:
        return self.runners[name].version

    def table(self, name: str, base: str) -> str:
        return self.runners[name].projection.table(base)

    def check_case_list(self, tx: Tx, case: Case) -> None:
        row = CaseListView.for_version(self.version("case_list")).get(tx, str(case.id))
        assert row is not None
        assert row.status == case.status

    def check_audit_trail(self, tx: Tx, case: Case, history: list[Status]) -> None:
        """The case's state as the trail keeps it, and the status changes its
        ZGW-shaped trail lists: one each time the status moved."""
        found = tx.fetchone(
            "SELECT state FROM {t} WHERE resource_id = %s",
            (str(case.id),),
            t=self.table("audit_trail", "audit_case_state"),
        )
        assert found is not None
        # (JSON text on SQLite; PostgreSQL's driver decodes its JSONB)
        state = found[0] if isinstance(found[0], dict) else json.loads(found[0])
        assert state["status"] == case.status
        before = case.status_before_suspension
        assert state.get("status_before_suspension") == (before and str(before))
        view = AuditTrailView.for_version(self.version("audit_trail"))
        items, more = view.trail(tx, case_id=case.id, limit=1000)
        assert more is None
        changes = [i["changes"]["new"] for i in items if i["kind"] == "change"]
        assert [new["status"] for new in changes if "status" in new] == history

    def check_dashboard_rows(self, tx: Tx, case: Case, history: list[Status]) -> None:
        """The case's current row, and its status intervals: one after another,
        the last one current, their statuses the ones the case went through."""
        view = DashboardView.of(self.version("dashboard"))
        row = tx.fetchone(
            "SELECT status FROM {t} WHERE case_id = %s", (str(case.id),), t=view.cases
        )
        assert row is not None
        assert row[0] == case.status
        intervals = tx.fetchall(
            "SELECT status, valid_from, valid_to FROM {t} WHERE case_id = %s"
            " ORDER BY version",
            (str(case.id),),
            t=view.status,
        )
        assert [status for status, _ in groupby(r[0] for r in intervals)] == history
        assert [r[2] for r in intervals[:-1]] == [r[1] for r in intervals[1:]]
        assert intervals[-1][2] is None
        assert intervals[-1][0] == case.status

    def check_deadlines_and_workload(self, tx: Tx, case: Case) -> None:
        """What those two read models keep of the status: whether the case is
        open (its clocks run), and whether it is a consultant's open work."""
        is_open = tx.fetchone(
            "SELECT is_open FROM {t} WHERE case_id = %s",
            (str(case.id),),
            t=self.table("deadlines", "deadline_cases"),
        )
        assert is_open is not None
        assert bool(is_open[0]) == (case.status in OPEN_STATUSES)
        work = tx.fetchone(
            "SELECT open_work, consultant_id FROM {t} WHERE case_id = %s",
            (str(case.id),),
            t=self.table("workload", "workload_cases"),
        )
        assert work is not None
        assert bool(work[0]) == (case.status in WITH_CONSULTANT)
        if work[0]:
            assert work[1] == str(case.consultant_id)

    def check_dashboard_counts(self, tx: Tx, cases: list[Case]) -> None:
        """The year's cases by status, open and closed, now (from the counters)
        and as of this moment (from the intervals)."""
        view = DashboardView.of(self.version("dashboard"))
        now = max(case.modified_on for case in cases)
        years: dict[str, list[Case]] = {}
        for case in cases:
            years.setdefault(school_year_of(local_date(case.created_on)), []).append(
                case
            )
        for year, of_year in years.items():
            statuses = Counter(str(case.status) for case in of_year)
            as_of: datetime | None
            for as_of in (None, now):
                figures = view.figures(tx, school_year=year, now=now, as_of=as_of)
                assert {s: n for s, n in figures["by_status"].items() if n} == statuses
                assert figures["open"] == sum(statuses[s] for s in OPEN_STATUSES)
                assert figures["closed"] == statuses[Status.CLOSED]


def test_every_read_model_shows_each_case_in_its_aggregates_status(
    settings: Settings,
) -> None:
    class OnThisStore(StatusEverywhere):
        # One command at a time: small pools spare the shared server.
        store = settings.model_copy(update={"pool_size": 2})

    run_state_machine_as_test(
        OnThisStore,
        settings=hypothesis_settings(
            max_examples=12,  # about 10 s per store on a quiet 2-core machine
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
