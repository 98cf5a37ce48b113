"""Shared pieces of the HTTP end-to-end tests.

One real uvicorn server per store per test process (an xdist worker), started the
first time a test module asks for it and stopped at the end of the session; each
test works on cases of its own, so the tests can share it (tests that could leave
a server unfit for others ask for one of their own, in another group). Also:
sample bodies, clients per role, consultants with a user of their own, a case
driven through the API to any state, and the checks every problem answer must
pass.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import psycopg
import pytest

from domain.values import Role
from domain.zone import local_date
from dossier.settings import Settings
from tests.e2e.conftest import Server, start_server

STORES = ["sqlite", "postgres"]
SHARED = "shared"
CASES = "/api/v1/cases"
CONSULTANTS = "/api/v1/consultants"
PROBLEM_TYPE_BASE = "https://dossier.onderwijsconsulenten.nl/problems/"

# Besides the staff roles start_server makes tokens for (intake, coordinator,
# auditor, admin) and consultants' names: a client without a token, and one with
# a token the server never issued.
ANONYMOUS = "anonymous"
UNKNOWN_TOKEN = "unknown-token"


def today() -> date:
    """The server's calendar day (the Netherlands): dates later than it are refused."""
    return local_date(datetime.now(UTC))


def registration(**changes: Any) -> dict[str, Any]:
    """A valid registration body (api.md), with a pupil name no other case has."""
    body: dict[str, Any] = {
        "channel": "web",
        "requester": {
            "role": "parent",
            "name": "Jan de Vries",
            "email": "jan@example.nl",
            "phone": "0612345678",
        },
        "consent_given": True,
        "pupil": {
            "name": f"Sanne {uuid.uuid4().hex[:12]}",
            "birth_date": "2015-03-14",
            "municipality": "Amsterdam",
            "pc4": "1011",
        },
        "school": {"name": "Basisschool De Regenboog", "brin": "12AB", "cluster": None},
        "sector": "po",
        "samenwerkingsverband": "PO2707",
        "region": "noord-holland",
        "category": "toelating",
        "service": "onderwijsconsulent",
        "at_home_since": None,
        "receives_education": True,
        "account": "School weigert toelating na verhuizing.",
    }
    body.update(changes)
    return body


def activity(summary: str = "Gesprek met ouders en school") -> dict[str, Any]:
    return {
        "kind": "meeting",
        "date": today().isoformat(),
        "summary": summary,
        "parties": ["ouders", "school"],
    }


CLOSURE = {
    "outcome": "back_at_school",
    "education_status": "attending",
    "summary": "Leerling gaat weer naar school.",
}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEM_TYPE_BASE)
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def assert_command_answer(
    response: httpx.Response, status: int = 200
) -> dict[str, Any]:
    """A command's answer: the case, its ETag and the log position reached."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert isinstance(body["log_position"], int)
    assert body["log_position"] > 0
    assert response.headers["X-Log-Position"] == str(body["log_position"])
    return body


@dataclass
class Consultant:
    id: str
    name: str
    token: str


@dataclass
class Api:
    """A running server and the clients that talk to it."""

    server: Server
    store: str
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, who: str) -> httpx.Client:
        """A client for a staff role, a consultant's name, or no or an unknown token
        (ANONYMOUS, UNKNOWN_TOKEN), kept for the next call. After a 5xx answer the
        server may drop the connection, so the next call gets a new client."""
        if who not in self._clients:

            def forget_after_error(response: httpx.Response) -> None:
                if response.status_code >= 500:
                    self._clients.pop(who, None)

            client = self.new_client(self.token(who))
            client.event_hooks["response"].append(forget_after_error)
            self._clients[who] = client
        return self._clients[who]

    @contextmanager
    def fresh(self, who: str) -> Iterator[httpx.Client]:
        """A client of its own for ``who`` (as ``client``), closed afterwards."""
        with self.new_client(self.token(who)) as client:
            yield client

    def token(self, who: str) -> str | None:
        if who == ANONYMOUS:
            return None
        if who == UNKNOWN_TOKEN:
            return "dos_" + uuid.uuid4().hex
        return self.server.tokens[who]

    def new_client(self, token: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=30)

    def add_consultant(self, kind: str = "onderwijsconsulent") -> Consultant:
        """A consultant (registered by a coordinator) with a user of their own."""
        name = f"Consulent {uuid.uuid4().hex[:8]}"
        response = self.client("coordinator").post(
            CONSULTANTS,
            json={
                "name": name,
                "region": "noord-holland",
                "kind": kind,
                "capacity": 30,
            },
        )
        assert response.status_code == 201, response.text
        consultant_id = response.json()["id"]
        token = self.server.add_user(
            f"user-{consultant_id}",
            Role.CONSULTANT,
            consultant_id=uuid.UUID(consultant_id),
        )
        self.server.tokens[name] = token
        return Consultant(consultant_id, name, token)

    # --- cases --------------------------------------------------------------------

    def register(self, who: str = "coordinator", **changes: Any) -> dict[str, Any]:
        response = self.client(who).post(CASES, json=registration(**changes))
        return assert_command_answer(response, 201)

    def command(
        self, case_id: str, path: str, body: dict[str, Any], who: str = "coordinator"
    ) -> dict[str, Any]:
        response = self.client(who).post(f"{CASES}/{case_id}/{path}", json=body)
        return assert_command_answer(response)

    def case_in(
        self, state: str, consultant: Consultant | None = None
    ) -> dict[str, Any]:
        """A new case driven through the API into ``state`` (a status, or
        "assigned"/"in_mediation"/"suspended"/"closed" with ``consultant``)."""
        case = self.register()
        if state == "registered":
            return case
        cid, day = case["id"], today().isoformat()
        if state == "withdrawn":
            return self.command(cid, "withdrawal", {"reason": "Ouders trekken in"})
        self.command(cid, "prerequisites", {"step": "school_conversation", "date": day})
        case = self.command(
            cid, "prerequisites", {"step": "samenwerkingsverband_contact", "date": day}
        )
        assert case["status"] == "awaiting_intake"
        if state == "awaiting_intake":
            return case
        case = self.command(cid, "intake", {"decision": "admissible"})
        if state == "awaiting_assignment":
            return case
        assert consultant is not None, f"{state} needs a consultant"
        case = self.command(cid, "assignment", {"consultant_id": consultant.id})
        if state == "assigned":
            return case
        case = self.command(cid, "activities", activity())
        if state == "in_mediation":
            return case
        if state == "suspended":
            return self.command(cid, "suspension", {"reason": "Procedure loopt"})
        if state == "closed":
            return self.command(cid, "closure", CLOSURE)
        raise ValueError(state)

    def case(self, case_id: str, who: str = "coordinator") -> dict[str, Any]:
        response = self.client(who).get(f"{CASES}/{case_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def history(self, case_id: str, who: str = "coordinator") -> list[dict[str, Any]]:
        response = self.client(who).get(f"{CASES}/{case_id}/history")
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries

    def listed(
        self, who: str = "coordinator", *, min_position: int, **filters: Any
    ) -> list[dict[str, Any]]:
        """The case list's rows, once the read model reached ``min_position``."""
        response = self.client(who).get(
            CASES, params={"min_position": min_position, "limit": 200, **filters}
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


# --- one server per store per test process ------------------------------------


class ServerPool:
    """The servers of this process, started on first use and stopped at the end.
    The "shared" group starts both stores at once; another group (for tests that
    could leave a server unfit for others) gets servers of its own."""

    def __init__(self) -> None:
        self.apis: dict[tuple[str, str], Api] = {}
        self.failed: dict[tuple[str, str], str] = {}

    def api(self, store: str, request: pytest.FixtureRequest, group: str) -> Api:
        if (store, group) not in self.apis and (store, group) not in self.failed:
            stores = STORES if group == SHARED else [store]
            settings = [self._settings(s, group, request) for s in stores]
            # At once: a start mostly waits for the new process.
            with ThreadPoolExecutor(len(stores)) as pool:
                futures = [pool.submit(start_server, s) for s in settings]
            for s, future in zip(stores, futures, strict=True):
                error = future.exception()
                if error is None:
                    self.apis[s, group] = Api(future.result(), s)
                else:
                    self.failed[s, group] = f"the {s} server did not start: {error}"
        if (store, group) in self.failed:
            # Fail fast: one slow failing start, not one per test.
            pytest.fail(self.failed[store, group], pytrace=False)
        return self.apis[store, group]

    @staticmethod
    def _settings(store: str, group: str, request: pytest.FixtureRequest) -> Settings:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        data_dir = factory.mktemp(f"e2e-{group}-{store}") / "var"
        if store == "sqlite":
            return Settings(database_url=None, data_dir=data_dir)
        url = request.getfixturevalue("postgres_url")
        schema = f"e2e_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return Settings(database_url=url, database_schema=schema, data_dir=data_dir)

    def stop(self) -> None:
        for api in self.apis.values():
            api.close()
            process = api.server.process
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.apis.clear()


POOL = ServerPool()


@pytest.fixture(scope="session")
def server_pool(postgres_url: str) -> Iterator[ServerPool]:
    """Import this into a test module and ask for it in that module's ``api``
    fixture. Every importing module gets its own copy of this fixture but they
    share one pool; depending on ``postgres_url`` makes the servers stop before
    the test database is dropped."""
    yield POOL
    POOL.stop()


def api_for(request: pytest.FixtureRequest, group: str = SHARED) -> Api:
    """For a module's fixture parametrised over STORES: the server of that store
    in that group."""
    pool: ServerPool = request.getfixturevalue("server_pool")
    return pool.api(request.param, request, group)
