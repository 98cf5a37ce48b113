"""Cases full of canaries: a unique string in every personal field of a case's
life, to plant and then search for in the store, its files and its read models."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

from domain.consultant import Consultant
from domain.registration import Pupil, Requester
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    EducationStatus,
    IntakeDecision,
    Outcome,
    RequesterRole,
    Step,
)
from domain.zone import local_date
from tests.support.samples import (
    COORDINATOR,
    INTAKE,
    consultant_actor,
    registration,
)
from tests.support.samples import canaries as sample_canaries

# Every personal field a case's events carry, one canary each.
PERSONAL_FIELDS = (
    "pupil",
    "requester",
    "email",
    "account",
    "note",
    "waiver",
    "summary",
    "party",
    "suspension",
    "resumption",
    "closing",
    "reopening",
    "withdrawal",
)


def canaries() -> dict[str, str]:
    return sample_canaries(*PERSONAL_FIELDS)


def case_full_of_canaries(
    service: CaseService, consultant: Consultant, c: dict[str, str]
) -> UUID:
    """A case taken through every event that carries personal data, each with
    its canary, and withdrawn at the end (so it may be erased). Dates are the
    service clock's today and the day before."""
    today = local_date(service.clock.now())
    reg = replace(
        registration(),
        pupil=Pupil(c["pupil"], date(2014, 1, 2), "Amsterdam", "1011"),
        requester=Requester(
            RequesterRole.PARENT, c["requester"], f"{c['email']}@example.nl", None
        ),
        account=c["account"],
    )
    case_id = service.register(reg, by=INTAKE).case.id
    service.record_prerequisite(
        case_id,
        Step.SCHOOL_CONVERSATION,
        today - timedelta(days=1),
        c["note"],
        by=INTAKE,
    )
    service.waive_prerequisite(
        case_id, Step.SAMENWERKINGSVERBAND_CONTACT, c["waiver"], by=COORDINATOR
    )
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    service.assign(case_id, consultant.id, by=COORDINATOR)
    service.record_activity(
        case_id,
        ActivityKind.MEETING,
        today,
        c["summary"],
        [c["party"]],
        by=consultant_actor(consultant.id),
    )
    service.suspend(case_id, c["suspension"], by=COORDINATOR)
    service.resume(case_id, c["resumption"], by=COORDINATOR)
    service.close_case(
        case_id,
        Outcome.BACK_AT_SCHOOL,
        EducationStatus.ATTENDING,
        c["closing"],
        by=COORDINATOR,
    )
    service.reopen(case_id, c["reopening"], by=COORDINATOR)
    service.withdraw(case_id, c["withdrawal"], by=INTAKE)
    return case_id
