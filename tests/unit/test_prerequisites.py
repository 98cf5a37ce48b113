"""A registered case's prerequisites: recording, waiving, when they are met."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain.errors import (
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
)
from domain.prerequisites import RULE_VERSION
from domain.registration import School
from domain.values import (
    SYSTEM_ACTOR,
    Actor,
    Personal,
    Role,
    Sector,
    Status,
    Step,
)
from tests.support.lifecycle import (
    ALL_STATUSES,
    CONSULTANT,
    REGISTERED_ON,
    assert_refused,
    case_in,
    event_types,
    last_event,
    later,
    meet_prerequisites,
    new_case,
)
from tests.support.samples import (
    AUDITOR,
    COORDINATOR,
    INTAKE,
)


def test_recording_the_school_conversation_alone_leaves_the_case_registered() -> None:
    case = new_case()

    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION,
        date(2026, 10, 20),
        "Gesprek met de directeur.",
        by=INTAKE,
        now=later(case),
    )

    assert case.status == Status.REGISTERED
    assert event_types(case) == ["Registered", "PrerequisiteRecorded"]
    assert case.prerequisites == {
        "school_conversation": {
            "kind": "recorded",
            "date": date(2026, 10, 20),
            "note": Personal("Gesprek met de directeur."),
        }
    }
    assert case.prerequisites_decision is None


def test_recording_every_required_step_meets_the_prerequisites() -> None:
    case = new_case()
    case.record_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        date(2026, 10, 21),
        None,
        by=INTAKE,
        now=later(case),
    )
    assert case.status == Status.REGISTERED

    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION,
        date(2026, 10, 20),
        None,
        by=COORDINATOR,
        now=later(case),
    )

    assert case.status == Status.AWAITING_INTAKE
    assert event_types(case) == [
        "Registered",
        "PrerequisiteRecorded",
        "PrerequisiteRecorded",
        "PrerequisitesMet",
    ]
    assert case.version == 4
    assert case.prerequisites["samenwerkingsverband_contact"]["date"] == date(
        2026, 10, 21
    )
    assert case.prerequisites["school_conversation"]["date"] == date(2026, 10, 20)


def test_prerequisites_met_event_carries_the_rule_version_and_its_inputs() -> None:
    case = new_case()
    meet_prerequisites(case)

    met = last_event(case)
    assert type(met).__name__ == "PrerequisitesMet"
    assert met.rule_version == RULE_VERSION
    assert met.by == INTAKE
    assert met.decision == {
        "rule_version": RULE_VERSION,
        "required": ["samenwerkingsverband_contact", "school_conversation"],
        "outstanding": [],
        "inputs": {
            "sector": "po",
            "school_cluster": None,
            "receives_education": True,
            "recorded": ["samenwerkingsverband_contact", "school_conversation"],
            "waived": [],
        },
    }
    assert case.prerequisites_decision == met.decision


@pytest.mark.parametrize(
    "changes",
    [
        {"sector": Sector.MBO, "samenwerkingsverband": None},
        {"sector": Sector.SO, "school": School("De Kring", None, 1)},
        {"sector": Sector.SO, "school": School("De Kring", None, 2)},
        {"receives_education": False},
    ],
    ids=["mbo", "cluster-1", "cluster-2", "no-education"],
)
def test_school_conversation_alone_meets_prerequisites_where_swv_contact_does_not_apply(
    changes: dict[str, Any],
) -> None:
    case = new_case(**changes)

    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(case)
    )

    assert case.status == Status.AWAITING_INTAKE
    assert case.prerequisites_decision is not None
    assert case.prerequisites_decision["required"] == ["school_conversation"]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"sector": Sector.SO, "school": School("De Brug", None, 3)},
        {
            "sector": Sector.VSO,
            "school": School("De Brug", None, 4),
            "samenwerkingsverband": "VO2708",
        },
        {"sector": Sector.VO, "samenwerkingsverband": "VO2708"},
    ],
    ids=["po", "cluster-3", "cluster-4", "vo"],
)
def test_school_conversation_alone_does_not_meet_prerequisites_where_swv_applies(
    changes: dict[str, Any],
) -> None:
    case = new_case(**changes)

    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(case)
    )

    assert case.status == Status.REGISTERED
    assert event_types(case) == ["Registered", "PrerequisiteRecorded"]


def test_samenwerkingsverband_contact_alone_never_meets_prerequisites() -> None:
    case = new_case(sector=Sector.MBO, samenwerkingsverband=None)

    case.record_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        REGISTERED_ON,
        None,
        by=INTAKE,
        now=later(case),
    )

    assert case.status == Status.REGISTERED


def test_coordinator_may_waive_a_step_with_a_reason() -> None:
    case = new_case()

    case.waive_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        "Samenwerkingsverband onbereikbaar.",
        by=COORDINATOR,
        now=later(case),
    )

    assert case.status == Status.REGISTERED
    assert case.prerequisites == {
        "samenwerkingsverband_contact": {
            "kind": "waived",
            "reason": Personal("Samenwerkingsverband onbereikbaar."),
            "waived_by": COORDINATOR.user_id,
        }
    }
    assert event_types(case) == ["Registered", "PrerequisiteWaived"]


def test_a_waived_step_counts_towards_meeting_the_prerequisites() -> None:
    case = new_case()
    case.waive_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        "Onbereikbaar.",
        by=COORDINATOR,
        now=later(case),
    )

    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(case)
    )

    assert case.status == Status.AWAITING_INTAKE
    met = last_event(case)
    assert met.decision["inputs"]["waived"] == ["samenwerkingsverband_contact"]
    assert met.decision["inputs"]["recorded"] == ["school_conversation"]


def test_waiving_the_last_outstanding_step_meets_the_prerequisites() -> None:
    case = new_case()
    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(case)
    )

    case.waive_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        "Onbereikbaar.",
        by=COORDINATOR,
        now=later(case),
    )

    assert case.status == Status.AWAITING_INTAKE
    assert event_types(case)[-2:] == ["PrerequisiteWaived", "PrerequisitesMet"]
    assert last_event(case).by == COORDINATOR


@pytest.mark.parametrize(
    "actor",
    [INTAKE, CONSULTANT, AUDITOR, Actor("admin-1", Role.ADMIN), SYSTEM_ACTOR],
    ids=lambda a: str(a.role),
)
def test_only_a_coordinator_may_waive_a_prerequisite(actor: Actor) -> None:
    case = new_case()

    assert_refused(
        case,
        NotPermitted,
        lambda: case.waive_prerequisite(
            Step.SAMENWERKINGSVERBAND_CONTACT,
            "Onbereikbaar.",
            by=actor,
            now=later(case),
        ),
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_waiving_a_prerequisite_without_a_reason_is_refused(blank: str) -> None:
    case = new_case()

    error = assert_refused(
        case,
        InvalidCaseData,
        lambda: case.waive_prerequisite(
            Step.SAMENWERKINGSVERBAND_CONTACT, blank, by=COORDINATOR, now=later(case)
        ),
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "reason"


def test_recording_a_prerequisite_dated_in_the_future_is_refused() -> None:
    case = new_case()

    error = assert_refused(
        case,
        InvalidCaseData,
        lambda: case.record_prerequisite(
            Step.SCHOOL_CONVERSATION,
            REGISTERED_ON + timedelta(days=1),
            None,
            by=INTAKE,
            now=later(case),
        ),
    )
    assert isinstance(error, InvalidCaseData)
    assert error.field == "date"


def test_recording_a_prerequisite_dated_before_registration_is_accepted() -> None:
    case = new_case()

    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, date(2026, 9, 1), None, by=INTAKE, now=later(case)
    )

    assert case.prerequisites["school_conversation"]["date"] == date(2026, 9, 1)


@pytest.mark.parametrize("blank", ["", "  "])
def test_recording_a_prerequisite_with_an_empty_note_is_refused(blank: str) -> None:
    case = new_case()

    assert_refused(
        case,
        InvalidCaseData,
        lambda: case.record_prerequisite(
            Step.SCHOOL_CONVERSATION, REGISTERED_ON, blank, by=INTAKE, now=later(case)
        ),
    )


@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != Status.REGISTERED])
def test_prerequisites_can_only_be_recorded_or_waived_while_registered(
    status: Status,
) -> None:
    case = case_in(status)

    assert_refused(
        case,
        IllegalTransition,
        lambda: case.record_prerequisite(
            Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(case)
        ),
    )
    assert_refused(
        case,
        IllegalTransition,
        lambda: case.waive_prerequisite(
            Step.SAMENWERKINGSVERBAND_CONTACT, "Reden.", by=COORDINATOR, now=later(case)
        ),
    )
