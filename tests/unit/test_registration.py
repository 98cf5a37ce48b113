"""Registering a case: what it records, and every registration it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.case import Case
from domain.errors import (
    InvalidCaseData,
)
from domain.registration import OLDEST_PUPIL_AGE, Pupil, Requester, School
from domain.values import (
    Category,
    Personal,
    RequesterRole,
    Sector,
    Status,
)
from tests.support.lifecycle import (
    REFERENCE,
    REGISTERED_AT,
    REGISTERED_ON,
    event_types,
    new_case,
)
from tests.support.samples import (
    INTAKE,
    registration,
)


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
