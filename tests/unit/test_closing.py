"""Closing a case with its outcome: who may, when, and its refusals (domain.md)."""

from __future__ import annotations

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
)
from domain.values import (
    EducationStatus,
    Outcome,
    Personal,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    ALL_STATUSES,
    CONSULTANT,
    CONSULTANT_ID,
    OTHER_CONSULTANT,
    assert_refused,
    case_in,
    close,
    last_event,
    later,
)
from tests.support.samples import (
    COORDINATOR,
)


def test_assigned_consultant_closes_case_with_outcome_and_education_status() -> None:
    case = case_in(Status.IN_MEDIATION)
    now = later(case, days=20)

    case.close(
        Outcome.SUPPORT_ARRANGED,
        EducationStatus.PARTIALLY_ATTENDING,
        "Extra ondersteuning afgesproken.",
        by=CONSULTANT,
        now=now,
    )

    assert case.status == Status.CLOSED
    assert case.has_ended
    assert case.outcome == {
        "outcome": "support_arranged",
        "education_status": "partially_attending",
        "summary": Personal("Extra ondersteuning afgesproken."),
        "closed_on": local_date(now),
    }
    assert case.timeline.ended_on == local_date(now)
    # The closed case still says who handled it.
    assert case.consultant_id == CONSULTANT_ID


def test_coordinator_may_close_an_assigned_case_before_any_activity() -> None:
    case = case_in(Status.ASSIGNED)

    close(case, by=COORDINATOR)

    assert case.status == Status.CLOSED
    assert last_event(case).by == COORDINATOR


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_MEDIATION])
def test_consultant_cannot_close_a_case_not_assigned_to_them(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        NotPermitted,
        lambda: close(case, by=OTHER_CONSULTANT),
        rule="not-assigned-consultant",
    )


@pytest.mark.parametrize(
    "status",
    [s for s in ALL_STATUSES if s not in (Status.ASSIGNED, Status.IN_MEDIATION)],
)
def test_closing_is_refused_unless_assigned_or_in_mediation(status: Status) -> None:
    case = case_in(status)

    assert_refused(case, IllegalTransition, lambda: close(case, by=COORDINATOR))


def test_closing_twice_is_refused() -> None:
    case = case_in(Status.IN_MEDIATION)
    close(case)

    assert_refused(case, IllegalTransition, lambda: close(case))


@pytest.mark.parametrize("summary", ["", "   ", "x" * 10_001])
def test_closing_without_a_proper_summary_is_refused(summary: str) -> None:
    case = case_in(Status.IN_MEDIATION)

    assert_refused(
        case,
        InvalidCaseData,
        lambda: case.close(
            Outcome.NO_SOLUTION,
            EducationStatus.AT_HOME,
            summary,
            by=CONSULTANT,
            now=later(case),
        ),
    )
