"""Assigning a case to a consultant, reassignment, and its refusals (domain.md)."""

from __future__ import annotations

import pytest

from domain.errors import (
    IllegalTransition,
)
from domain.values import (
    Category,
    Service,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    ALL_STATUSES,
    CONSULTANT_ID,
    KIND,
    OTHER_CONSULTANT_ID,
    assert_refused,
    case_in,
    last_event,
    later,
)
from tests.support.samples import (
    COORDINATOR,
)


def test_assigning_an_active_consultant_of_the_right_kind_assigns_the_case() -> None:
    case = case_in(Status.AWAITING_ASSIGNMENT)
    now = later(case)

    case.assign(CONSULTANT_ID, KIND, True, by=COORDINATOR, now=now)

    assert case.status == Status.ASSIGNED
    assert case.consultant_id == CONSULTANT_ID
    assert case.assignments == [{"consultant_id": CONSULTANT_ID, "on": local_date(now)}]
    assert case.timeline.assigned_on == local_date(now)
    event = last_event(case)
    assert type(event).__name__ == "Assigned"
    assert event.previous_consultant_id is None
    assert event.by == COORDINATOR


def test_onderwijszorg_case_is_assigned_to_an_onderwijszorgconsulent() -> None:
    case = case_in(
        Status.AWAITING_ASSIGNMENT,
        service=Service.ONDERWIJSZORGCONSULENT,
        category=Category.ONDERWIJSZORGARRANGEMENT,
    )

    case.assign(
        CONSULTANT_ID,
        Service.ONDERWIJSZORGCONSULENT,
        True,
        by=COORDINATOR,
        now=later(case),
    )

    assert case.status == Status.ASSIGNED


def test_assigning_an_inactive_consultant_is_refused() -> None:
    case = case_in(Status.AWAITING_ASSIGNMENT)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.assign(
            CONSULTANT_ID, KIND, False, by=COORDINATOR, now=later(case)
        ),
        rule="consultant-inactive",
    )


@pytest.mark.parametrize(
    ("case_service", "consultant_kind"),
    [
        (Service.ONDERWIJSCONSULENT, Service.ONDERWIJSZORGCONSULENT),
        (Service.ONDERWIJSZORGCONSULENT, Service.ONDERWIJSCONSULENT),
    ],
)
def test_assigning_a_consultant_of_the_other_kind_is_refused(
    case_service: Service, consultant_kind: Service
) -> None:
    case = case_in(Status.AWAITING_ASSIGNMENT, service=case_service)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.assign(
            CONSULTANT_ID, consultant_kind, True, by=COORDINATOR, now=later(case)
        ),
        rule="consultant-kind-mismatch",
    )


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_MEDIATION])
def test_assigning_the_same_consultant_again_is_refused(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.assign(CONSULTANT_ID, KIND, True, by=COORDINATOR, now=later(case)),
        rule="already-assigned",
    )


def test_reassignment_keeps_the_history_of_assignments() -> None:
    case = case_in(Status.ASSIGNED)
    first_on = case.assignments[0]["on"]
    now = later(case, days=2)

    case.assign(OTHER_CONSULTANT_ID, KIND, True, by=COORDINATOR, now=now)

    assert case.status == Status.ASSIGNED
    assert case.consultant_id == OTHER_CONSULTANT_ID
    assert case.assignments == [
        {"consultant_id": CONSULTANT_ID, "on": first_on},
        {"consultant_id": OTHER_CONSULTANT_ID, "on": local_date(now)},
    ]
    assert last_event(case).previous_consultant_id == CONSULTANT_ID
    # No contact yet: the first-contact clock restarts for the new consultant.
    assert case.timeline.assigned_on == local_date(now)


def test_reassignment_during_mediation_keeps_the_case_in_mediation() -> None:
    case = case_in(Status.IN_MEDIATION)
    assigned_on = case.timeline.assigned_on

    case.assign(
        OTHER_CONSULTANT_ID, KIND, True, by=COORDINATOR, now=later(case, days=3)
    )

    assert case.status == Status.IN_MEDIATION
    assert case.consultant_id == OTHER_CONSULTANT_ID
    assert len(case.assignments) == 2
    # The first contact was made: the first-contact clock is not restarted.
    assert case.timeline.assigned_on == assigned_on


@pytest.mark.parametrize(
    "status",
    [
        s
        for s in ALL_STATUSES
        if s not in (Status.AWAITING_ASSIGNMENT, Status.ASSIGNED, Status.IN_MEDIATION)
    ],
)
def test_assignment_is_refused_outside_the_queue_and_casework(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.assign(
            OTHER_CONSULTANT_ID, KIND, True, by=COORDINATOR, now=later(case)
        ),
        rule="illegal-transition",
    )
