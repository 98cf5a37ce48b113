"""Hostile and careless input, in process on each store: a clear 4xx and nothing
changed, never a 500; the headers every answer carries. (Bodies bounded while
they are read, which needs a real server's connection, are in
tests/e2e/test_hardening.py.)"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.http_api import (
    CASES,
    CONSULTANTS,
    Api,
    assert_problem,
    registration,
)


@pytest.mark.parametrize(
    "tag", ['"²"', '"¹"', '"' + "9" * 5_000 + '"', '"3 "', '"-1"', '""']
)
def test_an_if_match_that_is_not_a_version_answers_412_and_records_nothing(
    api: Api, tag: str
) -> None:
    case = api.register()
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/withdrawal",
        json={"reason": "Ouders trekken in"},
        headers={"If-Match": tag.encode()},
    )

    assert_problem(response, 412)
    assert api.case(case["id"])["version"] == case["version"]


@pytest.mark.parametrize("key", [""])
def test_an_empty_idempotency_key_answers_422_and_records_nothing(
    api: Api, key: str
) -> None:
    refused = registration()
    response = api.client("intake").post(
        CASES, json=refused, headers={"Idempotency-Key": key}
    )

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    later = api.register()  # the list has seen everything up to here
    rows = api.listed(min_position=later["log_position"], q=refused["pupil"]["name"])
    assert rows == []


@pytest.mark.parametrize("as_of", ["0.5", "1767225600", "2026-11-02", "yesterday"])
def test_a_moment_that_is_not_rfc_3339_answers_422(api: Api, as_of: str) -> None:
    case = api.register()
    for path in (f"{CASES}/{case['id']}", "/api/v1/dashboard"):
        response = api.client("coordinator").get(path, params={"as_of": as_of})
        assert_problem(response, 422)


def test_a_dashboard_as_of_a_moment_says_its_deadlines_are_not_available(
    api: Api,
) -> None:
    now = api.client("coordinator").get("/api/v1/dashboard").json()
    then = api.client("coordinator").get(
        "/api/v1/dashboard", params={"as_of": "2026-11-02T12:00:00+01:00"}
    )

    assert then.status_code == 200
    figures = then.json()
    assert isinstance(now["deadlines"], dict)
    assert "not_available" not in now
    assert figures["deadlines"] is None
    assert figures["deadlines_to_watch"] is None
    assert set(figures["not_available"]) == {"deadlines", "deadlines_to_watch"}


def opaque_cursor(value: Any) -> str:
    """A cursor made the way the service makes one, from any JSON value."""
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "role", "value"),
    [
        (CASES, "coordinator", [1, "\u0000"]),
        (CASES, "coordinator", [1, "\ud800"]),
        (CASES, "coordinator", [2**70, "x"]),
        ("/api/v1/audit/trail", "auditor", [1, "c:" + "9" * 40]),
        ("/api/v1/audit/trail", "auditor", [1, "r:\u00b2"]),
        ("/api/v1/audit/trail", "auditor", [1, "c:\ud800"]),
    ],
)
def test_a_cursor_not_handed_out_answers_422(
    api: Api, path: str, role: str, value: Any
) -> None:
    case = api.register()
    response = api.client(role).get(
        path,
        params={"cursor": opaque_cursor(value), "min_position": case["log_position"]},
    )

    problem = assert_problem(response, 422)
    assert "\x00" not in problem["detail"]


def test_a_consultant_s_active_flag_must_be_a_json_boolean(api: Api) -> None:
    consultant = api.add_consultant()
    response = api.client("coordinator").patch(
        f"{CONSULTANTS}/{consultant.id}", json={"active": 0}
    )

    assert_problem(response, 422)
    shown = api.client("coordinator").get(f"{CONSULTANTS}/{consultant.id}").json()
    assert shown["active"] is True


def test_a_consultant_change_with_a_stale_if_match_answers_412_and_changes_nothing(
    api: Api,
) -> None:
    consultant = api.add_consultant()
    coordinator = api.client("coordinator")
    path = f"{CONSULTANTS}/{consultant.id}"
    tag = coordinator.get(path).headers["ETag"]
    assert coordinator.patch(path, json={"capacity": 20}, headers={"If-Match": tag})
    stale = coordinator.patch(path, json={"capacity": 10}, headers={"If-Match": tag})

    assert_problem(stale, 412)
    assert coordinator.get(path).json()["capacity"] == 20


def test_a_school_decision_in_year_one_answers_422(api: Api) -> None:
    response = api.client("intake").post(
        CASES, json=registration(school_decision_on="0001-01-01")
    )

    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "school_decision_on"


def test_an_erasure_with_a_stale_if_match_answers_412_and_erases_nothing(
    api: Api,
) -> None:
    case = api.case_in("withdrawn")
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/erasure",
        json={"reason": "data_subject_request"},
        headers={"If-Match": f'"{case["version"] - 1}"'},
    )

    assert_problem(response, 412)
    assert api.case(case["id"])["erased"] is False


def test_an_erased_case_read_at_an_old_version_says_it_is_erased(api: Api) -> None:
    case = api.case_in("withdrawn")
    api.command(case["id"], "erasure", {"reason": "data_subject_request"})

    old = api.client("coordinator").get(f"{CASES}/{case['id']}", params={"version": 1})

    assert old.status_code == 200, old.text
    assert old.json()["pupil"]["erased"] is True
    assert old.json()["erased"] is True


def test_a_405_names_every_method_the_path_takes(api: Api) -> None:
    response = api.client("coordinator").delete(CASES)

    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


def test_answers_are_not_cached_not_sniffed_and_carry_a_policy_without_inline_script(
    api: Api,
) -> None:
    case = api.register()
    for response in (
        api.client("coordinator").get(f"{CASES}/{case['id']}"),
        api.client("coordinator").get(f"{CASES}/not-a-uuid"),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
