"""What the HTTP tests share, in process (tests/api/) or over a real server
(tests/e2e/, tests/browser/): sample bodies, the checks every problem and command
answer must pass, the users of a running service, and ``Api``: clients per role,
consultants with a user of their own, a case driven through the API to any state.

``Api`` makes its clients with a factory that takes httpx.Client's arguments:
httpx.Client itself for a real server, or one bound to an in-process transport
(tests/support/in_process.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from domain.values import Role
from domain.zone import local_date
from dossier.bootstrap import build_read_database
from dossier.settings import Settings
from storage.users import UserStore

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


def staff_tokens(settings: Settings) -> dict[str, str]:
    """A user and token for each staff role (intake, coordinator, auditor, admin),
    by role name."""
    db = build_read_database(settings)
    try:
        store = UserStore(db)
        return {
            str(role): store.add(f"e2e-{role}", role)[1]
            for role in (Role.INTAKE, Role.COORDINATOR, Role.AUDITOR, Role.ADMIN)
        }
    finally:
        db.close()


@dataclass
class Service:
    """A running Dossier: where it answers, its settings and its users' tokens."""

    url: str
    settings: Settings
    tokens: dict[str, str]

    def add_user(self, name: str, role: Role, **kwargs: object) -> str:
        db = build_read_database(self.settings)
        try:
            _, token = UserStore(db).add(name, role, **kwargs)  # type: ignore[arg-type]
        finally:
            db.close()
        return token


# httpx.Client, or a function taking its arguments (base_url, headers, timeout).
ClientFactory = Callable[..., httpx.Client]


@dataclass
class Consultant:
    id: str
    name: str
    token: str


@dataclass
class Api:
    """A running service and the clients that talk to it."""

    server: Service
    store: str
    connect: ClientFactory = httpx.Client
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
        return self.connect(base_url=self.server.url, headers=headers, timeout=30)

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
        self, state: str, consultant: Consultant | None = None, **changes: Any
    ) -> dict[str, Any]:
        """A new case (its registration with ``changes``) driven through the API
        into ``state`` (a status, or "assigned"/"in_mediation"/"suspended"/
        "closed" with ``consultant``)."""
        case = self.register(**changes)
        if state == "registered":
            return case
        cid, day = case["id"], today().isoformat()
        if state == "withdrawn":
            return self.command(cid, "withdrawal", {"reason": "Ouders trekken in"})
        case = self.command(
            cid, "prerequisites", {"step": "school_conversation", "date": day}
        )
        if case["status"] == "registered":  # a thuiszitter's case needs one step
            case = self.command(
                cid,
                "prerequisites",
                {"step": "samenwerkingsverband_contact", "date": day},
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
