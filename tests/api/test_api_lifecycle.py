"""A case's life through the HTTP API (api.md), in process on each store: commands,
reads now and in the past, concurrency headers, idempotency, read-your-writes,
errors, the audit trail, erasure, operations endpoints and the dashboard."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.values import Role
from domain.zone import local_date
from projections.figures import school_year_of
from tests.support.http_api import (
    CASES,
    CLOSURE,
    CONSULTANTS,
    Api,
    activity,
    assert_command_answer,
    assert_problem,
    registration,
    today,
)


def history_types(api: Api, case_id: str) -> list[str]:
    return [e["type"] for e in api.history(case_id)]


# --- the whole life -------------------------------------------------------------------


def test_a_case_goes_from_registration_through_mediation_to_closure_and_reopening(
    api: Api,
) -> None:
    intake, coordinator = api.client("intake"), api.client("coordinator")
    day = today().isoformat()
    done: list[tuple[str, str, str]] = []  # (event type, role, request id) expected

    def command(
        client: httpx.Client, path: str, body: dict[str, Any], role: str, *events: str
    ) -> dict[str, Any]:
        rid = f"e2e-{uuid.uuid4().hex}"
        response = client.post(path, json=body, headers={"X-Request-ID": rid})
        assert response.headers["X-Request-ID"] == rid
        done.extend((event, role, rid) for event in events)
        return assert_command_answer(response, 201 if path == CASES else 200)

    body = registration()
    rid = f"e2e-{uuid.uuid4().hex}"
    response = intake.post(CASES, json=body, headers={"X-Request-ID": rid})
    case = assert_command_answer(response, 201)
    done.append(("Registered", "intake", rid))
    case_id = case["id"]
    assert response.headers["Location"] == f"{CASES}/{case_id}"
    assert response.headers["ETag"] == '"1"'
    assert case["status"] == "registered"
    assert case["version"] == 1
    assert re.fullmatch(r"OC-\d{4}-\d{5}", case["reference"])
    assert case["pupil"]["name"] == body["pupil"]["name"]
    assert case["erased"] is False
    path = f"{CASES}/{case_id}"
    positions = [case["log_position"]]

    case = command(
        intake,
        f"{path}/prerequisites",
        {"step": "school_conversation", "date": day, "note": "Gesprek met directie"},
        "intake",
        "PrerequisiteRecorded",
    )
    assert case["status"] == "registered"
    positions.append(case["log_position"])
    case = command(
        intake,
        f"{path}/prerequisites",
        {"step": "samenwerkingsverband_contact", "date": day},
        "intake",
        "PrerequisiteRecorded",
        "PrerequisitesMet",
    )
    assert case["status"] == "awaiting_intake"
    assert {p["step"] for p in case["prerequisites"]} == {
        "school_conversation",
        "samenwerkingsverband_contact",
    }
    positions.append(case["log_position"])
    case = command(
        intake,
        f"{path}/intake",
        {"decision": "admissible"},
        "intake",
        "IntakeDecided",
    )
    assert case["status"] == "awaiting_assignment"
    positions.append(case["log_position"])

    response = coordinator.post(
        CONSULTANTS,
        json={
            "name": "Fatima El Amrani",
            "region": "noord-holland",
            "kind": "onderwijsconsulent",
            "capacity": 30,
        },
    )
    assert response.status_code == 201, response.text
    consultant_id = response.json()["id"]
    assert response.headers["Location"] == f"{CONSULTANTS}/{consultant_id}"
    token = api.server.add_user(
        f"fatima-{consultant_id}",
        Role.CONSULTANT,
        consultant_id=uuid.UUID(consultant_id),
    )
    consultant = api.new_client(token)

    case = command(
        coordinator,
        f"{path}/assignment",
        {"consultant_id": consultant_id},
        "coordinator",
        "Assigned",
    )
    assert case["status"] == "assigned"
    assert case["consultant_id"] == consultant_id
    positions.append(case["log_position"])

    case = command(
        consultant,
        f"{path}/activities",
        activity(),
        "consultant",
        "ActivityRecorded",
    )
    assert case["status"] == "in_mediation"
    assert len(case["activities"]) == 1
    positions.append(case["log_position"])

    case = command(
        coordinator,
        f"{path}/suspension",
        {"reason": "Bezwaarprocedure loopt"},
        "coordinator",
        "Suspended",
    )
    assert case["status"] == "suspended"
    assert case["suspended"] is True
    positions.append(case["log_position"])
    case = command(
        coordinator,
        f"{path}/resumption",
        {"reason": "Procedure afgerond"},
        "coordinator",
        "Resumed",
    )
    assert case["status"] == "in_mediation"
    assert case["suspended"] is False
    positions.append(case["log_position"])

    case = command(consultant, f"{path}/closure", CLOSURE, "consultant", "Closed")
    assert case["status"] == "closed"
    assert case["outcome"]["outcome"] == "back_at_school"
    positions.append(case["log_position"])

    case = command(
        coordinator,
        f"{path}/reopening",
        {"reason": "School komt afspraak niet na"},
        "coordinator",
        "Reopened",
    )
    assert case["status"] == "awaiting_assignment"
    positions.append(case["log_position"])
    consultant.close()

    # Every command moved the log on.
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)

    history = api.history(case_id)
    assert [e["version"] for e in history] == list(range(1, case["version"] + 1))
    assert [
        (e["type"], e["actor"]["role"], e["actor"]["request_id"]) for e in history
    ] == done
    for entry in history:
        assert datetime.fromisoformat(entry["recorded_at"]).tzinfo is not None
        assert isinstance(entry["data"], dict)
    by_consultant = [e for e in history if e["actor"]["role"] == "consultant"]
    assert {e["actor"]["user_id"] for e in by_consultant} == {consultant_id}

    rows = api.listed(min_position=positions[-1], q=case["reference"])
    assert [(r["id"], r["status"], r["version"]) for r in rows] == [
        (case_id, "awaiting_assignment", case["version"])
    ]
    assert rows[0]["pupil_name"] == body["pupil"]["name"]


# --- reads at a version or a moment ---------------------------------------------------


def test_a_case_read_at_a_version_or_a_moment_is_as_it_was_then(api: Api) -> None:
    case = api.case_in("awaiting_assignment")
    case_id = case["id"]
    client = api.client("coordinator")

    response = client.get(f"{CASES}/{case_id}", params={"version": 1})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "registered"
    assert response.json()["version"] == 1
    assert response.headers["ETag"] == '"1"'

    history = api.history(case_id)
    times = {e["version"]: datetime.fromisoformat(e["recorded_at"]) for e in history}
    # Between the prerequisites being met (v4) and the intake decision (v5).
    between = times[4] + (times[5] - times[4]) / 2
    assert times[4] < between < times[5]
    response = client.get(f"{CASES}/{case_id}", params={"as_of": between.isoformat()})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_intake"
    assert response.json()["version"] == 4
    assert response.headers["ETag"] == '"4"'

    now = datetime.now(UTC).isoformat()
    response = client.get(f"{CASES}/{case_id}", params={"as_of": now})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_assignment"


def test_a_moment_without_a_utc_offset_is_refused_with_422(api: Api) -> None:
    case = api.register()
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    response = api.client("coordinator").get(
        f"{CASES}/{case['id']}", params={"as_of": naive}
    )
    assert_problem(response, 422)


def test_a_moment_before_registration_answers_404(api: Api) -> None:
    case = api.register()
    before = datetime.fromisoformat(case["registered_at"]) - timedelta(seconds=1)
    response = api.client("coordinator").get(
        f"{CASES}/{case['id']}", params={"as_of": before.isoformat()}
    )
    assert_problem(response, 404)


def test_a_version_the_case_never_had_answers_404(api: Api) -> None:
    case = api.register()
    response = api.client("coordinator").get(
        f"{CASES}/{case['id']}", params={"version": 2}
    )
    assert_problem(response, 404)


# --- If-Match -------------------------------------------------------------------------


def test_a_command_with_the_current_etag_is_recorded(api: Api) -> None:
    case = api.register()
    client = api.client("coordinator")
    etag = client.get(f"{CASES}/{case['id']}").headers["ETag"]
    assert etag == '"1"'
    response = client.post(
        f"{CASES}/{case['id']}/prerequisites",
        json={"step": "school_conversation", "date": today().isoformat()},
        headers={"If-Match": etag},
    )
    assert assert_command_answer(response)["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_a_command_with_a_stale_etag_answers_412_and_records_nothing(api: Api) -> None:
    case = api.register()
    day = today().isoformat()
    api.command(
        case["id"], "prerequisites", {"step": "school_conversation", "date": day}
    )
    before = api.history(case["id"])
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/prerequisites",
        json={"step": "samenwerkingsverband_contact", "date": day},
        headers={"If-Match": '"1"'},
    )
    assert_problem(response, 412)
    assert api.history(case["id"]) == before
    assert api.case(case["id"])["status"] == "registered"


# --- Idempotency-Key ------------------------------------------------------------------


def test_a_registration_sent_twice_with_one_idempotency_key_creates_one_case(
    api: Api,
) -> None:
    client = api.client("intake")
    body = registration()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post(CASES, json=body, headers=key)
    again = client.post(CASES, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    rows = api.listed(
        min_position=first.json()["log_position"], q=body["pupil"]["name"]
    )
    assert [r["id"] for r in rows] == [first.json()["id"]]


def test_an_idempotency_key_reused_with_another_body_answers_422(api: Api) -> None:
    client = api.client("intake")
    body = registration()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post(CASES, json=body, headers=key)
    assert first.status_code == 201, first.text
    other = dict(body, account="Een ander verhaal.")
    problem = assert_problem(client.post(CASES, json=other, headers=key), 422)
    assert problem["errors"]
    rows = api.listed(
        min_position=first.json()["log_position"], q=body["pupil"]["name"]
    )
    assert len(rows) == 1


def test_a_lifecycle_command_sent_twice_with_one_idempotency_key_is_recorded_once(
    api: Api,
) -> None:
    consultant = api.add_consultant()
    case = api.case_in("in_mediation", consultant)
    client = api.client("coordinator")
    path = f"{CASES}/{case['id']}/activities"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = activity("Adviesgesprek")
    first = client.post(path, json=body, headers=key)
    again = client.post(path, json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert history_types(api, case["id"]).count("ActivityRecorded") == 2
    assert api.case(case["id"])["version"] == case["version"] + 1

    other = client.post(path, json=activity("Iets anders"), headers=key)
    assert_problem(other, 422)
    assert api.case(case["id"])["version"] == case["version"] + 1


# --- read-your-writes -----------------------------------------------------------------


def test_a_read_model_query_beyond_the_log_answers_503_with_retry_after(
    api: Api,
) -> None:
    response = api.client("coordinator").get(CASES, params={"min_position": 10**12})
    assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) >= 0


# --- errors ---------------------------------------------------------------------------


def test_an_invalid_registration_answers_422_listing_each_invalid_field(
    api: Api,
) -> None:
    body = registration(region="mars", sector="university")
    body["pupil"]["birth_date"] = "not a date"
    body["requester"]["role"] = "neighbour"
    del body["account"]
    problem = assert_problem(api.client("intake").post(CASES, json=body), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {
        "region",
        "sector",
        "pupil.birth_date",
        "requester.role",
        "account",
    }
    for error in problem["errors"]:
        assert error["message"]


def test_a_rule_of_the_domain_broken_by_a_value_answers_422_naming_the_field(
    api: Api,
) -> None:
    problem = assert_problem(
        api.client("intake").post(CASES, json=registration(consent_given=False)), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["consent_given"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/history", None),
        ("POST", "/suspension", {"reason": "Procedure loopt"}),
        ("POST", "/closure", CLOSURE),
    ],
    ids=["detail", "history", "suspension", "closure"],
)
def test_an_unknown_case_answers_404(
    api: Api, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    response = api.client("coordinator").request(
        method, f"{CASES}/{uuid.uuid4()}{suffix}", json=body
    )
    assert_problem(response, 404)


def test_a_command_not_allowed_in_the_state_answers_409_naming_the_rule(
    api: Api,
) -> None:
    case = api.register()
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/suspension", json={"reason": "Procedure loopt"}
    )
    problem = assert_problem(response, 409)
    assert problem["type"].endswith("/illegal-transition")
    assert api.case(case["id"])["version"] == 1


def test_closing_a_closed_case_answers_409_and_records_nothing(api: Api) -> None:
    consultant = api.add_consultant()
    case = api.case_in("closed", consultant)
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/closure", json=CLOSURE
    )
    assert assert_problem(response, 409)["type"].endswith("/illegal-transition")
    assert api.case(case["id"])["version"] == case["version"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"reason": ', "application/json"),
        (b"{'reason': 'single quotes'}", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"reason=x", "application/x-www-form-urlencoded"),
        (b'{"reason": "x"}', "text/plain"),
    ],
    ids=[
        "truncated",
        "single-quotes",
        "array",
        "null",
        "empty",
        "not-utf8",
        "form",
        "text-plain",
    ],
)
def test_a_malformed_body_answers_422_never_500(
    api: Api, content: bytes, content_type: str
) -> None:
    case = api.register()
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/withdrawal",
        content=content,
        headers={"Content-Type": content_type},
    )
    assert_problem(response, 422)
    assert api.case(case["id"])["version"] == 1


def test_a_path_id_that_is_not_a_uuid_answers_422(api: Api) -> None:
    response = api.client("coordinator").get(f"{CASES}/OC-2026-00001")
    assert_problem(response, 422)


# --- the audit trail ------------------------------------------------------------------


def test_the_audit_trail_shows_who_read_a_case_and_every_change(api: Api) -> None:
    case = api.case_in("awaiting_intake")
    history = api.history(case["id"])
    coordinator_id = history[0]["actor"]["user_id"]
    rid = f"e2e-read-{uuid.uuid4().hex}"
    read = api.client("coordinator").get(
        f"{CASES}/{case['id']}", headers={"X-Request-ID": rid}
    )
    assert read.status_code == 200

    response = api.client("auditor").get(
        "/api/v1/audit/trail",
        params={"case_id": case["id"], "min_position": case["log_position"]},
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    reads = [i for i in items if i["kind"] == "read" and i["request_id"] == rid]
    assert len(reads) == 1
    assert reads[0]["actor_id"] == coordinator_id
    assert reads[0]["actor_role"] == "coordinator"
    assert reads[0]["case_id"] == case["id"]
    changes = [i for i in items if i["kind"] == "change"]
    assert [c["event_type"] for c in changes] == [f"Case.{e['type']}" for e in history]
    assert [c["resource_version"] for c in changes] == [e["version"] for e in history]
    assert [c["request_id"] for c in changes] == [
        e["actor"]["request_id"] for e in history
    ]
    assert {c["actor_id"] for c in changes} == {coordinator_id}


def test_the_audit_trail_opens_personal_values_and_logs_that_read(api: Api) -> None:
    case = api.register()
    auditor = api.client("auditor")
    rid = f"trail-{uuid.uuid4().hex}"

    response = auditor.get(
        "/api/v1/audit/trail",
        params={"case_id": case["id"], "min_position": case["log_position"]},
        headers={"X-Request-ID": rid},
    )

    assert response.status_code == 200, response.text
    registered = next(i for i in response.json()["items"] if i["kind"] == "change")
    assert registered["changes"]["new"]["pupil"]["name"] == case["pupil"]["name"]
    assert "sealed" not in registered["changes"]
    later = auditor.get(
        "/api/v1/audit/trail", params={"case_id": case["id"], "kind": "read"}
    ).json()["items"]
    assert [
        (r["purpose"], r["actor_role"]) for r in later if r["request_id"] == rid
    ] == [("audit_trail", "auditor")]


# --- erasure --------------------------------------------------------------------------


def test_erasing_an_ended_case_leaves_its_personal_data_null(api: Api) -> None:
    case = api.case_in("withdrawn")
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/erasure", json={"reason": "data_subject_request"}
    )
    erased = assert_command_answer(response)
    for shown in (erased, api.case(case["id"])):
        assert shown["erased"] is True
        assert shown["pupil"]["name"] is None
        assert shown["pupil"]["erased"] is True
        assert shown["requester"]["name"] is None
        assert shown["account"] is None
        assert shown["status"] == "withdrawn"
        assert shown["reference"] == case["reference"]
    rows = api.listed(min_position=erased["log_position"], q=case["reference"])
    assert [(r["id"], r["pupil_name"], r["erased"]) for r in rows] == [
        (case["id"], None, True)
    ]


def test_erasing_an_open_case_answers_409(api: Api) -> None:
    case = api.register()
    response = api.client("coordinator").post(
        f"{CASES}/{case['id']}/erasure", json={"reason": "data_subject_request"}
    )
    assert_problem(response, 409)
    assert api.case(case["id"])["pupil"]["name"] is not None


# --- operations -----------------------------------------------------------------------


def test_healthz_answers_200(api: Api) -> None:
    response = api.client("anonymous").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_answers_200_with_a_check_per_projection(api: Api) -> None:
    response = api.client("anonymous").get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["store"] == "ok"
    for name in ("case_list", "audit_trail", "dashboard", "deadlines", "workload"):
        check = checks[f"projection:{name}"]
        assert check["stalled"] is False
        assert check["lag_events"] >= 0


def test_metrics_expose_request_latency_and_projection_lag(api: Api) -> None:
    api.client("anonymous").get("/healthz")
    response = api.client("anonymous").get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    names = {
        line.split("{")[0].split(" ")[0]
        for line in response.text.splitlines()
        if line and not line.startswith("#")
    }
    assert "dossier_http_request_duration_seconds_count" in names
    assert "dossier_http_request_duration_seconds_bucket" in names
    assert "dossier_projection_lag_events" in names
    assert re.search(
        r'^dossier_projection_lag_events\{projection="case_list"\} \d',
        response.text,
        re.M,
    )


# --- the dashboard -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "region"),
    # A region no other test registers cases in, one per test, so counts are exact.
    [("coordinator", "zeeland"), ("auditor", "drenthe")],
)
def test_the_dashboard_counts_a_case_now_but_not_as_of_before_its_registration(
    api: Api, role: str, region: str
) -> None:
    case = api.register(region=region)
    registered_at = datetime.fromisoformat(case["registered_at"])
    client = api.client(role)

    response = client.get(
        "/api/v1/dashboard",
        params={"region": region, "min_position": case["log_position"]},
    )
    assert response.status_code == 200, response.text
    now = response.json()
    assert now["school_year"] == school_year_of(local_date(datetime.now(UTC)))
    assert now["region"] == region
    assert now["registered"] == 1
    assert now["by_status"]["registered"] == 1
    assert now["by_region"][region] == 1

    before = registered_at - timedelta(milliseconds=1)
    response = client.get(
        "/api/v1/dashboard",
        params={"region": region, "as_of": before.isoformat()},
    )
    assert response.status_code == 200, response.text
    then = response.json()
    assert datetime.fromisoformat(then["as_of"]) == before
    assert then["school_year"] == school_year_of(local_date(before))
    assert then["registered"] == 0


def test_the_dashboard_shows_another_school_year(api: Api) -> None:
    response = api.client("coordinator").get(
        "/api/v1/dashboard", params={"school_year": "2019-2020"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["school_year"] == "2019-2020"
    assert response.json()["registered"] == 0


@pytest.mark.parametrize(
    "school_year", ["2026", "26-27", "2026/2027", "2026-2028", "2027-2026"]
)
def test_the_dashboard_refuses_an_invalid_school_year_with_422(
    api: Api, school_year: str
) -> None:
    response = api.client("coordinator").get(
        "/api/v1/dashboard", params={"school_year": school_year}
    )
    assert_problem(response, 422)


def test_the_dashboard_refuses_a_moment_without_a_utc_offset_with_422(
    api: Api,
) -> None:
    response = api.client("auditor").get(
        "/api/v1/dashboard", params={"as_of": "2026-01-01T12:00:00"}
    )
    assert_problem(response, 422)
