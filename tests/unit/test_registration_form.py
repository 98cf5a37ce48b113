"""The aanmelding form's reading: fields to the API's body, every error with its
Dutch message (schema and domain), and the postcode's suggestion."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import InvalidCaseData
from web.registration_form import (
    MESSAGES,
    check,
    domain_error,
    domain_errors,
    kept_key,
    message_of,
    new_key,
    suggestion,
)

TODAY = date(2026, 3, 2)


def typed(**changes: str) -> dict[str, str]:
    values = {
        "channel": "web",
        "requester_role": "parent",
        "requester_name": "Jan de Vries",
        "requester_email": "jan@example.nl",
        "consent_given": "yes",
        "pupil_name": "Sanne",
        "pupil_birth_date": "2015-03-14",
        "pupil_pc4": "1011",
        "sector": "po",
        "school_brin": "12ab",
        "samenwerkingsverband": "po2707",
        "region": "noord-holland",
        "category": "toelating",
        "service": "onderwijsconsulent",
        "receives_education": "no",
        "account": "School weigert toelating.",
    }
    values.update(changes)
    return values


def test_a_complete_form_reads_as_the_api_s_body() -> None:
    body = check(typed()).body

    assert body is not None
    registration = body.registration()
    assert registration.school.brin == "12AB"
    assert registration.samenwerkingsverband == "PO2707"
    assert registration.receives_education is False
    assert registration.requester.phone is None
    assert domain_errors(registration, TODAY) == {}


def test_every_schema_error_is_found_at_once() -> None:
    checked = check(typed(channel="", consent_given="", pupil_pc4="12", account=""))

    assert checked.body is None
    assert checked.errors == {
        "channel": "missing",
        "consent_given": "invalid",
        "pupil_pc4": "invalid",
        "account": "missing",
    }


def test_every_domain_rule_on_an_optional_value_is_found_at_once() -> None:
    body = check(
        typed(requester_email="geen", school_brin="X1", category="thuiszitter")
    ).body
    assert body is not None

    errors = domain_errors(body.registration(), TODAY)

    assert errors == {
        "requester_email": "invalid",
        "school_brin": "invalid",
        "at_home_since": "missing",
    }


@pytest.mark.parametrize(
    ("field", "reason", "kind"),
    [
        ("pupil.birth_date", "must lie in the past", "future"),
        ("pupil.birth_date", "gives a pupil older than 30", "too_old"),
        ("at_home_since", "lies before the birth date", "before_birth"),
        ("school_decision_on", "lies more than two years back", "too_old"),
        ("samenwerkingsverband", "PO2707 does not serve sector vo", "sector"),
        ("at_home_since", "is required for a thuiszitter", "missing"),
    ],
)
def test_a_domain_reason_has_its_own_message(
    field: str, reason: str, kind: str
) -> None:
    name, found = domain_error(InvalidCaseData(field, reason))

    assert found == kind
    assert (name, kind) in MESSAGES


def test_an_unknown_kind_falls_back_to_the_field_s_message() -> None:
    assert message_of("pupil_pc4", "whatever") == MESSAGES[("pupil_pc4", "invalid")]


@pytest.mark.parametrize(
    ("changes", "filled"),
    [
        ({}, {"samenwerkingsverband": "PO2707", "region": "noord-holland"}),
        (
            {"sector": "vo", "pupil_municipality": ""},
            {
                "samenwerkingsverband": "VO2708",
                "region": "noord-holland",
                "pupil_municipality": "Amsterdam",
            },
        ),
        ({"sector": ""}, {}),
        ({"pupil_pc4": "0000"}, {}),
        ({"pupil_pc4": ""}, {}),
    ],
)
def test_the_postcode_suggests_without_clearing_what_was_typed(
    changes: dict[str, Any], filled: dict[str, str]
) -> None:
    values = {**typed(pupil_municipality="Amsterdam"), **changes}

    found, hint = suggestion(values)

    assert found == filled
    assert hint.text


def test_the_idempotency_key_is_kept_only_when_it_is_one_of_ours() -> None:
    key = new_key()

    assert kept_key({"idempotency_key": key}) == key
    assert kept_key({"idempotency_key": "x"}) != "x"
    assert kept_key({}) != ""
