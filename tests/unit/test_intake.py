"""The intake decision: admissible, not admissible, referred; its refusals."""

from __future__ import annotations

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
)
from domain.values import (
    IntakeDecision,
    Personal,
    ReferredTo,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    ALL_STATUSES,
    assert_refused,
    case_in,
    last_event,
    later,
)
from tests.support.samples import (
    INTAKE,
)


def test_admissible_intake_puts_the_case_in_the_assignment_queue() -> None:
    case = case_in(Status.AWAITING_INTAKE)
    now = later(case)

    case.decide_intake(IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=now)

    assert case.status == Status.AWAITING_ASSIGNMENT
    assert case.is_open
    assert case.intake == {
        "decision": "admissible",
        "reason": Personal(None),
        "referred_to": None,
        "decided_on": local_date(now),
    }
    assert case.timeline.intake_decided_on == local_date(now)
    assert case.timeline.ended_on is None
    assert last_event(case).by == INTAKE


def test_admissible_intake_may_carry_a_reason() -> None:
    case = case_in(Status.AWAITING_INTAKE)

    case.decide_intake(
        IntakeDecision.ADMISSIBLE,
        "Duidelijk geschil.",
        None,
        by=INTAKE,
        now=later(case),
    )

    assert case.intake is not None
    assert case.intake["reason"] == Personal("Duidelijk geschil.")


def test_not_admissible_intake_ends_the_case_with_its_reason() -> None:
    case = case_in(Status.AWAITING_INTAKE)
    now = later(case)

    case.decide_intake(
        IntakeDecision.NOT_ADMISSIBLE, "Hoger onderwijs.", None, by=INTAKE, now=now
    )

    assert case.status == Status.NOT_ADMISSIBLE
    assert case.has_ended
    assert case.intake is not None
    assert case.intake["reason"] == Personal("Hoger onderwijs.")
    assert case.timeline.ended_on == local_date(now)


@pytest.mark.parametrize("referred_to", list(ReferredTo))
def test_referred_intake_ends_the_case_naming_where_it_went(
    referred_to: ReferredTo,
) -> None:
    case = case_in(Status.AWAITING_INTAKE)
    now = later(case)

    case.decide_intake(
        IntakeDecision.REFERRED, "Hoort elders.", referred_to, by=INTAKE, now=now
    )

    assert case.status == Status.REFERRED
    assert case.has_ended
    assert case.intake is not None
    assert case.intake["referred_to"] == str(referred_to)
    assert case.timeline.ended_on == local_date(now)


@pytest.mark.parametrize(
    ("decision", "referred_to"),
    [
        (IntakeDecision.NOT_ADMISSIBLE, None),
        (IntakeDecision.REFERRED, ReferredTo.LEERPLICHT),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_intake_that_ends_the_case_without_a_reason_is_refused(
    decision: IntakeDecision, referred_to: ReferredTo | None, reason: str | None
) -> None:
    case = case_in(Status.AWAITING_INTAKE)

    error = assert_refused(
        case,
        InvalidCaseData,
        lambda: case.decide_intake(
            decision, reason, referred_to, by=INTAKE, now=later(case)
        ),
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "reason"


def test_referral_without_saying_where_to_is_refused() -> None:
    case = case_in(Status.AWAITING_INTAKE)

    error = assert_refused(
        case,
        InvalidCaseData,
        lambda: case.decide_intake(
            IntakeDecision.REFERRED, "Hoort elders.", None, by=INTAKE, now=later(case)
        ),
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "referred_to"


@pytest.mark.parametrize(
    "decision", [IntakeDecision.ADMISSIBLE, IntakeDecision.NOT_ADMISSIBLE]
)
def test_naming_a_referral_target_without_referring_is_refused(
    decision: IntakeDecision,
) -> None:
    case = case_in(Status.AWAITING_INTAKE)

    error = assert_refused(
        case,
        InvalidCaseData,
        lambda: case.decide_intake(
            decision,
            "Reden.",
            ReferredTo.GESCHILLENCOMMISSIE,
            by=INTAKE,
            now=later(case),
        ),
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "referred_to"


@pytest.mark.parametrize(
    "status", [s for s in ALL_STATUSES if s != Status.AWAITING_INTAKE]
)
def test_intake_can_only_be_decided_once_prerequisites_are_met_and_only_once(
    status: Status,
) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.decide_intake(
            IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later(case)
        ),
    )
