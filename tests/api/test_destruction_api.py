"""Legal hold and destruction lists over HTTP: the roles of every route (403 for
the others), a hold that refuses erasure as problem+json until lifted."""

from __future__ import annotations

import uuid

import pytest

from domain.values import Role
from tests.support.http_api import Api, assert_problem

RECORDS, PRIVACY = "record-manager", "privacy-officer"
STAFF = ("intake", "coordinator", "auditor", "admin")


@pytest.fixture(scope="module")
def officers(api: Api) -> Api:
    for name, role in ((RECORDS, Role.RECORD_MANAGER), (PRIVACY, Role.PRIVACY_OFFICER)):
        if name not in api.server.tokens:
            api.server.tokens[name] = api.server.add_user(name, role)
    return api


LIST_ROUTES = [
    ("POST", "/api/v1/destruction-lists", {RECORDS}),
    ("POST", "/api/v1/destruction-lists/{id}/review", {RECORDS}),
    ("POST", "/api/v1/destruction-lists/{id}/approval", {PRIVACY}),
    ("POST", "/api/v1/destruction-lists/{id}/run", {RECORDS, PRIVACY}),
    ("GET", "/api/v1/destruction-lists", {RECORDS, PRIVACY, "auditor"}),
    ("GET", "/api/v1/destruction-lists/{id}", {RECORDS, PRIVACY, "auditor"}),
]


@pytest.mark.parametrize("who", [*STAFF, RECORDS, PRIVACY])
@pytest.mark.parametrize(("method", "path", "allowed"), LIST_ROUTES)
def test_each_destruction_route_refuses_the_roles_it_does_not_name(
    officers: Api, method: str, path: str, allowed: set[str], who: str
) -> None:
    url = path.format(id=uuid.uuid4())
    response = officers.client(who).request(method, url)
    if who in allowed:
        # Past the guard: an unknown list (404) or, to propose, nothing due (409).
        assert response.status_code in (200, 404, 409), response.text
        if response.status_code != 200:
            problem = assert_problem(response, response.status_code)
            assert problem["type"].endswith(
                ("destruction-list-not-found", "nothing-due")
            )
    else:
        assert_problem(response, 403)


def test_a_legal_hold_refuses_erasure_until_it_is_lifted(officers: Api) -> None:
    case = officers.case_in("withdrawn")
    cid = case["id"]
    for who in ("intake", "auditor", "admin"):
        refused = officers.client(who).post(
            f"/api/v1/cases/{cid}/legal-hold", json={"reason": "complaint"}
        )
        assert_problem(refused, 403)
    bad = officers.client(RECORDS).post(
        f"/api/v1/cases/{cid}/legal-hold",
        json={"reason": "complaint", "file_reference": "mevrouw Jansen"},
    )
    assert assert_problem(bad, 422)["errors"][0]["field"] == "file_reference"
    held = officers.client(RECORDS).post(
        f"/api/v1/cases/{cid}/legal-hold",
        json={"reason": "complaint", "file_reference": "KL-2026-014"},
    )
    assert held.status_code == 200, held.text

    erase = officers.client(PRIVACY).post(
        f"/api/v1/cases/{cid}/erasure", json={"reason": "data_subject_request"}
    )
    problem = assert_problem(erase, 409)
    assert problem["type"].endswith("legal-hold")
    assert "complaint" in problem["detail"]

    lifted = officers.client("coordinator").post(
        f"/api/v1/cases/{cid}/legal-hold/lifting",
        json={"reason": "complaint_settled"},
    )
    assert lifted.status_code == 200, lifted.text
    erased = officers.client(PRIVACY).post(
        f"/api/v1/cases/{cid}/erasure", json={"reason": "data_subject_request"}
    )
    assert erased.status_code == 200, erased.text
    log = officers.client("auditor").get(
        "/api/v1/destruction-lists",
        params={"kind": "on_request", "min_position": erased.headers["X-Log-Position"]},
    )
    assert log.status_code == 200, log.text
    assert any(row["erased"] == 1 for row in log.json()["items"])
