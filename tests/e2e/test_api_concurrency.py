"""Many clients racing commands on the same cases through real HTTP, on each store
(api.md "Optimistic concurrency" and "Idempotency"): every answer is a decision
(200, 409 or 412, never a 500), nothing is lost or recorded twice, and each case's
history stays one gapless sequence of versions."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import (
    CASES,
    SHARED,
    STORES,
    Api,
    activity,
    api_for,
    registration,
    server_pool,  # noqa: F401 (the fixture api_for asks for)
)

THREADS = 8
REQUESTS = 10  # per thread
COMMANDS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "activity": ("activities", lambda: activity("Contact over de voortgang")),
    "suspension": ("suspension", lambda: {"reason": "Procedure bij de rechter"}),
    "resumption": ("resumption", lambda: {"reason": "Uitspraak gedaan"}),
}
EVENT_OF = {
    "activity": "ActivityRecorded",
    "suspension": "Suspended",
    "resumption": "Resumed",
}


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    return api_for(request)


@dataclass(frozen=True)
class Answer:
    case_id: str
    command: str
    if_match: bool
    status: int
    problem_type: str | None


def race(
    api: Api, who: list[str], work: Callable[[int, httpx.Client], list[Answer]]
) -> list[Answer]:
    """Run ``work`` in one thread per entry of ``who`` (each with a client of its
    own), released together; every thread's answers, or the first error raised."""
    barrier = threading.Barrier(len(who))
    answers: list[Answer] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            with api.fresh(who[n]) as client:
                barrier.wait(timeout=30)
                got = work(n, client)
            with lock:
                answers.extend(got)
        except BaseException as error:  # reported in the test's thread
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(who))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client hung"
    if errors:
        raise errors[0]
    return answers


def test_racing_commands_are_each_decided_once_and_leave_gapless_histories(
    api: Api,
) -> None:
    consultant = api.add_consultant()
    cases = [api.case_in("in_mediation", consultant) for _ in range(3)]
    ids = [c["id"] for c in cases]
    # Coordinators record, suspend and resume; the assigned consultant records.
    who = ["coordinator" if n % 2 == 0 else consultant.name for n in range(THREADS)]

    def work(n: int, client: httpx.Client) -> list[Answer]:
        rng = random.Random(n)
        got: list[Answer] = []
        for _ in range(REQUESTS):
            case_id = rng.choice(ids)
            command = (
                rng.choice(list(COMMANDS)) if who[n] == "coordinator" else "activity"
            )
            path, body = COMMANDS[command]
            headers = {}
            if rng.random() < 0.5:
                read = client.get(f"{CASES}/{case_id}")
                assert read.status_code == 200, read.text
                headers["If-Match"] = read.headers["ETag"]
            response = client.post(
                f"{CASES}/{case_id}/{path}", json=body(), headers=headers
            )
            problem = (
                response.json()["type"].rsplit("/", 1)[-1]
                if response.status_code >= 400
                else None
            )
            got.append(
                Answer(case_id, command, bool(headers), response.status_code, problem)
            )
        return got

    answers = race(api, who, work)

    assert len(answers) == THREADS * REQUESTS
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 409, 412}, statuses
    assert statuses[200] > 0
    assert all(a.if_match for a in answers if a.status == 412)
    assert {a.problem_type for a in answers if a.status == 409} <= {
        "illegal-transition",
        "concurrent-update",
    }
    assert {a.problem_type for a in answers if a.status == 412} <= {"version-mismatch"}

    for case in cases:
        history = api.history(case["id"])
        versions = [e["version"] for e in history]
        assert versions == list(range(1, len(history) + 1))
        added = Counter(e["type"] for e in history[case["version"] :])
        accepted = Counter(
            EVENT_OF[a.command]
            for a in answers
            if a.case_id == case["id"] and a.status == 200
        )
        assert added == accepted
        now = api.case(case["id"])
        assert now["version"] == len(history)
        suspended = accepted["Suspended"] - accepted["Resumed"]
        assert suspended in (0, 1)
        assert now["status"] == ("suspended" if suspended else "in_mediation")


# --- one Idempotency-Key, many clients at once --------------------------------------
# A duplicate in flight makes the idempotency record's insert fail inside the event
# store's transaction; on PostgreSQL these races get a server of their own, so a
# regression there cannot spill into the shared server's other tests.

ROUNDS = 8  # the twin race is lost in most rounds; in all of them, almost never


@pytest.fixture(scope="module", params=STORES)
def own_api(request: pytest.FixtureRequest) -> Api:
    # SQLite shows no such after-effect: the shared server will do.
    group = "idempotency-races" if request.param == "postgres" else SHARED
    return api_for(request, group=group)


def test_one_registration_sent_at_once_by_many_clients_with_one_key_creates_one_case(
    own_api: Api, request: pytest.FixtureRequest
) -> None:
    api = own_api
    body = registration()
    key = str(uuid.uuid4())
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def work(_: int, client: httpx.Client) -> list[Answer]:
        response = client.post(CASES, json=body, headers={"Idempotency-Key": key})
        with lock:
            results.append(response)
        return []

    race(api, ["intake"] * 5, work)

    assert [r.status_code for r in results] == [201] * 5, [r.text for r in results]
    first = results[0].json()
    for response in results[1:]:
        assert response.json() == first
        assert response.headers["Location"] == results[0].headers["Location"]
    rows = api.listed(min_position=first["log_position"], q=body["pupil"]["name"])
    assert [r["id"] for r in rows] == [first["id"]]


def test_one_command_sent_at_once_by_many_clients_with_one_key_is_recorded_once(
    own_api: Api,
) -> None:
    api = own_api
    consultant = api.add_consultant()
    for _ in range(ROUNDS):
        case = api.case_in("in_mediation", consultant)
        key = str(uuid.uuid4())
        results: list[httpx.Response] = []
        lock = threading.Lock()

        def work(
            _: int,
            client: httpx.Client,
            case_id: str = case["id"],
            key: str = key,
            results: list[httpx.Response] = results,
            lock: threading.Lock = lock,
        ) -> list[Answer]:
            response = client.post(
                f"{CASES}/{case_id}/suspension",
                json={"reason": "Procedure bij de rechter"},
                headers={"Idempotency-Key": key},
            )
            with lock:
                results.append(response)
            return []

        race(api, ["coordinator"] * THREADS, work)

        history = api.history(case["id"])
        assert [e["type"] for e in history[case["version"] :]] == ["Suspended"]
        statuses = [r.status_code for r in results]
        assert statuses == [200] * THREADS, [r.text[:200] for r in results]
        assert all(r.json() == results[0].json() for r in results)
