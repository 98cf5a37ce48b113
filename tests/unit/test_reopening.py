"""Reopening a closed case into the assignment queue, and its refusals (domain.md)."""

from __future__ import annotations

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
)
from domain.values import (
    Personal,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    ALL_STATUSES,
    CONSULTANT_ID,
    OTHER_CONSULTANT,
    OTHER_CONSULTANT_ID,
    assert_refused,
    assign,
    case_in,
    close,
    event_types,
    later,
    record_activity,
)
from tests.support.samples import (
    COORDINATOR,
)


def test_reopening_a_closed_case_returns_it_to_the_assignment_queue() -> None:
    case = case_in(Status.CLOSED)
    assignments = list(case.assignments)
    activities = list(case.activities)
    now = later(case, days=30)

    case.reopen("Plaatsing mislukt.", by=COORDINATOR, now=now)

    assert case.status == Status.AWAITING_ASSIGNMENT
    assert case.is_open
    assert case.consultant_id is None
    assert case.outcome is None
    assert case.reopenings == [
        {"on": local_date(now), "reason": Personal("Plaatsing mislukt.")}
    ]
    # One history: earlier assignments and activities stay on the case.
    assert case.assignments == assignments
    assert case.activities == activities
    assert case.timeline.ended_on is None
    assert case.timeline.assigned_on is None
    assert case.timeline.first_activity_on is None
    assert event_types(case)[-1] == "Reopened"


def test_a_reopened_case_may_go_back_to_the_same_consultant() -> None:
    case = case_in(Status.CLOSED)
    case.reopen("Plaatsing mislukt.", by=COORDINATOR, now=later(case))

    assign(case, CONSULTANT_ID)
    record_activity(case)

    assert case.status == Status.IN_MEDIATION
    assert [a["consultant_id"] for a in case.assignments] == [
        CONSULTANT_ID,
        CONSULTANT_ID,
    ]
    assert len(case.activities) == 2


def test_a_reopened_case_can_be_closed_again() -> None:
    case = case_in(Status.CLOSED)
    case.reopen("Plaatsing mislukt.", by=COORDINATOR, now=later(case))
    assign(case, OTHER_CONSULTANT_ID)

    close(case, by=OTHER_CONSULTANT)

    assert case.status == Status.CLOSED
    assert len(case.reopenings) == 1


@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != Status.CLOSED])
def test_only_a_closed_case_can_be_reopened(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.reopen("Opnieuw.", by=COORDINATOR, now=later(case)),
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_reopening_without_a_reason_is_refused(blank: str) -> None:
    case = case_in(Status.CLOSED)

    assert_refused(
        case,
        InvalidCaseData,
        lambda: case.reopen(blank, by=COORDINATOR, now=later(case)),
    )
