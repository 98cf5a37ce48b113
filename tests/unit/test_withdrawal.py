"""Withdrawing a case from every open status, and its refusals (domain.md)."""

from __future__ import annotations

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
)
from domain.values import (
    ENDED_STATUSES,
    OPEN_STATUSES,
    Personal,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    CONSULTANT_ID,
    assert_refused,
    case_in,
    event_types,
    later,
)
from tests.support.samples import (
    COORDINATOR,
    INTAKE,
)


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_a_case_can_be_withdrawn_from_every_open_status(status: Status) -> None:
    case = case_in(status)
    consultant_before = case.consultant_id
    now = later(case)

    case.withdraw("Ouders trekken de aanmelding in.", by=INTAKE, now=now)

    assert case.status == Status.WITHDRAWN
    assert case.has_ended
    assert case.withdrawal_reason == Personal("Ouders trekken de aanmelding in.")
    assert case.timeline.ended_on == local_date(now)
    assert case.status_before_suspension is None
    assert case.suspension_reason is None
    assert case.consultant_id == consultant_before


def test_withdrawing_a_suspended_case_ends_its_pause() -> None:
    case = case_in(Status.SUSPENDED)
    now = later(case, days=4)

    case.withdraw("Ingetrokken.", by=COORDINATOR, now=now)

    assert case.timeline.pauses[-1].end == local_date(now)


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_MEDIATION])
def test_withdrawing_a_suspended_case_leaves_no_suspension_reason(
    status: Status,
) -> None:
    case = case_in(status)
    case.suspend("Rechtszaak loopt.", by=COORDINATOR, now=later(case))
    assert case.suspension_reason == Personal("Rechtszaak loopt.")

    case.withdraw("Ingetrokken.", by=COORDINATOR, now=later(case))

    assert case.status == Status.WITHDRAWN
    assert case.suspension_reason is None
    assert case.status_before_suspension is None
    assert case.withdrawal_reason == Personal("Ingetrokken.")
    assert case.consultant_id == CONSULTANT_ID
    assert event_types(case)[-2:] == ["Suspended", "Withdrawn"]


@pytest.mark.parametrize("status", sorted(ENDED_STATUSES))
def test_an_ended_case_cannot_be_withdrawn(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.withdraw("Ingetrokken.", by=INTAKE, now=later(case)),
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_withdrawal_without_a_reason_is_refused(blank: str) -> None:
    case = case_in(Status.AWAITING_ASSIGNMENT)

    assert_refused(
        case,
        InvalidCaseData,
        lambda: case.withdraw(blank, by=INTAKE, now=later(case)),
    )
