"""The deadlines read model on a real store: clocks from real commands on dates
around Dutch holidays, moved on by a new day alone, paused, stopped and removed."""

from __future__ import annotations

import threading
from datetime import date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from domain.deadlines import ClockState
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    Category,
    EducationStatus,
    IntakeDecision,
    Outcome,
    Region,
    Service,
    Step,
)
from projections.deadlines import DeadlinesProjection
from projections.deadlines_view import ClockRow, DeadlinesView
from projections.rebuild import drop_retired, rebuild
from projections.runner import ProjectionRunner
from projections.state import positions
from storage.db import Database
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

REGISTERED = date(2026, 3, 16)  # a Monday: the six-week intake norm ends 27 April
INTAKE_DUE = date(2026, 4, 27)
DECIDED = date(2026, 4, 22)
# Thursday 23 April: five working days later skips King's Day (Monday 27 April).
ASSIGNED = date(2026, 4, 23)
FIRST_CONTACT_DUE = date(2026, 5, 1)


class Watch:
    """The deadlines projection, run on the day the test says it is."""

    def __init__(self, service: CaseService, db: Database, clock: FakeClock) -> None:
        self.service = service
        self.db = db
        self.clock = clock
        self.day = REGISTERED
        self.runner = ProjectionRunner(
            service, db, DeadlinesProjection.configured(today=lambda: self.day)
        )
        self.view = DeadlinesView.for_version(self.runner.version)

    def on(self, day: date) -> None:
        """Commands from now on happen on ``day``, and the projection's today is it."""
        self.day = day
        self.clock.set(datetime.combine(day, time(10), tzinfo=AMSTERDAM))

    def clocks(self, case_id: UUID) -> dict[str, ClockRow]:
        self.runner.catch_up()
        with self.db.reading() as tx:
            return {row.clock: row for row in self.view.for_case(tx, case_id)}

    def refresh(self, day: date) -> int:
        """Process every event so far, then refresh as the watcher does on ``day``."""
        self.runner.catch_up()
        self.day = day
        projection = self.runner.projection
        assert isinstance(projection, DeadlinesProjection)
        with self.db.transaction() as tx:
            return projection.refresh(tx, day)

    def watch_list(
        self, *, region: str | None = None, consultant_id: str | None = None
    ) -> list[tuple[str, str]]:
        self.runner.catch_up()
        with self.db.reading() as tx:
            rows = self.view.missed_or_at_risk(
                tx, region=region, consultant_id=consultant_id
            )
        return [(row.case_id, row.clock) for row in rows]

    def counts(
        self, region: str | None = None, *, open_only: bool = True
    ) -> dict[str, dict[str, int]]:
        self.runner.catch_up()
        with self.db.reading() as tx:
            return self.view.counts(tx, region, open_only=open_only)

    # --- commands on the current day -------------------------------------------------

    def register(self, **changes: Any) -> UUID:
        """A case registered today, both prerequisites recorded the same day."""
        case_id = self.service.register(registration(**changes), by=INTAKE).case.id
        for step in Step:
            self.service.record_prerequisite(case_id, step, self.day, None, by=INTAKE)
        return case_id

    def admit(self, case_id: UUID) -> None:
        self.service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)

    def consultant(self, name: str = "Anna Bakker") -> UUID:
        return self.service.register_consultant(
            name, Region.NOORD_HOLLAND, Service.ONDERWIJSCONSULENT, 30, by=COORDINATOR
        ).id

    def assign(self, case_id: UUID, name: str = "Anna Bakker") -> UUID:
        """Assign the case to a newly registered consultant; their id."""
        consultant_id = self.consultant(name)
        self.service.assign(case_id, consultant_id, by=COORDINATOR)
        return consultant_id

    def assigned(self, on: date = ASSIGNED, **changes: Any) -> tuple[UUID, UUID]:
        """A case registered on REGISTERED, admitted on DECIDED, assigned ``on``."""
        self.on(REGISTERED)
        case_id = self.register(**changes)
        self.on(DECIDED)
        self.admit(case_id)
        self.on(on)
        return case_id, self.assign(case_id)

    def contact(self, case_id: UUID, consultant_id: UUID, on: date) -> None:
        self.on(on)
        self.service.record_activity(
            case_id,
            ActivityKind.CONTACT,
            on,
            "Telefonisch contact met de ouders.",
            ["ouders"],
            by=consultant_actor(consultant_id),
        )

    def close(self, case_id: UUID, on: date) -> None:
        self.on(on)
        self.service.close_case(
            case_id,
            Outcome.PLACED_AT_SCHOOL,
            EducationStatus.ATTENDING,
            "Geplaatst op een nieuwe school.",
            by=COORDINATOR,
        )


@pytest.fixture
def watch(service: CaseService, read_db: Database, clock: FakeClock) -> Watch:
    return Watch(service, read_db, clock)


def due_and_state(row: ClockRow) -> tuple[date | None, ClockState]:
    return row.due, row.state


# --- due dates and what starts them -------------------------------------------------


def test_a_new_case_has_only_its_intake_clock_running(watch: Watch) -> None:
    watch.on(REGISTERED)
    case_id = watch.service.register(registration(), by=INTAKE).case.id

    clocks = watch.clocks(case_id)

    assert list(clocks) == ["intake"]
    intake = clocks["intake"]
    assert (intake.started_on, intake.due, intake.state) == (
        REGISTERED,
        INTAKE_DUE,
        ClockState.RUNNING,
    )
    assert (intake.region, intake.consultant_id, intake.case_open) == (
        "noord-holland",
        None,
        True,
    )


def test_first_contact_after_an_assignment_on_23_april_is_due_after_kings_day(
    watch: Watch,
) -> None:
    case_id, consultant_id = watch.assigned()

    clocks = watch.clocks(case_id)

    assert list(clocks) == ["intake", "first_contact"]
    intake, first = clocks["intake"], clocks["first_contact"]
    assert (intake.due, intake.state, intake.met_on) == (
        INTAKE_DUE,
        ClockState.MET,
        DECIDED,
    )
    assert (first.started_on, first.due, first.state, first.met_on) == (
        ASSIGNED,
        FIRST_CONTACT_DUE,
        ClockState.RUNNING,
        None,
    )
    assert first.consultant_id == str(consultant_id)


def test_the_intake_norm_is_configurable(
    service: CaseService, read_db: Database, clock: FakeClock
) -> None:
    clock.set(datetime.combine(REGISTERED, time(10), tzinfo=AMSTERDAM))
    case_id = service.register(registration(), by=INTAKE).case.id
    projection_class = DeadlinesProjection.configured(
        today=lambda: REGISTERED, intake_norm_weeks=7
    )
    runner = ProjectionRunner(service, read_db, projection_class)
    runner.catch_up()

    with read_db.reading() as tx:
        [intake] = DeadlinesView.for_version(runner.version).for_case(tx, case_id)

    assert intake.due == date(2026, 5, 4)
    assert runner.projection.name == "deadlines"


# --- a new day without any event ------------------------------------------------------


def test_a_running_first_contact_turns_at_risk_then_missed_on_refresh_alone(
    watch: Watch,
) -> None:
    case_id, _ = watch.assigned()
    watch.clocks(case_id)

    # Tuesday 28 April: three working days left (29, 30 April, 1 May).
    assert watch.refresh(date(2026, 4, 28)) == 0
    assert watch.clocks(case_id)["first_contact"].state == ClockState.RUNNING
    assert watch.refresh(date(2026, 4, 29)) == 1
    assert watch.clocks(case_id)["first_contact"].state == ClockState.AT_RISK
    assert watch.refresh(date(2026, 4, 29)) == 0
    assert watch.refresh(date(2026, 5, 1)) == 0  # due today: still at risk
    assert watch.watch_list() == [(str(case_id), "first_contact")]

    assert watch.refresh(date(2026, 5, 4)) == 1

    first = watch.clocks(case_id)["first_contact"]
    assert due_and_state(first) == (FIRST_CONTACT_DUE, ClockState.MISSED)
    assert watch.watch_list() == [(str(case_id), "first_contact")]
    assert watch.refresh(date(2026, 5, 20)) == 0  # missed stays missed


def test_an_intake_not_decided_turns_at_risk_a_week_ahead_and_then_missed(
    watch: Watch,
) -> None:
    watch.on(REGISTERED)
    case_id = watch.service.register(registration(), by=INTAKE).case.id
    watch.clocks(case_id)

    assert watch.refresh(date(2026, 4, 19)) == 0  # eight days ahead
    assert watch.refresh(date(2026, 4, 20)) == 1
    assert watch.clocks(case_id)["intake"].state == ClockState.AT_RISK
    assert watch.refresh(date(2026, 4, 28)) == 1
    assert watch.clocks(case_id)["intake"].state == ClockState.MISSED
    assert watch.counts()["intake"] == {
        "running": 0,
        "paused": 0,
        "at_risk": 0,
        "met": 0,
        "missed": 1,
        "ended": 0,
    }


def test_a_late_intake_decision_stays_missed_but_leaves_the_watch_list(
    watch: Watch,
) -> None:
    watch.on(REGISTERED)
    case_id = watch.register()
    watch.clocks(case_id)
    watch.refresh(date(2026, 4, 28))
    assert watch.watch_list() == [(str(case_id), "intake")]

    watch.on(date(2026, 4, 29))
    watch.service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)

    intake = watch.clocks(case_id)["intake"]
    assert (intake.state, intake.met_on) == (ClockState.MISSED, date(2026, 4, 29))
    assert watch.watch_list() == []


# --- stopped by the event it waits for ----------------------------------------------


def test_first_contact_is_met_when_the_first_activity_is_recorded(
    watch: Watch,
) -> None:
    case_id, consultant_id = watch.assigned()
    watch.clocks(case_id)
    watch.refresh(date(2026, 4, 29))

    watch.contact(case_id, consultant_id, date(2026, 4, 30))

    first = watch.clocks(case_id)["first_contact"]
    assert (first.due, first.state, first.met_on) == (
        FIRST_CONTACT_DUE,
        ClockState.MET,
        date(2026, 4, 30),
    )
    assert watch.watch_list() == []
    assert watch.refresh(date(2026, 6, 1)) == 0


def test_a_first_contact_after_the_due_date_is_recorded_as_missed(
    watch: Watch,
) -> None:
    case_id, consultant_id = watch.assigned()

    watch.contact(case_id, consultant_id, date(2026, 5, 4))

    first = watch.clocks(case_id)["first_contact"]
    assert (first.state, first.met_on) == (ClockState.MISSED, date(2026, 5, 4))


def test_a_reassignment_before_first_contact_restarts_it_for_the_new_consultant(
    watch: Watch,
) -> None:
    case_id, _ = watch.assigned()
    watch.on(date(2026, 4, 28))
    other = watch.assign(case_id, "Bram Visser")

    first = watch.clocks(case_id)["first_contact"]

    # 29, 30 April, 1, 4, 5 May (Liberation Day is no day off in 2026).
    assert (first.started_on, first.due, first.consultant_id) == (
        date(2026, 4, 28),
        date(2026, 5, 5),
        str(other),
    )
    assert watch.clocks(case_id)["intake"].consultant_id == str(other)


def test_a_batch_of_events_waits_for_a_refresh_in_progress(watch: Watch) -> None:
    case_id, _ = watch.assigned()
    watch.clocks(case_id)
    watch.on(date(2026, 4, 29))
    other = watch.register()  # not yet processed, and a case refresh leaves alone
    projection = watch.runner.projection
    assert isinstance(projection, DeadlinesProjection)
    processed = threading.Event()

    def process() -> None:
        watch.runner.catch_up()
        processed.set()

    with watch.db.transaction() as tx:
        assert projection.refresh(tx, date(2026, 4, 29)) == 1  # at risk
        batch = threading.Thread(target=process)
        batch.start()
        assert not processed.wait(0.3)
    batch.join(timeout=10)

    assert processed.is_set()
    assert watch.clocks(case_id)["first_contact"].state == ClockState.AT_RISK
    assert list(watch.clocks(other)) == ["intake"]


# --- paused by a suspension -----------------------------------------------------------


def test_a_suspension_pauses_first_contact_and_resuming_moves_its_due_date(
    watch: Watch,
) -> None:
    # Monday 11 May: 12, 13, 15, 18, 19 May (Ascension Day is Thursday 14 May).
    case_id, _ = watch.assigned(on=date(2026, 5, 11))
    assert due_and_state(watch.clocks(case_id)["first_contact"]) == (
        date(2026, 5, 19),
        ClockState.RUNNING,
    )

    watch.on(date(2026, 5, 13))
    watch.service.suspend(case_id, "Procedure bij de rechter loopt.", by=COORDINATOR)
    assert due_and_state(watch.clocks(case_id)["first_contact"]) == (
        None,
        ClockState.PAUSED,
    )
    assert watch.refresh(date(2026, 5, 25)) == 0
    assert watch.watch_list() == []

    watch.on(date(2026, 5, 18))
    watch.service.resume(case_id, "Uitspraak gedaan.", by=COORDINATOR)

    # 12 May counted; 13 to 17 May suspended; then 18, 19, 20, 21 May.
    first = watch.clocks(case_id)["first_contact"]
    assert due_and_state(first) == (date(2026, 5, 21), ClockState.RUNNING)
    assert watch.clocks(case_id)["intake"].state == ClockState.MET
    assert watch.refresh(date(2026, 5, 19)) == 1
    assert watch.clocks(case_id)["first_contact"].state == ClockState.AT_RISK


# --- ended, reopened ------------------------------------------------------------------


def test_closing_a_case_stops_its_clocks_and_takes_it_off_the_watch_list(
    watch: Watch,
) -> None:
    # At home since 2 February: the Thuiszitterspact's three months end 2 May.
    case_id, consultant_id = watch.assigned(
        category=Category.THUISZITTER, at_home_since=date(2026, 2, 2)
    )
    home = watch.clocks(case_id)["thuiszitter_3_months"]
    assert (home.started_on, home.due, home.state) == (
        date(2026, 2, 2),
        date(2026, 5, 2),
        ClockState.AT_RISK,
    )
    watch.contact(case_id, consultant_id, date(2026, 4, 24))
    assert watch.refresh(date(2026, 5, 4)) == 1
    assert watch.watch_list() == [(str(case_id), "thuiszitter_3_months")]

    watch.close(case_id, date(2026, 5, 6))

    clocks = watch.clocks(case_id)
    assert {name: (c.state, c.met_on) for name, c in clocks.items()} == {
        "intake": (ClockState.MET, DECIDED),
        "first_contact": (ClockState.MET, date(2026, 4, 24)),
        # Missed by its date; the case's end is not the pupil's return.
        "thuiszitter_3_months": (ClockState.MISSED, None),
    }
    assert not any(c.case_open for c in clocks.values())
    assert watch.watch_list() == []
    assert watch.refresh(date(2026, 9, 1)) == 0
    assert all(sum(states.values()) == 0 for states in watch.counts().values())
    everything = watch.counts(open_only=False)
    assert everything["thuiszitter_3_months"]["missed"] == 1
    assert everything["first_contact"]["met"] == 1


def test_a_case_found_not_admissible_ends_with_its_intake_clock_met(
    watch: Watch,
) -> None:
    watch.on(REGISTERED)
    case_id = watch.register()
    watch.on(DECIDED)
    watch.service.decide_intake(
        case_id, IntakeDecision.NOT_ADMISSIBLE, "Hoger onderwijs.", by=INTAKE
    )

    [intake] = watch.clocks(case_id).values()

    assert (intake.state, intake.met_on, intake.case_open) == (
        ClockState.MET,
        DECIDED,
        False,
    )


def test_reopening_removes_the_first_contact_clock_until_the_next_assignment(
    watch: Watch,
) -> None:
    case_id, consultant_id = watch.assigned()
    watch.contact(case_id, consultant_id, date(2026, 4, 24))
    watch.close(case_id, date(2026, 5, 6))

    watch.on(date(2026, 6, 1))
    watch.service.reopen(case_id, "Plaatsing ging niet door.", by=COORDINATOR)
    clocks = watch.clocks(case_id)
    assert list(clocks) == ["intake"]
    assert clocks["intake"].case_open
    assert clocks["intake"].consultant_id is None

    watch.on(date(2026, 6, 2))
    watch.assign(case_id, "Bram Visser")

    first = watch.clocks(case_id)["first_contact"]
    assert (first.started_on, first.due, first.state) == (
        date(2026, 6, 2),
        date(2026, 6, 9),
        ClockState.RUNNING,
    )


def test_withdrawing_a_suspended_case_stops_its_paused_clock_with_a_due_date(
    watch: Watch,
) -> None:
    case_id, _ = watch.assigned(on=date(2026, 5, 11))
    watch.on(date(2026, 5, 13))
    watch.service.suspend(case_id, "Procedure bij de rechter.", by=COORDINATOR)

    watch.on(date(2026, 6, 1))
    watch.service.withdraw(case_id, "Ouders trekken de aanmelding in.", by=COORDINATOR)

    first = watch.clocks(case_id)["first_contact"]
    # The suspension ran until the case ended: the clock never ran out, and
    # no contact came: it ended, neither met nor missed.
    assert (first.state, first.met_on, first.case_open) == (
        ClockState.ENDED,
        None,
        False,
    )


# --- what coordinators see ------------------------------------------------------------


def test_the_watch_list_and_counts_filter_by_region_and_consultant(
    watch: Watch,
) -> None:
    watch.on(REGISTERED)
    late, on_time = watch.register(), watch.register()
    # The school decided on the day of registration: the GPO window ends 27 April.
    elsewhere = watch.register(region=Region.UTRECHT, school_decision_on=REGISTERED)
    watch.on(DECIDED)
    for case_id in (late, on_time, elsewhere):
        watch.admit(case_id)
    watch.on(ASSIGNED)
    first_consultant = watch.assign(late)
    second_consultant = watch.assign(on_time, "Bram Visser")
    watch.contact(on_time, second_consultant, date(2026, 4, 24))
    watch.clocks(late)

    assert watch.refresh(date(2026, 5, 4)) == 2  # first contact and the GPO window

    assert watch.watch_list() == [
        (str(elsewhere), "gpo_window"),  # due 27 April
        (str(late), "first_contact"),  # due 1 May
    ]
    assert watch.watch_list(region="utrecht") == [(str(elsewhere), "gpo_window")]
    assert watch.watch_list(consultant_id=str(first_consultant)) == [
        (str(late), "first_contact")
    ]
    assert watch.watch_list(consultant_id=str(second_consultant)) == []
    assert watch.counts(region="noord-holland")["first_contact"] == {
        "running": 0,
        "paused": 0,
        "at_risk": 0,
        "met": 1,
        "missed": 1,
        "ended": 0,
    }
    utrecht = watch.counts(region="utrecht")
    assert utrecht["intake"]["met"] == 1
    assert utrecht["gpo_window"]["missed"] == 1
    assert sum(utrecht["first_contact"].values()) == 0


def test_a_rebuilt_version_matches_the_serving_one(
    watch: Watch, service: CaseService, read_db: Database
) -> None:
    case_id, consultant_id = watch.assigned()
    watch.contact(case_id, consultant_id, date(2026, 4, 24))
    watch.on(date(2026, 5, 4))
    watch.register()
    watch.clocks(case_id)

    report = rebuild(
        service, read_db, DeadlinesProjection.configured(today=lambda: watch.day)
    )

    assert (report.old_version, report.new_version, report.compared_with_old) == (
        1,
        2,
        True,
    )
    states = {(n, v): s for n, v, _, s in positions(read_db)}
    assert states[("deadlines", 2)] == "serving"
    assert drop_retired(read_db, DeadlinesProjection) == [1]
