"""Property-based tests of the Case aggregate: random command sequences.

One Case is driven by random sequences of valid and invalid commands from random
actors (including a consultant the case is not assigned to) at random moments.
Every command either succeeds, moving the case along a legal edge of the status
graph in api.md, or raises a DossierError and leaves the case exactly as it was.
After every step the case's events are collected and replayed from scratch; the
replayed case must equal the live one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.case import Case
from domain.errors import DossierError
from domain.registration import School
from domain.values import (
    ENDED_STATUSES,
    ERASED,
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    ActivityKind,
    Actor,
    Category,
    EducationStatus,
    ErasureReason,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Role,
    Sector,
    Service,
    Status,
    Step,
)
from domain.zone import local_date
from tests.support.samples import (
    AUDITOR,
    COORDINATOR,
    INTAKE,
    consultant_actor,
    registration,
)

REGISTERED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

ONDERWIJS = Service.ONDERWIJSCONSULENT
ZORG = Service.ONDERWIJSZORGCONSULENT


class PoolConsultant:
    def __init__(self, kind: Service, active: bool) -> None:
        self.id: UUID = uuid4()
        self.kind = kind
        self.active = active
        self.actor = consultant_actor(self.id)

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"PoolConsultant({self.kind}, {state})"


POOL = (
    PoolConsultant(ONDERWIJS, True),
    PoolConsultant(ONDERWIJS, True),
    PoolConsultant(ZORG, True),
    PoolConsultant(ZORG, True),
    PoolConsultant(ONDERWIJS, False),
)
STRANGER = consultant_actor(uuid4())  # a consultant no case is ever assigned to
ADMIN = Actor("admin-1", Role.ADMIN)
ACTORS = (
    INTAKE,
    COORDINATOR,
    AUDITOR,
    ADMIN,
    SYSTEM_ACTOR,
    STRANGER,
    *(c.actor for c in POOL),
)

REGISTRATIONS = {
    "po": registration(),
    "vo": registration(sector=Sector.VO, samenwerkingsverband="VO2708"),
    "mbo": registration(sector=Sector.MBO, samenwerkingsverband=None),
    "cluster-2": registration(
        sector=Sector.SO, school=School("De Kring", None, 2), samenwerkingsverband=None
    ),
    "no-education": registration(
        category=Category.THUISZITTER,
        at_home_since=date(2026, 8, 20),
        receives_education=False,
    ),
    "zorg": registration(
        service=ZORG, category=Category.ONDERWIJSZORGARRANGEMENT, sector=Sector.SO
    ),
}

WITH_CONSULTANT = frozenset({Status.ASSIGNED, Status.IN_MEDIATION, Status.SUSPENDED})
BEFORE_ASSIGNMENT = frozenset(
    {
        Status.REGISTERED,
        Status.AWAITING_INTAKE,
        Status.AWAITING_ASSIGNMENT,
        Status.NOT_ADMISSIBLE,
        Status.REFERRED,
    }
)

# Every edge of api.md's status graph a successful command may take (a command
# that changes no status, such as a reassignment, stays on the same status).
LEGAL_MOVES: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.REGISTERED, Status.AWAITING_INTAKE),
        (Status.AWAITING_INTAKE, Status.AWAITING_ASSIGNMENT),
        (Status.AWAITING_INTAKE, Status.NOT_ADMISSIBLE),
        (Status.AWAITING_INTAKE, Status.REFERRED),
        (Status.AWAITING_ASSIGNMENT, Status.ASSIGNED),
        (Status.ASSIGNED, Status.IN_MEDIATION),
        (Status.ASSIGNED, Status.SUSPENDED),
        (Status.IN_MEDIATION, Status.SUSPENDED),
        (Status.SUSPENDED, Status.ASSIGNED),
        (Status.SUSPENDED, Status.IN_MEDIATION),
        (Status.ASSIGNED, Status.CLOSED),
        (Status.IN_MEDIATION, Status.CLOSED),
        (Status.CLOSED, Status.AWAITING_ASSIGNMENT),
        *((s, Status.WITHDRAWN) for s in OPEN_STATUSES),
    }
)

minutes = st.integers(min_value=0, max_value=4 * 24 * 60)
actors = st.sampled_from(ACTORS)
# Mostly valid texts; sometimes empty, blank or too long.
texts = st.sampled_from(["Tekst."] * 5 + ["", "   ", "x" * 10_001])
optional_texts = st.one_of(st.none(), texts)
# Days relative to today: mostly past, sometimes in the future, sometimes
# long before the registration.
day_offsets = st.one_of(st.integers(-3, 0), st.integers(-90, 2))

# Intake decisions: half of them shaped as the decision requires, half random.
intakes = st.one_of(
    st.tuples(
        st.just(IntakeDecision.ADMISSIBLE),
        st.sampled_from([None, "Ontvankelijk."]),
        st.none(),
    ),
    st.tuples(st.just(IntakeDecision.NOT_ADMISSIBLE), st.just("Hbo."), st.none()),
    st.tuples(
        st.just(IntakeDecision.REFERRED),
        st.just("Hoort elders."),
        st.sampled_from(ReferredTo),
    ),
    st.tuples(
        st.sampled_from(IntakeDecision),
        optional_texts,
        st.one_of(st.none(), st.sampled_from(ReferredTo)),
    ),
)


def state_of(case: Case) -> dict[str, Any]:
    return {k: v for k, v in vars(case).items() if k != "_pending_events"}


class CaseLifecycle(RuleBasedStateMachine):
    """Drives one Case with random commands; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.case: Case
        self.events: list[Any] = []
        self.recorded: list[dict[str, Any]] = []  # each event as it was collected
        self.now = REGISTERED_AT
        self.steps = 0
        self.withdrawn_from: Status | None = None
        self.refusal: DossierError | None = None  # why the last attempt failed

    # --- setup ------------------------------------------------------------------------

    @initialize(
        kind=st.sampled_from(sorted(REGISTRATIONS)),
        head_start=st.integers(0, 10),
        consultant=st.integers(0, 1),
    )
    def register(self, kind: str, head_start: int, consultant: int) -> None:
        """Register, then (to reach deep states and long histories often) take
        the first ``head_start`` steps of a happy path with valid commands:
        prerequisites, intake, assign, activity, suspend, resume, close, reopen,
        assign the other consultant, activity. The rules take it from there."""
        self.case = Case.register(
            case_id=uuid4(),
            reference="OC-2026-00001",
            registration=REGISTRATIONS[kind],
            by=INTAKE,
            now=self.now,
        )
        self.collect()
        path: list[tuple[Status, Callable[[datetime], None]]] = [
            (Status.AWAITING_INTAKE, self._meet_prerequisites),
            (
                Status.AWAITING_ASSIGNMENT,
                lambda now: self.case.decide_intake(
                    IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=now
                ),
            ),
            (Status.ASSIGNED, lambda now: self._assign_valid(consultant, now)),
            (Status.IN_MEDIATION, self._first_contact),
            (
                Status.SUSPENDED,
                lambda now: self.case.suspend("Rechtszaak.", by=COORDINATOR, now=now),
            ),
            (
                Status.IN_MEDIATION,
                lambda now: self.case.resume(None, by=COORDINATOR, now=now),
            ),
            (
                Status.CLOSED,
                lambda now: self.case.close(
                    Outcome.ADVICE_GIVEN,
                    EducationStatus.ATTENDING,
                    "Advies gegeven.",
                    by=COORDINATOR,
                    now=now,
                ),
            ),
            (
                Status.AWAITING_ASSIGNMENT,
                lambda now: self.case.reopen("Mislukt.", by=COORDINATOR, now=now),
            ),
            (Status.ASSIGNED, lambda now: self._assign_valid(consultant + 1, now)),
            (Status.IN_MEDIATION, self._first_contact),
        ]
        for reached, command in path[:head_start]:
            self.attempt(command, minutes=60 * 26, must_succeed=True)
            assert self.case.status == reached

    def _first_contact(self, now: datetime) -> None:
        self.case.record_activity(
            ActivityKind.CONTACT,
            local_date(now),
            "Contact.",
            ["moeder"],
            by=COORDINATOR,
            now=now,
        )

    def _meet_prerequisites(self, now: datetime) -> None:
        for step in Step:
            if self.case.status == Status.REGISTERED:
                self.case.record_prerequisite(
                    step, local_date(now), None, by=INTAKE, now=now
                )

    def _assign_valid(self, index: int, now: datetime) -> None:
        fitting = [c for c in POOL if c.active and c.kind == self.case.service]
        chosen = fitting[index % len(fitting)]
        self.case.assign(chosen.id, chosen.kind, True, by=COORDINATOR, now=now)

    # --- the step every rule takes ----------------------------------------------------

    def collect(self) -> None:
        for event in self.case.collect_events():
            self.events.append(event)
            self.recorded.append(copy.deepcopy(vars(event)))

    def attempt(
        self,
        command: Callable[[datetime], None],
        *,
        minutes: int,
        casework_by: Actor | None = None,
        must_succeed: bool = False,
    ) -> bool:
        """Run one command at a later moment; check it succeeded along a legal
        edge, or was refused with a DossierError leaving the case unchanged.

        ``casework_by`` is the actor of a command only the assigned consultant
        (or a coordinator) may give: recording an activity, closing."""
        self.steps += 1
        self.now += timedelta(minutes=minutes)
        case = self.case
        version = case.version
        pending = len(case.pending_events)
        before = copy.deepcopy(state_of(case))
        status = Status(case.status)
        left_for_suspension = case.status_before_suspension
        consultant_before = case.consultant_id
        was_erased = case.erased
        self.refusal = None
        try:
            command(self.now)
        except DossierError as error:
            self.refusal = error
            assert not must_succeed, "the walk to the head start must succeed"
            assert case.version == version
            assert len(case.pending_events) == pending
            assert state_of(case) == before
            return False
        finally:
            self.collect()

        assert not was_erased, "no command may succeed once the data is erased"
        assert case.version > version
        after = Status(case.status)
        if after != status:
            assert (status, after) in LEGAL_MOVES, f"{status} -> {after}"
        if status == Status.SUSPENDED and after not in (status, Status.WITHDRAWN):
            assert after == left_for_suspension, "resumption returns where it left"
        if after == Status.WITHDRAWN and status != Status.WITHDRAWN:
            self.withdrawn_from = status
        if casework_by is not None and casework_by.role == Role.CONSULTANT:
            assert casework_by.user_id == str(consultant_before), (
                "a consultant works only the cases assigned to them"
            )
        return True

    # --- rules: every command, valid or not -------------------------------------------

    @rule(
        step=st.sampled_from(Step),
        offset=day_offsets,
        note=optional_texts,
        by=actors,
        minutes=minutes,
    )
    def record_prerequisite(
        self, step: Step, offset: int, note: str | None, by: Actor, minutes: int
    ) -> None:
        self.attempt(
            lambda now: self.case.record_prerequisite(
                step, local_date(now) + timedelta(days=offset), note, by=by, now=now
            ),
            minutes=minutes,
        )

    @rule(step=st.sampled_from(Step), reason=texts, by=actors, minutes=minutes)
    def waive_prerequisite(
        self, step: Step, reason: str, by: Actor, minutes: int
    ) -> None:
        succeeded = self.attempt(
            lambda now: self.case.waive_prerequisite(step, reason, by=by, now=now),
            minutes=minutes,
        )
        if succeeded:
            assert by.role == Role.COORDINATOR

    @rule(intake=intakes, by=actors, minutes=minutes)
    def decide_intake(
        self,
        intake: tuple[IntakeDecision, str | None, ReferredTo | None],
        by: Actor,
        minutes: int,
    ) -> None:
        decision, reason, referred_to = intake
        self.attempt(
            lambda now: self.case.decide_intake(
                decision, reason, referred_to, by=by, now=now
            ),
            minutes=minutes,
        )

    @rule(consultant=st.sampled_from(POOL), by=actors, minutes=minutes)
    def assign(self, consultant: PoolConsultant, by: Actor, minutes: int) -> None:
        previous = self.case.consultant_id
        succeeded = self.attempt(
            lambda now: self.case.assign(
                consultant.id, consultant.kind, consultant.active, by=by, now=now
            ),
            minutes=minutes,
        )
        if succeeded:
            assert consultant.active
            assert consultant.kind == self.case.service
            assert consultant.id != previous
            assert self.case.consultant_id == consultant.id

    @rule(
        kind=st.sampled_from(ActivityKind),
        offset=day_offsets,
        summary=texts,
        parties=st.lists(st.sampled_from(["school", "moeder", ""]), max_size=2),
        by=actors,
        minutes=minutes,
    )
    def record_activity(
        self,
        kind: ActivityKind,
        offset: int,
        summary: str,
        parties: list[str],
        by: Actor,
        minutes: int,
    ) -> None:
        self.attempt(
            lambda now: self.case.record_activity(
                kind,
                local_date(now) + timedelta(days=offset),
                summary,
                parties,
                by=by,
                now=now,
            ),
            minutes=minutes,
            casework_by=by,
        )

    @rule(reason=texts, by=actors, minutes=minutes)
    def suspend(self, reason: str, by: Actor, minutes: int) -> None:
        self.attempt(
            lambda now: self.case.suspend(reason, by=by, now=now), minutes=minutes
        )

    @rule(reason=optional_texts, by=actors, minutes=minutes)
    def resume(self, reason: str | None, by: Actor, minutes: int) -> None:
        self.attempt(
            lambda now: self.case.resume(reason, by=by, now=now), minutes=minutes
        )

    @rule(
        outcome=st.sampled_from(Outcome),
        education_status=st.sampled_from(EducationStatus),
        summary=texts,
        by=actors,
        minutes=minutes,
    )
    def close(
        self,
        outcome: Outcome,
        education_status: EducationStatus,
        summary: str,
        by: Actor,
        minutes: int,
    ) -> None:
        self.attempt(
            lambda now: self.case.close(
                outcome, education_status, summary, by=by, now=now
            ),
            minutes=minutes,
            casework_by=by,
        )

    @rule(reason=texts, by=actors, minutes=minutes)
    def withdraw(self, reason: str, by: Actor, minutes: int) -> None:
        self.attempt(
            lambda now: self.case.withdraw(reason, by=by, now=now), minutes=minutes
        )

    @rule(reason=texts, by=actors, minutes=minutes)
    def reopen(self, reason: str, by: Actor, minutes: int) -> None:
        self.attempt(
            lambda now: self.case.reopen(reason, by=by, now=now), minutes=minutes
        )

    # Erasure of an ended case ends all further change; allowed only later in a
    # run so that the runs before it explore the rest of the lifecycle.
    @precondition(lambda self: self.steps >= 12)
    @rule(reason=st.sampled_from(ErasureReason), by=actors, minutes=minutes)
    def erase_personal_data(
        self, reason: ErasureReason, by: Actor, minutes: int
    ) -> None:
        """Erasure succeeds exactly on an ended case not yet erased; an open
        case is refused (once erased it could never be ended), as is a second
        erasure."""
        status = Status(self.case.status)
        was_erased = self.case.erased
        succeeded = self.attempt(
            lambda now: self.case.erase_personal_data(reason, by=by, now=now),
            minutes=minutes,
        )
        if was_erased:
            assert not succeeded
            assert self.refusal is not None
            assert self.refusal.rule == "already-erased"
        elif status in OPEN_STATUSES:
            assert not succeeded
            assert self.refusal is not None
            assert self.refusal.rule == "case-still-open"
            assert not self.case.erased
        else:
            assert status in ENDED_STATUSES
            assert succeeded
            assert self.case.erased
            assert self.case.status == status
            assert type(self.events[-1]).__name__ == "PersonalDataErased"

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def status_is_a_legal_status(self) -> None:
        assert self.case.status in set(Status)
        assert (self.case.status in OPEN_STATUSES) != (
            self.case.status in ENDED_STATUSES
        )

    @invariant()
    def consultant_is_set_exactly_while_someone_works_the_case(self) -> None:
        case = self.case
        status = Status(case.status)
        if status in WITHDRAWN_OR_CLOSED:
            # A closed case keeps who handled it; a withdrawn one keeps its
            # consultant only if it was withdrawn while someone worked it.
            expected = status == Status.CLOSED or self.withdrawn_from in WITH_CONSULTANT
            assert (case.consultant_id is not None) == expected
        elif status in WITH_CONSULTANT:
            assert case.consultant_id is not None
        else:
            assert status in BEFORE_ASSIGNMENT
            assert case.consultant_id is None
        if case.consultant_id is not None:
            assert case.assignments[-1]["consultant_id"] == case.consultant_id
            assert case.consultant_id in {
                c.id for c in POOL if c.active and c.kind == case.service
            }

    @invariant()
    def suspended_only_from_assigned_or_in_mediation(self) -> None:
        case = self.case
        if case.status == Status.SUSPENDED:
            assert case.status_before_suspension in (
                Status.ASSIGNED,
                Status.IN_MEDIATION,
            )
            assert case.timeline.pauses
            assert case.timeline.pauses[-1].end is None
            assert case.suspension_reason is not None
        else:
            # Resumption and withdrawal both clear the suspension reason.
            assert case.status_before_suspension is None
            assert case.suspension_reason is None
            assert all(p.end is not None for p in case.timeline.pauses)

    @invariant()
    def ended_exactly_when_the_timeline_says_so(self) -> None:
        case = self.case
        assert (case.timeline.ended_on is not None) == (case.status in ENDED_STATUSES)

    @invariant()
    def erased_case_holds_no_personal_data(self) -> None:
        case = self.case
        if case.erased:
            assert case.status in ENDED_STATUSES, "only an ended case is erased"
            assert case.requester == ERASED
            assert case.pupil == ERASED
            assert case.account == ERASED
            assert all(a["summary"] == ERASED for a in case.activities)
            assert case.suspension_reason is None
            if case.withdrawal_reason is not None:
                assert case.withdrawal_reason == ERASED
            if case.outcome is not None:
                assert case.outcome["summary"] == ERASED

    @invariant()
    def every_event_is_collected_and_counted(self) -> None:
        assert self.case.pending_events == []
        assert self.case.version == len(self.events)
        assert [e.originator_version for e in self.events] == list(
            range(1, len(self.events) + 1)
        )

    @invariant()
    def recorded_events_never_change_afterwards(self) -> None:
        # Guards against state that aliases an event's mutable data.
        assert [vars(e) for e in self.events] == self.recorded

    @invariant()
    def replaying_every_event_rebuilds_the_live_case(self) -> None:
        replayed: Any = None
        for event in self.events:
            replayed = event.mutate(replayed)
        assert isinstance(replayed, Case)
        assert state_of(replayed) == state_of(self.case)


WITHDRAWN_OR_CLOSED = frozenset({Status.WITHDRAWN, Status.CLOSED})


# Many short runs explore more than few long ones: the initial head start already
# walks deep into the lifecycle. About two seconds.
CaseLifecycle.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_case_lifecycle_properties = CaseLifecycle.TestCase
