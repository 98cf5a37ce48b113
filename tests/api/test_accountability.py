"""Accountability for personal data over HTTP, on both stores: a scripted day of
work through the API and the pages leaves exactly one access-log entry per read
of personal data, each with a purpose and a processing activity; the case's
NEN 7513 overview lists exactly those accesses; the Logboek export has them in
LDV shape; the subject access export holds every canary planted in the case
and the accesses made, and after erasure none of the canaries."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from domain.processing import activity_for
from domain.values import Role
from dossier.bootstrap import build_read_database
from storage.passwords import PasswordStore
from storage.users import UserStore
from tests.support.canaries import canaries
from tests.support.http_api import CASES, Api, assert_problem, today

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


@contextmanager
def signed_in(api: Api, role: Role) -> Iterator[tuple[httpx.Client, str]]:
    """A page session of a new user of ``role``, and the user's id."""
    name, password = f"day-{role}-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    db = build_read_database(api.server.settings)
    try:
        user, _ = UserStore(db).add(name, role)
        PasswordStore(db).set(user.id, password)
    finally:
        db.close()
    with api.connect(base_url=api.server.url, timeout=30) as client:
        found = TOKEN.search(client.get("/inloggen").text)
        assert found
        answer = client.post(
            "/inloggen",
            data={"csrf_token": found[1], "name": name, "password": password},
        )
        assert answer.status_code == 303, answer.text
        yield client, user.id


def reads_of(api: Api, case_id: str) -> list[dict[str, Any]]:
    response = api.client("auditor").get(
        f"{CASES}/{case_id}/accesses", params={"limit": 500}
    )
    assert response.status_code == 200, response.text
    return [i for i in response.json()["items"] if i["kind"] == "read"]


def test_a_day_of_work_logs_each_read_once_with_its_purpose_and_activity(
    api: Api,
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    case = api.register()
    cid, name = case["id"], case["pupil"]["name"]
    coordinator = api.client("coordinator")
    auditor = api.client("auditor")

    assert (
        coordinator.get(
            f"{CASES}/{cid}",
            headers={"traceparent": f"00-{TRACE}-{PARENT}-01"},
        ).status_code
        == 200
    )
    assert coordinator.get(f"{CASES}/{cid}/history").status_code == 200
    listed = api.listed(min_position=case["log_position"], q=name)
    assert [r["id"] for r in listed] == [cid]
    trail = auditor.get(
        "/api/v1/audit/trail",
        params={"case_id": cid, "min_position": case["log_position"]},
    )
    assert trail.status_code == 200
    assert coordinator.get(f"{CASES}/{cid}/subject-access").status_code == 200
    with signed_in(api, Role.COORDINATOR) as (pages, _):
        assert pages.get(f"/zaken/{cid}").status_code == 200
        assert pages.get(f"/zaken/{cid}/inzageverzoek").status_code == 200
        overview = pages.get(f"/controle/zaken/{cid}/inzage")  # ids only: no read
        assert overview.status_code == 200
    with signed_in(api, Role.AUDITOR) as (pages, _):
        assert (
            pages.get(f"/controle/zaken/{cid}", params={"versie": 1}).status_code == 200
        )

    reads = reads_of(api, cid)
    assert [(r["purpose"], r["actor_role"]) for r in reads] == [
        ("case_detail", "coordinator"),
        ("case_history", "coordinator"),
        ("case_list", "coordinator"),
        ("audit_trail", "auditor"),
        ("subject_access", "coordinator"),
        ("case_page", "coordinator"),
        ("subject_access", "coordinator"),
        ("case_replay", "auditor"),
    ]
    for read in reads:
        assert read["activity"] == activity_for(read["purpose"], read["actor_role"])
        assert read["organisation"]
        assert read["basis"] == {
            "role": read["actor_role"],
            "assigned_consultant": None,
        }
        assert re.fullmatch("[0-9a-f]{32}", read["trace_id"])
    assert reads[0]["trace_id"] == TRACE
    routes = [r["what"]["route"] for r in reads]
    assert routes[4:] == [
        "/api/v1/cases/{case_id}/subject-access",
        "/zaken/{case_id}",
        "/zaken/{case_id}/inzageverzoek",
        "/controle/zaken/{case_id}",
    ]

    export = auditor.get(
        "/api/v1/audit/processing-log",
        params={
            "from": start.isoformat(),
            "to": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            "case_id": cid,
        },
    )
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert name not in export.text
    records = [json.loads(line) for line in export.text.splitlines()]
    assert [r["name"] for r in records] == ["change:register"] + [
        f"read:{r['purpose']}" for r in reads
    ]
    subjects = {r["attributes"]["dpl.core.data_subject_id"] for r in records}
    assert len(subjects) == 1
    assert cid not in subjects
    assert records[1]["trace_id"] == TRACE
    assert records[1]["parent_span_id"] == PARENT
    assert records[1]["span_id"] != PARENT


def test_a_request_answers_with_its_own_span_in_the_callers_trace(api: Api) -> None:
    given = api.client("coordinator").get(
        f"{CASES}",
        params={"limit": 1},
        headers={"traceparent": f"00-{TRACE}-{PARENT}-01"},
    )
    fresh = api.client("coordinator").get(
        f"{CASES}", params={"limit": 1}, headers={"traceparent": "00-zz-bad-01"}
    )

    trace, span, flags = given.headers["traceparent"].split("-")[1:]
    assert (trace, flags) == (TRACE, "01")
    assert span != PARENT
    assert fresh.headers["traceparent"].split("-")[1] != TRACE


def test_the_access_overview_shows_a_consultants_basis_and_a_period(api: Api) -> None:
    consultant = api.add_consultant()
    case = api.case_in("assigned", consultant)
    cid = case["id"]
    assert api.client(consultant.name).get(f"{CASES}/{cid}").status_code == 200
    later = datetime.now(UTC) + timedelta(seconds=1)

    reads = reads_of(api, cid)
    (mine,) = [r for r in reads if r["actor_role"] == "consultant"]
    assert mine["basis"] == {"role": "consultant", "assigned_consultant": True}
    assert mine["activity"] == "casework"
    response = api.client("coordinator").get(
        f"{CASES}/{cid}/accesses", params={"from": later.isoformat()}
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
    changes = [
        i for i in reads_of_all(api, cid, case["log_position"]) if i["kind"] == "change"
    ]
    assert [c["what"]["event_type"] for c in changes][:1] == ["Case.Registered"]
    assert changes[0]["activity"] == "intake"
    assert "account" in changes[0]["what"]["fields"]


def reads_of_all(api: Api, case_id: str, position: int) -> list[dict[str, Any]]:
    """Every access, once the trail has the changes up to ``position``."""
    response = api.client("auditor").get(
        f"{CASES}/{case_id}/accesses", params={"min_position": position}
    )
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_only_coordinators_and_the_auditor_see_who_accessed_a_case(api: Api) -> None:
    case = api.register()
    for who in ("intake", "admin"):
        response = api.client(who).get(f"{CASES}/{case['id']}/accesses")
        assert_problem(response, 403)
        response = api.client(who).get(f"{CASES}/{case['id']}/subject-access")
        assert_problem(response, 403)
    assert_problem(
        api.client("coordinator").get(
            "/api/v1/audit/processing-log",
            params={"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
        ),
        403,
    )
    assert_problem(
        api.client("auditor").get(
            "/api/v1/audit/processing-log",
            params={"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        ),
        422,
    )


def canary_case(api: Api) -> tuple[str, dict[str, str]]:
    """A case with a unique string in every personal field its life can carry,
    withdrawn at the end (so that it may be erased)."""
    c = canaries()  # one unique string per personal field
    consultant = api.add_consultant()
    case = api.register(
        pupil={
            "name": c["pupil"],
            "birth_date": "2015-03-14",
            "municipality": "Amsterdam",
            "pc4": "1011",
        },
        requester={
            "role": "parent",
            "name": c["requester"],
            "email": f"{c['email']}@example.nl",
            "phone": None,
        },
        account=c["account"],
    )
    cid, day = case["id"], today().isoformat()
    api.command(
        cid,
        "prerequisite-waivers",
        {"step": "samenwerkingsverband_contact", "reason": c["waiver"]},
    )
    api.command(
        cid,
        "prerequisites",
        {"step": "school_conversation", "date": day, "note": c["note"]},
    )
    api.command(cid, "intake", {"decision": "admissible"})
    api.command(cid, "assignment", {"consultant_id": consultant.id})
    api.command(
        cid,
        "activities",
        {
            "kind": "meeting",
            "date": day,
            "summary": c["summary"],
            "parties": [c["party"]],
        },
    )
    api.command(cid, "suspension", {"reason": c["suspension"]})
    api.command(cid, "resumption", {"reason": c["resumption"]})
    api.command(
        cid,
        "closure",
        {
            "outcome": "back_at_school",
            "education_status": "attending",
            "summary": c["closing"],
        },
    )
    api.command(cid, "reopening", {"reason": c["reopening"]})
    api.command(cid, "withdrawal", {"reason": c["withdrawal"]})
    return cid, c


def test_the_subject_export_holds_every_canary_and_after_erasure_none(
    api: Api,
) -> None:
    cid, planted = canary_case(api)
    coordinator = api.client("coordinator")
    assert coordinator.get(f"{CASES}/{cid}").status_code == 200

    response = coordinator.get(f"{CASES}/{cid}/subject-access")
    assert response.status_code == 200, response.text
    export = response.json()
    text = response.text
    assert [k for k, v in planted.items() if v not in text] == []
    assert export["erased"] is False
    assert export["personal_data"]["pupil"]["name"] == planted["pupil"]
    assert [h["description"] for h in export["history"]][:1] == ["Casus aangemeld"]
    purposes = [a["purpose"] for a in export["accesses"] if a["kind"] == "read"]
    assert purposes[-2:] == ["case_detail", "subject_access"]  # itself included
    with signed_in(api, Role.PRIVACY_OFFICER) as (pages, _):
        page = pages.get(f"/zaken/{cid}/inzageverzoek")
        assert page.status_code == 200
        assert [k for k, v in planted.items() if v not in page.text] == []

    erased = coordinator.post(
        f"{CASES}/{cid}/erasure", json={"reason": "data_subject_request"}
    )
    assert erased.status_code == 200, erased.text

    after = coordinator.get(f"{CASES}/{cid}/subject-access")
    assert after.status_code == 200
    assert [k for k, v in planted.items() if v in after.text] == []
    assert after.json()["erased"] is True
    assert after.json()["personal_data"] is None
    assert "gewist" in after.json()["note"]
    reads = [a for a in after.json()["accesses"] if a["kind"] == "read"]
    assert reads[-1]["purpose"] == "subject_access"
    with signed_in(api, Role.COORDINATOR) as (pages, _):
        page = pages.get(f"/zaken/{cid}/inzageverzoek")
        assert page.status_code == 200
        assert [k for k, v in planted.items() if v in page.text] == []
        assert "gewist" in page.text
