"""Recording activities on a case: who may, when, and what moves it into mediation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
)
from domain.values import (
    ActivityKind,
    Personal,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    ALL_STATUSES,
    CONSULTANT,
    CONSULTANT_ID,
    OTHER_CONSULTANT,
    OTHER_CONSULTANT_ID,
    REGISTERED_ON,
    assert_refused,
    assign,
    case_in,
    last_event,
    later,
    record_activity,
)
from tests.support.samples import (
    COORDINATOR,
)


def test_the_first_activity_moves_the_case_into_mediation() -> None:
    case = case_in(Status.ASSIGNED)
    on = local_date(later(case))

    case.record_activity(
        ActivityKind.MEETING,
        on,
        "Gesprek met school en ouders.",
        ["school", "ouders"],
        by=CONSULTANT,
        now=later(case),
    )

    assert case.status == Status.IN_MEDIATION
    assert case.activities == [
        {
            "kind": "meeting",
            "date": on,
            "summary": Personal("Gesprek met school en ouders."),
            "parties": Personal(["school", "ouders"]),
            "consultant_id": CONSULTANT_ID,
        }
    ]
    assert case.timeline.first_activity_on == on
    assert last_event(case).by == CONSULTANT


@pytest.mark.parametrize("kind", list(ActivityKind))
def test_further_activities_of_any_kind_keep_the_case_in_mediation(
    kind: ActivityKind,
) -> None:
    case = case_in(Status.IN_MEDIATION)
    first_on = case.timeline.first_activity_on

    record_activity(case, kind=kind, now=later(case, days=5))

    assert case.status == Status.IN_MEDIATION
    assert len(case.activities) == 2
    assert case.activities[-1]["kind"] == str(kind)
    assert case.timeline.first_activity_on == first_on


def test_coordinator_may_record_an_activity_on_any_case() -> None:
    case = case_in(Status.ASSIGNED)

    record_activity(case, by=COORDINATOR)

    assert case.status == Status.IN_MEDIATION
    assert case.activities[0]["consultant_id"] == CONSULTANT_ID


def test_activity_without_parties_is_accepted() -> None:
    case = case_in(Status.ASSIGNED)

    record_activity(case, parties=[])

    assert case.activities[0]["parties"] == Personal([])


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_MEDIATION])
def test_consultant_cannot_record_activity_on_case_not_assigned_to_them(
    status: Status,
) -> None:
    case = case_in(status)

    assert_refused(
        case,
        NotPermitted,
        lambda: record_activity(case, by=OTHER_CONSULTANT),
        rule="not-assigned-consultant",
    )


def test_previous_consultant_cannot_record_activity_after_reassignment() -> None:
    case = case_in(Status.IN_MEDIATION)
    assign(case, OTHER_CONSULTANT_ID)

    assert_refused(
        case,
        NotPermitted,
        lambda: record_activity(case, by=CONSULTANT),
        rule="not-assigned-consultant",
    )
    record_activity(case, by=OTHER_CONSULTANT)
    assert case.activities[-1]["consultant_id"] == OTHER_CONSULTANT_ID


def test_activity_dated_in_the_future_is_refused() -> None:
    case = case_in(Status.ASSIGNED)
    tomorrow = local_date(later(case)) + timedelta(days=1)

    error = assert_refused(
        case, InvalidCaseData, lambda: record_activity(case, on=tomorrow)
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "date"


def test_activity_dated_before_registration_is_refused() -> None:
    case = case_in(Status.ASSIGNED)

    error = assert_refused(
        case,
        InvalidCaseData,
        lambda: record_activity(case, on=REGISTERED_ON - timedelta(days=1)),
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "date"


def test_activity_dated_on_the_registration_day_is_accepted() -> None:
    case = case_in(Status.ASSIGNED)

    record_activity(case, on=REGISTERED_ON)

    assert case.timeline.first_activity_on == REGISTERED_ON


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("summary", {"summary": ""}),
        ("summary", {"summary": "  "}),
        ("summary", {"summary": "x" * 10_001}),
        ("parties", {"parties": ["school", ""]}),
        ("parties", {"parties": ["x" * 201]}),
    ],
)
def test_activity_with_empty_or_overlong_text_is_refused(
    field: str, changes: dict[str, Any]
) -> None:
    case = case_in(Status.ASSIGNED)

    error = assert_refused(
        case, InvalidCaseData, lambda: record_activity(case, **changes)
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == field


@pytest.mark.parametrize(
    "status",
    [s for s in ALL_STATUSES if s not in (Status.ASSIGNED, Status.IN_MEDIATION)],
)
def test_activities_are_refused_unless_the_case_is_assigned_or_in_mediation(
    status: Status,
) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: record_activity(case, by=COORDINATOR),
        rule="illegal-transition",
    )
