"""Suspending and resuming a case: the status it returns to, its pauses."""

from __future__ import annotations

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
)
from domain.timeline import Pause
from domain.values import (
    Personal,
    Status,
)
from domain.zone import local_date
from tests.support.lifecycle import (
    ALL_STATUSES,
    CONSULTANT_ID,
    assert_refused,
    case_in,
    later,
)
from tests.support.samples import (
    COORDINATOR,
)


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_MEDIATION])
def test_suspension_and_resumption_return_the_case_to_the_status_it_left(
    status: Status,
) -> None:
    case = case_in(status)
    suspended_at = later(case, days=1)

    case.suspend("Rechtszaak loopt.", by=COORDINATOR, now=suspended_at)

    assert case.status == Status.SUSPENDED
    assert case.status_before_suspension == status
    assert case.suspension_reason == Personal("Rechtszaak loopt.")
    assert case.is_open

    resumed_at = later(case, days=10)
    case.resume("Uitspraak gedaan.", by=COORDINATOR, now=resumed_at)

    assert case.status == status
    assert case.status_before_suspension is None
    assert case.suspension_reason is None
    assert case.consultant_id == CONSULTANT_ID


def test_suspension_pauses_the_deadline_timeline_until_resumption() -> None:
    case = case_in(Status.ASSIGNED)
    suspended_at = later(case, days=1)

    case.suspend("Rechtszaak loopt.", by=COORDINATOR, now=suspended_at)

    assert case.timeline.pauses == (Pause(local_date(suspended_at)),)

    resumed_at = later(case, days=10)
    case.resume(None, by=COORDINATOR, now=resumed_at)

    assert case.timeline.pauses == (
        Pause(local_date(suspended_at), local_date(resumed_at)),
    )


def test_each_suspension_adds_its_own_pause() -> None:
    case = case_in(Status.IN_MEDIATION)
    for _ in range(2):
        case.suspend("Rechtszaak.", by=COORDINATOR, now=later(case, days=1))
        case.resume(None, by=COORDINATOR, now=later(case, days=3))

    assert len(case.timeline.pauses) == 2
    assert all(p.end is not None for p in case.timeline.pauses)
    assert case.status == Status.IN_MEDIATION


@pytest.mark.parametrize(
    "status",
    [s for s in ALL_STATUSES if s not in (Status.ASSIGNED, Status.IN_MEDIATION)],
)
def test_suspension_is_refused_unless_assigned_or_in_mediation(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.suspend("Rechtszaak.", by=COORDINATOR, now=later(case)),
    )


@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != Status.SUSPENDED])
def test_resumption_is_refused_unless_suspended(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.resume(None, by=COORDINATOR, now=later(case)),
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_suspension_without_a_reason_is_refused(blank: str) -> None:
    case = case_in(Status.ASSIGNED)

    assert_refused(
        case,
        InvalidCaseData,
        lambda: case.suspend(blank, by=COORDINATOR, now=later(case)),
    )


def test_resumption_with_an_empty_reason_is_refused() -> None:
    case = case_in(Status.SUSPENDED)

    assert_refused(
        case,
        InvalidCaseData,
        lambda: case.resume("  ", by=COORDINATOR, now=later(case)),
    )
