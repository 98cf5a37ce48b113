"""The Case aggregate's hypothesis state machine: its setup and its commands.

One Case is driven by random sequences of valid and invalid commands from random
actors (including a consultant the case is not assigned to) at random moments.
Every command either succeeds, moving the case along a legal edge of the status
graph in api.md, or raises a DossierError and leaves the case exactly as it was
(``attempt``). tests/unit/test_case_properties.py adds the invariants of the bare
aggregate; tests/integration/test_status_everywhere.py plays the same commands
through the service and holds the read models to the aggregate.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from domain.case import Case
from domain.errors import DossierError
from domain.registration import Registration
from domain.values import (
    ENDED_STATUSES,
    OPEN_STATUSES,
    ActivityKind,
    Actor,
    EducationStatus,
    ErasureReason,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Role,
    Status,
    Step,
)
from domain.zone import local_date
from tests.support.case_strategies import (
    ADMIT,
    INTAKE_REACHES,
    LEGAL_MOVES,
    POOL,
    REGISTERED_AT,
    REGISTRATIONS,
    Intake,
    PoolConsultant,
    actors,
    consultant_picks,
    day_offsets,
    head_starts,
    intakes,
    kinds,
    minutes,
    optional_texts,
    texts,
)
from tests.support.samples import COORDINATOR, INTAKE


def state_of(case: Case) -> dict[str, Any]:
    return {k: v for k, v in vars(case).items() if k != "_pending_events"}


class CaseCommands(RuleBasedStateMachine):
    """Drives one Case with random commands; see the module docstring.

    Two methods say where the case lives: ``new_case`` makes it (here the bare
    aggregate) and ``take_events`` takes the events a command gave (here
    collected from the aggregate); a subclass puts them in a store instead.
    """

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

    @initialize(kind=kinds, head_start=head_starts, consultant=consultant_picks)
    def register(self, kind: str, head_start: int, consultant: int) -> None:
        self.start_life(kind, head_start, consultant)

    def start_life(
        self, kind: str, head_start: int, consultant: int, intake: Intake = ADMIT
    ) -> None:
        """Register, then (to reach deep states and long histories often) take
        the first ``head_start`` steps of a happy path with valid commands:
        prerequisites, intake, assign, activity, suspend, resume, close, reopen,
        assign the other consultant, activity. The rules take it from there.
        An ``intake`` that does not admit the case ends the path there."""
        self.events, self.recorded, self.withdrawn_from = [], [], None
        self.case = self.new_case(REGISTRATIONS[kind])
        self.collect()
        decision, reason, referred_to = intake
        path: list[tuple[Status, Callable[[datetime], None]]] = [
            (Status.AWAITING_INTAKE, self._meet_prerequisites),
            (
                INTAKE_REACHES[decision],
                lambda now: self.case.decide_intake(
                    decision, reason, referred_to, by=INTAKE, now=now
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
        if decision != IntakeDecision.ADMISSIBLE:
            del path[2:]
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

    def new_case(self, registration: Registration) -> Case:
        """A case registered now."""
        return Case.register(
            case_id=uuid4(),
            reference="OC-2026-00001",
            registration=registration,
            by=INTAKE,
            now=self.now,
        )

    def take_events(self) -> Sequence[Any]:
        """The events the case's last command gave."""
        return self.case.collect_events()

    def collect(self) -> None:
        for event in self.take_events():
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
