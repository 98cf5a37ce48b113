"""The demo's commands, given through the CaseService when their moment comes:
the cases and consultants being seeded, and one action per command."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.registration import Registration
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    Actor,
    EducationStatus,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Region,
    Role,
    Service,
    Status,
    Step,
)
from domain.zone import local_date
from dossier.demo.tables import (
    ACTIVITIES,
    CLOSING_SUMMARIES,
    COORDINATORS,
    FIRST_CONTACT,
    INTAKE_WORKERS,
    PARTIES,
    REQUESTER_PARTY,
)


@dataclass
class SeededConsultant:
    index: int
    id: UUID
    region: Region
    kind: Service
    capacity: int
    open_cases: int = 0

    @property
    def actor(self) -> Actor:
        return Actor(str(self.id), Role.CONSULTANT)


@dataclass
class SeededCase:
    """One case being seeded: its plan's state as the commands are given."""

    index: int
    registration: Registration
    case_id: UUID | None = None
    consultant: SeededConsultant | None = None
    status: Status | None = None
    steps_left: int = 0


Action = Callable[["Seeder", SeededCase], None]


class Seeder:
    def __init__(
        self,
        service: CaseService,
        rng: random.Random,
        consultants: list[SeededConsultant],
    ) -> None:
        self.service = service
        self.rng = rng
        self.consultants = consultants

    def intake_worker(self) -> Actor:
        return self.rng.choice(INTAKE_WORKERS)

    def coordinator(self) -> Actor:
        return self.rng.choice(COORDINATORS)

    def choose_consultant(self, case: SeededCase) -> SeededConsultant | None:
        """The least loaded (against capacity) active consultant of the right kind
        in the case's region; any region when there is none there."""
        r = case.registration
        kind = [
            c
            for c in self.consultants
            if c.kind == r.service and c is not case.consultant
        ]
        local = [c for c in kind if c.region == r.region]
        candidates = local or kind
        if not candidates:
            return None
        return min(
            candidates, key=lambda c: (c.open_cases / max(c.capacity, 1), c.index)
        )


def _case_id(case: SeededCase) -> UUID:
    assert case.case_id is not None, "the case is registered first"
    return case.case_id


def register(s: Seeder, case: SeededCase) -> None:
    result = s.service.register(case.registration, by=s.intake_worker())
    case.case_id = result.case.id
    case.status = result.case.status


def prerequisite(step: Step, on: date, note: str | None) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        result = s.service.record_prerequisite(
            _case_id(case), step, on, note, by=s.intake_worker()
        )
        case.status = result.case.status

    return act


def waive(step: Step, reason: str) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        result = s.service.waive_prerequisite(
            _case_id(case), step, reason, by=s.coordinator()
        )
        case.status = result.case.status

    return act


def intake(
    decision: IntakeDecision, reason: str | None = None, to: ReferredTo | None = None
) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        result = s.service.decide_intake(
            _case_id(case), decision, reason, to, by=s.intake_worker()
        )
        case.status = result.case.status

    return act


def assign(s: Seeder, case: SeededCase) -> None:
    chosen = s.choose_consultant(case)
    if chosen is None:
        return  # a reassignment with nobody else of the kind: the case stays put
    result = s.service.assign(_case_id(case), chosen.id, by=s.coordinator())
    if case.consultant is not None:
        case.consultant.open_cases -= 1
    chosen.open_cases += 1
    case.consultant = chosen
    case.status = result.case.status


def _consultant(case: SeededCase) -> SeededConsultant:
    assert case.consultant is not None, "the case is assigned first"
    return case.consultant


def activity(kind: ActivityKind, *, first: bool = False) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        now = s.service.clock.now()
        if first:  # the consultant's first contact is with the requester
            role = case.registration.requester.role
            summary, parties = FIRST_CONTACT, [REQUESTER_PARTY.get(role, "ouders")]
        else:
            summary = s.rng.choice(ACTIVITIES[kind])
            parties = s.rng.sample(PARTIES, s.rng.randint(1, 3))
        result = s.service.record_activity(
            _case_id(case),
            kind,
            local_date(now),
            summary,
            parties,
            by=_consultant(case).actor,
        )
        case.status = result.case.status

    return act


def suspend(reason: str) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        result = s.service.suspend(_case_id(case), reason, by=s.coordinator())
        case.status = result.case.status

    return act


def resume(s: Seeder, case: SeededCase) -> None:
    result = s.service.resume(_case_id(case), None, by=s.coordinator())
    case.status = result.case.status


def close(outcome: Outcome, education: EducationStatus) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        consultant = _consultant(case)
        result = s.service.close_case(
            _case_id(case),
            outcome,
            education,
            CLOSING_SUMMARIES[outcome],
            by=consultant.actor,  # the consultant proposes closure with an outcome
        )
        consultant.open_cases -= 1
        case.status = result.case.status

    return act


def withdraw(reason: str) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        result = s.service.withdraw(_case_id(case), reason, by=s.intake_worker())
        if case.consultant is not None:
            case.consultant.open_cases -= 1
            case.consultant = None
        case.status = result.case.status

    return act


def reopen(reason: str) -> Action:
    def act(s: Seeder, case: SeededCase) -> None:
        result = s.service.reopen(_case_id(case), reason, by=s.coordinator())
        case.consultant = None  # the reopened case waits for a new assignment
        case.status = result.case.status

    return act
