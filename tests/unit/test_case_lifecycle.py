"""Every transition of the Case aggregate, and every refusal (domain.md, api.md)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.case import Case, local_date
from domain.errors import (
    CaseError,
    DossierError,
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
)
from domain.permissions import ALLOWED, Command, check_permitted
from domain.prerequisites import RULE_VERSION
from domain.registration import OLDEST_PUPIL_AGE, Pupil, Requester, School
from domain.timeline import Pause
from domain.values import (
    ENDED_STATUSES,
    ERASED,
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    ActivityKind,
    Actor,
    Category,
    EducationStatus,
    ErasureReason,
    IntakeDecision,
    Outcome,
    Personal,
    ReferredTo,
    RequesterRole,
    Role,
    Sector,
    Service,
    Status,
    Step,
)
from tests.support.samples import (
    AUDITOR,
    COORDINATOR,
    INTAKE,
    consultant_actor,
    registration,
)

# Monday 2 November 2026, 10:00 in Amsterdam.
REGISTERED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REGISTERED_ON = date(2026, 11, 2)
REFERENCE = "OC-2026-00001"

CONSULTANT_ID = uuid4()
OTHER_CONSULTANT_ID = uuid4()
CONSULTANT = consultant_actor(CONSULTANT_ID)
OTHER_CONSULTANT = consultant_actor(OTHER_CONSULTANT_ID)
KIND = Service.ONDERWIJSCONSULENT

ALL_STATUSES = tuple(Status)


# --- helpers -------------------------------------------------------------------


def later(case: Case, **delta: float) -> datetime:
    """A moment after the case's last event (an hour on, unless told)."""
    return case.modified_on + timedelta(**(delta or {"hours": 1}))


def new_case(now: datetime = REGISTERED_AT, **changes: Any) -> Case:
    return Case.register(
        case_id=uuid4(),
        reference=REFERENCE,
        registration=registration(**changes),
        by=INTAKE,
        now=now,
    )


def meet_prerequisites(case: Case) -> None:
    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION,
        REGISTERED_ON,
        "Gesprek met de directeur.",
        by=INTAKE,
        now=later(case),
    )
    if case.status == Status.REGISTERED:
        case.record_prerequisite(
            Step.SAMENWERKINGSVERBAND_CONTACT,
            REGISTERED_ON,
            None,
            by=INTAKE,
            now=later(case),
        )


def admit(case: Case) -> None:
    case.decide_intake(
        IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later(case)
    )


def assign(case: Case, consultant_id: UUID = CONSULTANT_ID) -> None:
    case.assign(consultant_id, KIND, True, by=COORDINATOR, now=later(case))


def record_activity(
    case: Case, by: Actor = CONSULTANT, now: datetime | None = None, **changes: Any
) -> None:
    now = now or later(case)
    args: dict[str, Any] = {
        "kind": ActivityKind.CONTACT,
        "on": local_date(now),
        "summary": "Telefonisch contact met moeder.",
        "parties": ["moeder", "school"],
    }
    args.update(changes)
    case.record_activity(**args, by=by, now=now)


def close(case: Case, by: Actor = CONSULTANT) -> None:
    case.close(
        Outcome.PLACED_AT_SCHOOL,
        EducationStatus.ATTENDING,
        "Geplaatst op een andere school.",
        by=by,
        now=later(case),
    )


def case_in(status: Status, **changes: Any) -> Case:
    """A case brought to ``status`` by valid commands only."""
    case = new_case(**changes)
    if status == Status.REGISTERED:
        return case
    meet_prerequisites(case)
    if status == Status.AWAITING_INTAKE:
        return case
    if status == Status.NOT_ADMISSIBLE:
        case.decide_intake(
            IntakeDecision.NOT_ADMISSIBLE,
            "Geschil over het schooladvies.",
            None,
            by=INTAKE,
            now=later(case),
        )
        return case
    if status == Status.REFERRED:
        case.decide_intake(
            IntakeDecision.REFERRED,
            "Eerst naar het samenwerkingsverband.",
            ReferredTo.SAMENWERKINGSVERBAND,
            by=INTAKE,
            now=later(case),
        )
        return case
    admit(case)
    if status == Status.AWAITING_ASSIGNMENT:
        return case
    if status == Status.WITHDRAWN:
        case.withdraw("Ouders trekken de aanmelding in.", by=INTAKE, now=later(case))
        return case
    assign(case)
    if status == Status.ASSIGNED:
        return case
    record_activity(case)
    if status == Status.IN_MEDIATION:
        return case
    if status == Status.SUSPENDED:
        case.suspend("Rechtszaak loopt.", by=COORDINATOR, now=later(case))
        return case
    assert status == Status.CLOSED
    close(case)
    return case


def state(case: Case) -> dict[str, Any]:
    return copy.deepcopy(
        {k: v for k, v in vars(case).items() if k != "_pending_events"}
    )


def assert_refused(
    case: Case,
    error: type[DossierError],
    command: Callable[[], None],
    *,
    rule: str | None = None,
) -> DossierError:
    """The command raises ``error`` and leaves the case exactly as it was."""
    version = case.version
    pending = len(case.pending_events)
    before = state(case)
    with pytest.raises(error) as info:
        command()
    assert case.version == version
    assert len(case.pending_events) == pending
    assert state(case) == before
    if rule is not None:
        assert info.value.rule == rule
    return info.value


def last_event(case: Case) -> Any:
    return case.pending_events[-1]


def event_types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.pending_events]


# --- registration ----------------------------------------------------------------


def test_registering_a_case_records_one_event_and_starts_in_registered() -> None:
    case_id = uuid4()
    case = Case.register(
        case_id=case_id,
        reference=REFERENCE,
        registration=registration(),
        by=INTAKE,
        now=REGISTERED_AT,
    )

    assert case.id == case_id
    assert case.version == 1
    assert event_types(case) == ["Registered"]
    assert case.pending_events[0].by == INTAKE
    assert case.reference == REFERENCE
    assert case.status == Status.REGISTERED
    assert case.is_open
    assert not case.has_ended
    assert case.registered_by == INTAKE.user_id
    assert case.consultant_id is None
    assert case.prerequisites == {}
    assert case.intake is None
    assert case.erased is False


def test_registration_keeps_names_contacts_and_account_as_personal() -> None:
    case = new_case()

    assert case.requester == Personal(
        {"name": "Jan de Vries", "email": "jan@example.nl", "phone": "0612345678"}
    )
    assert case.pupil == Personal(
        {"name": "Sanne de Vries", "birth_date": "2015-03-14"}
    )
    assert case.account == Personal("School weigert toelating na verhuizing.")
    assert case.requester_role == "parent"
    assert case.municipality == "Amsterdam"
    assert case.pc4 == "1011"
    assert case.school_name == "Basisschool De Regenboog"
    assert case.brin == "12AB"
    assert case.sector == "po"
    assert case.samenwerkingsverband == "PO2707"
    assert case.region == "noord-holland"
    assert case.category == "toelating"
    assert case.service == "onderwijsconsulent"
    assert case.receives_education is True


def test_registration_day_is_the_calendar_day_in_amsterdam() -> None:
    # 23:30 UTC on 2 November is already 3 November in Amsterdam.
    case = new_case(now=datetime(2026, 11, 2, 23, 30, tzinfo=UTC))

    assert case.timeline.registered_on == date(2026, 11, 3)


def test_registration_timeline_has_at_home_and_school_decision_dates() -> None:
    case = new_case(
        category=Category.THUISZITTER,
        at_home_since=date(2026, 9, 1),
        school_decision_on=date(2026, 10, 1),
    )

    assert case.timeline.registered_on == REGISTERED_ON
    assert case.timeline.at_home_since == date(2026, 9, 1)
    assert case.timeline.school_decision_on == date(2026, 10, 1)
    assert case.timeline.pauses == ()


def assert_registration_refused(field: str, **changes: Any) -> None:
    with pytest.raises(InvalidCaseData) as info:
        new_case(**changes)
    assert info.value.field == field
    assert info.value.rule == "invalid-data"


def test_registration_without_consent_is_refused() -> None:
    assert_registration_refused("consent_given", consent_given=False)


@pytest.mark.parametrize(
    "birth_date",
    [REGISTERED_ON, REGISTERED_ON + timedelta(days=1)],
    ids=["today", "tomorrow"],
)
def test_registration_with_a_birth_date_not_in_the_past_is_refused(
    birth_date: date,
) -> None:
    assert_registration_refused(
        "pupil.birth_date", pupil=Pupil("Sanne", birth_date, "Amsterdam", "1011")
    )


def test_registration_of_a_pupil_older_than_the_oldest_pupil_age_is_refused() -> None:
    too_old = date(REGISTERED_ON.year - OLDEST_PUPIL_AGE - 1, 1, 1)
    assert_registration_refused(
        "pupil.birth_date", pupil=Pupil("Sanne", too_old, "Amsterdam", "1011")
    )


def test_registration_of_a_young_adult_mbo_student_is_accepted() -> None:
    case = new_case(
        pupil=Pupil("Sanne", date(2004, 1, 1), "Amsterdam", "1011"),
        sector=Sector.MBO,
        samenwerkingsverband=None,
    )

    assert case.status == Status.REGISTERED


@pytest.mark.parametrize("pc4", ["101", "10111", "0123", "10AB", "1000"])
def test_registration_with_a_postcode_area_that_is_not_dutch_is_refused(
    pc4: str,
) -> None:
    assert_registration_refused(
        "pupil.pc4", pupil=Pupil("Sanne", date(2015, 3, 14), "Amsterdam", pc4)
    )


def test_registration_without_a_postcode_area_is_accepted() -> None:
    case = new_case(pupil=Pupil("Sanne", date(2015, 3, 14), None, None))

    assert case.pc4 is None
    assert case.municipality is None


@pytest.mark.parametrize("brin", ["12ab", "1AB2", "12ABC", "AB12", "12AB3", ""])
def test_registration_with_a_malformed_brin_code_is_refused(brin: str) -> None:
    assert_registration_refused("school.brin", school=School("De Regenboog", brin))


@pytest.mark.parametrize("brin", ["12AB", "12AB01", None])
def test_registration_with_a_brin_code_with_or_without_location_is_accepted(
    brin: str | None,
) -> None:
    assert new_case(school=School("De Regenboog", brin)).brin == brin


@pytest.mark.parametrize("cluster", [0, 5, -1])
def test_registration_with_a_cluster_outside_one_to_four_is_refused(
    cluster: int,
) -> None:
    assert_registration_refused(
        "school.cluster",
        school=School("De Brug", None, cluster),
        sector=Sector.SO,
    )


@pytest.mark.parametrize("cluster", [1, 2, 3, 4])
def test_registration_with_a_cluster_from_one_to_four_is_accepted(
    cluster: int,
) -> None:
    case = new_case(school=School("De Brug", None, cluster), sector=Sector.SO)

    assert case.cluster == cluster


@pytest.mark.parametrize("code", ["PO9999", "XX2707", "po2707", "PO27", ""])
def test_registration_with_an_unknown_samenwerkingsverband_code_is_refused(
    code: str,
) -> None:
    assert_registration_refused("samenwerkingsverband", samenwerkingsverband=code)


@pytest.mark.parametrize(
    ("sector", "code"),
    [
        (Sector.PO, "VO2708"),
        (Sector.SBO, "VO2708"),
        (Sector.VO, "PO2707"),
    ],
)
def test_registration_with_a_samenwerkingsverband_of_the_wrong_sector_is_refused(
    sector: Sector, code: str
) -> None:
    assert_registration_refused(
        "samenwerkingsverband", sector=sector, samenwerkingsverband=code
    )


@pytest.mark.parametrize(
    ("sector", "code"),
    [
        (Sector.PO, "PO2707"),
        (Sector.SBO, "PO2707"),
        (Sector.VO, "VO2708"),
        (Sector.SO, "PO2707"),
        (Sector.SO, "VO2708"),
        (Sector.VSO, "VO2708"),
        (Sector.PO, None),
    ],
)
def test_registration_with_a_samenwerkingsverband_fitting_the_sector_is_accepted(
    sector: Sector, code: str | None
) -> None:
    case = new_case(sector=sector, samenwerkingsverband=code)

    assert case.samenwerkingsverband == code


def test_registration_of_a_thuiszitter_without_an_at_home_date_is_refused() -> None:
    assert_registration_refused(
        "at_home_since", category=Category.THUISZITTER, at_home_since=None
    )


def test_registration_with_an_at_home_date_in_the_future_is_refused() -> None:
    assert_registration_refused(
        "at_home_since",
        category=Category.THUISZITTER,
        at_home_since=REGISTERED_ON + timedelta(days=1),
    )


def test_registration_with_an_at_home_date_before_the_birth_date_is_refused() -> None:
    assert_registration_refused(
        "at_home_since",
        category=Category.THUISZITTER,
        at_home_since=date(2015, 3, 13),
    )


def test_registration_of_a_thuiszitter_at_home_since_today_is_accepted() -> None:
    case = new_case(category=Category.THUISZITTER, at_home_since=REGISTERED_ON)

    assert case.at_home_since == REGISTERED_ON


def test_registration_with_a_school_decision_in_the_future_is_refused() -> None:
    assert_registration_refused(
        "school_decision_on", school_decision_on=REGISTERED_ON + timedelta(days=1)
    )


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_registration_with_an_empty_requester_name_is_refused(blank: str) -> None:
    assert_registration_refused(
        "requester.name", requester=Requester(RequesterRole.PARENT, blank)
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_registration_with_an_empty_pupil_name_is_refused(blank: str) -> None:
    assert_registration_refused(
        "pupil.name", pupil=Pupil(blank, date(2015, 3, 14), "Amsterdam", "1011")
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_registration_with_an_empty_account_is_refused(blank: str) -> None:
    assert_registration_refused("account", account=blank)


def test_registration_with_an_overlong_account_is_refused() -> None:
    assert_registration_refused("account", account="x" * 10_001)


def test_registration_with_an_overlong_requester_name_is_refused() -> None:
    assert_registration_refused(
        "requester.name", requester=Requester(RequesterRole.PARENT, "x" * 201)
    )


@pytest.mark.parametrize("email", ["jan", "jan@example", "jan @example.nl", ""])
def test_registration_with_an_invalid_requester_email_is_refused(email: str) -> None:
    assert_registration_refused(
        "requester.email",
        requester=Requester(RequesterRole.PARENT, "Jan", email=email),
    )


@pytest.mark.parametrize("phone", ["12345", "06-abc-1234", "0612345678901234567890"])
def test_registration_with_an_invalid_requester_phone_is_refused(phone: str) -> None:
    assert_registration_refused(
        "requester.phone",
        requester=Requester(RequesterRole.PARENT, "Jan", phone=phone),
    )


def test_registration_without_requester_contact_details_is_accepted() -> None:
    case = new_case(requester=Requester(RequesterRole.PARENT, "Jan"))

    assert case.requester == Personal({"name": "Jan", "email": None, "phone": None})


# --- prerequisites ----------------------------------------------------------------


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


# --- intake ---------------------------------------------------------------------


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


# --- assignment --------------------------------------------------------------------


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


# --- activities -------------------------------------------------------------------


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


# --- suspension and resumption -------------------------------------------------------


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


# --- closing ---------------------------------------------------------------------


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


# --- withdrawal ------------------------------------------------------------------


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


# --- reopening -------------------------------------------------------------------


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


# --- erasure ---------------------------------------------------------------------


def fully_worked_case() -> Case:
    """An ended case with personal data in every place an ended case keeps it.

    Only an ended case may be erased. It is withdrawn while suspended, so it
    keeps no suspension reason; it was reopened, so it keeps no outcome (see
    the test of ended cases' outcome summary and withdrawal reason below)."""
    case = new_case()
    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, "Notitie.", by=INTAKE, now=later(case)
    )
    case.waive_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        "Onbereikbaar.",
        by=COORDINATOR,
        now=later(case),
    )
    case.decide_intake(
        IntakeDecision.ADMISSIBLE, "Ontvankelijk.", None, by=INTAKE, now=later(case)
    )
    assign(case)
    record_activity(case)
    case.suspend("Rechtszaak.", by=COORDINATOR, now=later(case))
    case.resume("Uitspraak.", by=COORDINATOR, now=later(case))
    close(case)
    case.reopen("Mislukt.", by=COORDINATOR, now=later(case))
    assign(case)
    case.suspend("Weer een rechtszaak.", by=COORDINATOR, now=later(case))
    case.withdraw("Ouders trekken de aanmelding in.", by=INTAKE, now=later(case))
    assert case.has_ended
    return case


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


COMMANDS: dict[str, Callable[[Case], None]] = {
    "record_prerequisite": lambda c: c.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(c)
    ),
    "waive_prerequisite": lambda c: c.waive_prerequisite(
        Step.SCHOOL_CONVERSATION, "Reden.", by=COORDINATOR, now=later(c)
    ),
    "decide_intake": lambda c: c.decide_intake(
        IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later(c)
    ),
    "assign": lambda c: c.assign(
        OTHER_CONSULTANT_ID, KIND, True, by=COORDINATOR, now=later(c)
    ),
    "record_activity": lambda c: record_activity(c, by=COORDINATOR),
    "suspend": lambda c: c.suspend("Reden.", by=COORDINATOR, now=later(c)),
    "resume": lambda c: c.resume(None, by=COORDINATOR, now=later(c)),
    "close": lambda c: close(c, by=COORDINATOR),
    "withdraw": lambda c: c.withdraw("Reden.", by=INTAKE, now=later(c)),
    "reopen": lambda c: c.reopen("Reden.", by=COORDINATOR, now=later(c)),
}

# Which status each command is allowed in (api.md, "Statuses").
ALLOWED_IN: dict[str, frozenset[Status]] = {
    "record_prerequisite": frozenset({Status.REGISTERED}),
    "waive_prerequisite": frozenset({Status.REGISTERED}),
    "decide_intake": frozenset({Status.AWAITING_INTAKE}),
    "assign": frozenset(
        {Status.AWAITING_ASSIGNMENT, Status.ASSIGNED, Status.IN_MEDIATION}
    ),
    "record_activity": frozenset({Status.ASSIGNED, Status.IN_MEDIATION}),
    "suspend": frozenset({Status.ASSIGNED, Status.IN_MEDIATION}),
    "resume": frozenset({Status.SUSPENDED}),
    "close": frozenset({Status.ASSIGNED, Status.IN_MEDIATION}),
    "withdraw": OPEN_STATUSES,
    "reopen": frozenset({Status.CLOSED}),
}


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


# --- the whole state machine ---------------------------------------------------


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_command_is_accepted_exactly_in_the_statuses_that_allow_it(
    command: str, status: Status
) -> None:
    case = case_in(status)
    if status in ALLOWED_IN[command]:
        version = case.version
        COMMANDS[command](case)
        assert case.version > version
    else:
        error = assert_refused(case, IllegalTransition, lambda: COMMANDS[command](case))
        assert isinstance(error, CaseError)
        assert error.rule == "illegal-transition"


def test_ended_statuses_are_closed_not_admissible_referred_withdrawn() -> None:
    assert (
        frozenset(
            {Status.CLOSED, Status.NOT_ADMISSIBLE, Status.REFERRED, Status.WITHDRAWN}
        )
        == ENDED_STATUSES
    )
    assert frozenset(Status) == OPEN_STATUSES | ENDED_STATUSES
    assert not OPEN_STATUSES & ENDED_STATUSES


def test_replaying_a_case_s_events_rebuilds_the_same_case() -> None:
    case = fully_worked_case()
    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )
    events = case.collect_events()

    replayed: Any = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed == case
    assert replayed.version == len(events)


# --- who may give which command (permissions.py, api.md "Resources") ------------------

WHO_MAY: dict[Command, frozenset[Role]] = {
    Command.REGISTER: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.RECORD_PREREQUISITE: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.WAIVE_PREREQUISITE: frozenset({Role.COORDINATOR}),
    Command.DECIDE_INTAKE: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.ASSIGN: frozenset({Role.COORDINATOR}),
    Command.RECORD_ACTIVITY: frozenset({Role.CONSULTANT, Role.COORDINATOR}),
    Command.SUSPEND: frozenset({Role.COORDINATOR}),
    Command.RESUME: frozenset({Role.COORDINATOR}),
    Command.CLOSE: frozenset({Role.CONSULTANT, Role.COORDINATOR}),
    Command.WITHDRAW: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.REOPEN: frozenset({Role.COORDINATOR}),
    Command.ERASE_PERSONAL_DATA: frozenset({Role.COORDINATOR, Role.SYSTEM}),
    Command.MANAGE_CONSULTANTS: frozenset({Role.COORDINATOR, Role.ADMIN}),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", list(Command))
def test_each_role_may_give_exactly_the_commands_api_md_grants_it(
    command: Command, role: Role
) -> None:
    actor = Actor(f"{role}-1", role)
    if role in WHO_MAY[command]:
        check_permitted(actor, command)
    else:
        with pytest.raises(NotPermitted):
            check_permitted(actor, command)


def test_the_permission_table_grants_what_api_md_grants() -> None:
    assert ALLOWED == WHO_MAY


@pytest.mark.parametrize("command", list(Command))
def test_an_auditor_never_changes_anything(command: Command) -> None:
    with pytest.raises(NotPermitted):
        check_permitted(AUDITOR, command)
