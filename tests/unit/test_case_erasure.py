"""Erasing a case's personal data: what goes, what stays, when it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from domain.case import Case
from domain.errors import (
    IllegalTransition,
)
from domain.values import (
    ENDED_STATUSES,
    ERASED,
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    ErasureReason,
    Personal,
    Status,
)
from tests.support.lifecycle import (
    ALL_STATUSES,
    COMMANDS,
    REGISTERED_ON,
    assert_refused,
    case_in,
    fully_worked_case,
    last_event,
    later,
    state,
)
from tests.support.samples import (
    COORDINATOR,
    INTAKE,
)


def personal_values(value: Any) -> list[Personal]:
    """Every Personal value held anywhere in ``value`` (dicts, lists, tuples)."""
    if isinstance(value, Personal):
        return [value]
    if isinstance(value, dict):
        return [p for v in value.values() for p in personal_values(v)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in personal_values(v)]
    return []


def test_erasure_replaces_every_personal_value_with_erased() -> None:
    case = fully_worked_case()

    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )

    assert case.erased is True
    assert case.requester == ERASED
    assert case.pupil == ERASED
    assert case.account == ERASED
    assert case.prerequisites["school_conversation"]["note"] == ERASED
    assert case.prerequisites["samenwerkingsverband_contact"]["reason"] == ERASED
    assert case.intake is not None
    assert case.intake["reason"] == ERASED
    assert case.activities[0]["summary"] == ERASED
    assert case.activities[0]["parties"] == ERASED
    # A withdrawn case carries no suspension reason, so there is none to erase.
    assert case.suspension_reason is None
    assert case.withdrawal_reason == ERASED
    assert case.reopenings[0]["reason"] == ERASED
    assert case.requester.get("name") is None
    personal = personal_values(state(case))
    assert personal
    assert all(p == ERASED for p in personal)


def test_erasure_keeps_the_facts_that_are_not_personal() -> None:
    case = fully_worked_case()
    before = state(case)

    case.erase_personal_data(
        ErasureReason.RETENTION_EXPIRED, by=SYSTEM_ACTOR, now=later(case)
    )

    for field in (
        "reference",
        "status",
        "requester_role",
        "municipality",
        "pc4",
        "school_name",
        "brin",
        "cluster",
        "sector",
        "samenwerkingsverband",
        "region",
        "category",
        "service",
        "at_home_since",
        "receives_education",
        "consultant_id",
        "assignments",
        "timeline",
        "prerequisites_decision",
        "registered_by",
    ):
        assert getattr(case, field) == before[field], field
    assert case.status == Status.WITHDRAWN
    assert case.activities[0]["kind"] == "contact"
    assert case.activities[0]["date"] == before["activities"][0]["date"]
    assert case.prerequisites["school_conversation"]["date"] == REGISTERED_ON
    assert case.intake is not None
    assert case.intake["decision"] == "admissible"


def test_erasure_of_an_ended_case_erases_its_outcome_summary_and_withdrawal() -> None:
    closed = case_in(Status.CLOSED)
    closed.erase_personal_data(
        ErasureReason.RETENTION_EXPIRED, by=SYSTEM_ACTOR, now=later(closed)
    )
    withdrawn = case_in(Status.WITHDRAWN)
    withdrawn.erase_personal_data(
        ErasureReason.RETENTION_EXPIRED, by=SYSTEM_ACTOR, now=later(withdrawn)
    )

    assert closed.outcome is not None
    assert closed.outcome["summary"] == ERASED
    assert closed.outcome["outcome"] == "placed_at_school"
    assert closed.outcome["education_status"] == "attending"
    assert withdrawn.withdrawal_reason == ERASED


def test_erasure_event_holds_only_its_reason() -> None:
    case = case_in(Status.CLOSED)

    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )

    event = last_event(case)
    assert type(event).__name__ == "PersonalDataErased"
    assert event.reason == "data_subject_request"
    personal = [v for v in vars(event).values() if isinstance(v, Personal)]
    assert personal == []


def test_erasing_twice_is_refused() -> None:
    case = case_in(Status.CLOSED)
    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.erase_personal_data(
            ErasureReason.RETENTION_EXPIRED, by=SYSTEM_ACTOR, now=later(case)
        ),
        rule="already-erased",
    )


def ended_case_from(status: Status) -> Case:
    """A case that reached ``status``, then ended there or, if that status is
    open, by being withdrawn from it."""
    case = case_in(status)
    if case.is_open:
        case.withdraw("Ouders trekken de aanmelding in.", by=INTAKE, now=later(case))
    assert case.has_ended
    return case


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_no_command_is_accepted_once_the_personal_data_is_erased(
    command: str, status: Status
) -> None:
    case = ended_case_from(status)
    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )
    assert case.erased

    assert_refused(
        case,
        IllegalTransition,
        lambda: COMMANDS[command](case),
        rule="personal-data-erased",
    )


@pytest.mark.parametrize("status", sorted(ENDED_STATUSES))
def test_personal_data_can_be_erased_in_every_ended_status(status: Status) -> None:
    case = case_in(status)
    version = case.version

    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )

    assert case.erased
    assert case.status == status
    assert case.version == version + 1
    assert type(last_event(case)).__name__ == "PersonalDataErased"


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_erasing_the_personal_data_of_an_open_case_is_refused(status: Status) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.erase_personal_data(
            ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
        ),
        rule="case-still-open",
    )

    assert not case.erased
    assert case.status == status
