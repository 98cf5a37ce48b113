"""Who may do what over HTTP (api.md "Resources", domain.md "Who uses it"): every
route against every role, each cell a test of its own, on each store.

An allowed call is made on a case in the state where it succeeds (a case of its
own when it changes something), so a pass proves it got past authorization and
did its work. A refused call is made on a shared case in that same state, and
must leave it as it was. "consultant-assigned" is the consultant the shared
cases are assigned to (where the state has an assignment at all);
"consultant-other" is a consultant with no part in them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.http_api import (
    ANONYMOUS,
    CASES,
    CLOSURE,
    CONSULTANTS,
    UNKNOWN_TOKEN,
    Api,
    Consultant,
    activity,
    assert_problem,
    registration,
    today,
)

INTAKE, COORDINATOR, AUDITOR, ADMIN = "intake", "coordinator", "auditor", "admin"
ASSIGNED, OTHER = "consultant-assigned", "consultant-other"
ROLES = [INTAKE, COORDINATOR, ASSIGNED, OTHER, AUDITOR, ADMIN, ANONYMOUS, UNKNOWN_TOKEN]
EVERYONE = frozenset({INTAKE, COORDINATOR, ASSIGNED, OTHER, AUDITOR, ADMIN})


@dataclass
class World:
    """The module's consultants and shared cases, on one app."""

    api: Api
    assigned: Consultant
    other: Consultant
    spare: Consultant  # the one PATCH changes
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)

    def who(self, role: str) -> str:
        """The client name for a role of the matrix."""
        return {ASSIGNED: self.assigned.name, OTHER: self.other.name}.get(role, role)

    def shared_case(self, state: str) -> dict[str, Any]:
        if state not in self.shared:
            self.shared[state] = self.api.case_in(state, self.assigned)
        return self.shared[state]


@pytest.fixture(scope="module")
def world(api: Api) -> World:
    return World(api, api.add_consultant(), api.add_consultant(), api.add_consultant())


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # {case} and {consultant} are filled in
    allowed: frozenset[str]
    state: str | None = None  # the case state the call needs
    body: Callable[[World], dict[str, Any]] | None = None
    success: int = 200
    changes: bool = False  # a command: an allowed call gets a case of its own


def _waiver(_: World) -> dict[str, Any]:
    return {"step": "samenwerkingsverband_contact", "reason": "Geen swv bereikbaar"}


ROUTES = [
    Route(
        "register",
        "POST",
        CASES,
        frozenset({INTAKE, COORDINATOR}),
        body=lambda _: registration(),
        success=201,
    ),
    Route("list-cases", "GET", CASES, EVERYONE),
    Route(
        "case-detail",
        "GET",
        CASES + "/{case}",
        EVERYONE - {OTHER},
        state="in_mediation",
    ),
    Route(
        "case-history",
        "GET",
        CASES + "/{case}/history",
        frozenset({COORDINATOR, AUDITOR, ASSIGNED}),
        state="in_mediation",
    ),
    Route(
        "prerequisites",
        "POST",
        CASES + "/{case}/prerequisites",
        frozenset({INTAKE, COORDINATOR}),
        state="registered",
        body=lambda _: {"step": "school_conversation", "date": today().isoformat()},
        changes=True,
    ),
    Route(
        "prerequisite-waivers",
        "POST",
        CASES + "/{case}/prerequisite-waivers",
        frozenset({COORDINATOR}),
        state="registered",
        body=_waiver,
        changes=True,
    ),
    Route(
        "intake",
        "POST",
        CASES + "/{case}/intake",
        frozenset({INTAKE, COORDINATOR}),
        state="awaiting_intake",
        body=lambda _: {"decision": "admissible"},
        changes=True,
    ),
    Route(
        "assignment",
        "POST",
        CASES + "/{case}/assignment",
        frozenset({COORDINATOR}),
        state="in_mediation",  # a reassignment, away from the assigned consultant
        body=lambda w: {"consultant_id": w.other.id},
        changes=True,
    ),
    Route(
        "activities",
        "POST",
        CASES + "/{case}/activities",
        frozenset({COORDINATOR, ASSIGNED}),
        state="in_mediation",
        body=lambda _: activity(),
        changes=True,
    ),
    Route(
        "suspension",
        "POST",
        CASES + "/{case}/suspension",
        frozenset({COORDINATOR}),
        state="in_mediation",
        body=lambda _: {"reason": "Juridische procedure loopt"},
        changes=True,
    ),
    Route(
        "resumption",
        "POST",
        CASES + "/{case}/resumption",
        frozenset({COORDINATOR}),
        state="suspended",
        body=lambda _: {"reason": "Procedure afgerond"},
        changes=True,
    ),
    Route(
        "closure",
        "POST",
        CASES + "/{case}/closure",
        frozenset({COORDINATOR, ASSIGNED}),
        state="in_mediation",
        body=lambda _: CLOSURE,
        changes=True,
    ),
    Route(
        "withdrawal",
        "POST",
        CASES + "/{case}/withdrawal",
        frozenset({INTAKE, COORDINATOR}),
        state="in_mediation",
        body=lambda _: {"reason": "Ouders trekken de aanmelding in"},
        changes=True,
    ),
    Route(
        "reopening",
        "POST",
        CASES + "/{case}/reopening",
        frozenset({COORDINATOR}),
        state="closed",
        body=lambda _: {"reason": "Afspraken niet nagekomen"},
        changes=True,
    ),
    Route(
        "erasure",
        "POST",
        CASES + "/{case}/erasure",
        frozenset({COORDINATOR}),
        state="closed",
        body=lambda _: {"reason": "data_subject_request"},
        changes=True,
    ),
    Route(
        "register-consultant",
        "POST",
        CONSULTANTS,
        frozenset({COORDINATOR, ADMIN}),
        body=lambda _: {
            "name": f"Consulent {uuid.uuid4().hex[:8]}",
            "region": "utrecht",
            "kind": "onderwijszorgconsulent",
            "capacity": 20,
        },
        success=201,
    ),
    Route("list-consultants", "GET", CONSULTANTS, EVERYONE),
    Route("consultant-detail", "GET", CONSULTANTS + "/{consultant}", EVERYONE),
    Route(
        "change-consultant",
        "PATCH",
        CONSULTANTS + "/{consultant}",
        frozenset({COORDINATOR, ADMIN}),
        body=lambda _: {"capacity": 25},
    ),
    Route(
        "dashboard",
        "GET",
        "/api/v1/dashboard",
        frozenset({COORDINATOR, AUDITOR}),
    ),
    Route("audit-events", "GET", "/api/v1/audit/events", frozenset({AUDITOR})),
    Route("audit-trail", "GET", "/api/v1/audit/trail", frozenset({AUDITOR})),
]


def cells() -> list[Any]:
    return [
        pytest.param(route, role, id=f"{route.name}-{role}")
        for route in ROUTES
        for role in ROLES
    ]


def expected_status(route: Route, role: str) -> int:
    if role in (ANONYMOUS, UNKNOWN_TOKEN):
        return 401
    return route.success if role in route.allowed else 403


@pytest.mark.parametrize(("route", "role"), cells())
def test_each_role_gets_exactly_the_routes_it_is_allowed(
    world: World, route: Route, role: str
) -> None:
    api = world.api
    allowed = expected_status(route, role) == route.success
    case: dict[str, Any] | None = None
    if route.state is not None:
        fresh = allowed and route.changes
        case = (
            api.case_in(route.state, world.assigned)
            if fresh
            else world.shared_case(route.state)
        )
    path = route.path.format(case=case["id"] if case else "", consultant=world.spare.id)
    body = route.body(world) if route.body else None
    response = api.client(world.who(role)).request(route.method, path, json=body)

    if not allowed:
        problem = assert_problem(response, expected_status(route, role))
        if response.status_code == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert problem["type"].endswith(
                ("/not-permitted", "/not-assigned-consultant")
            )
        if case is not None:
            # Refused: the case is as it was.
            assert api.case(case["id"])["version"] == case["version"]
        return

    assert response.status_code == route.success, response.text
    if route.changes:
        assert case is not None
        after = response.json()
        assert after["id"] == case["id"]
        assert after["version"] > case["version"]
        assert response.headers["ETag"] == f'"{after["version"]}"'


# --- consultants see their own cases only -----------------------------------------


def test_a_consultant_lists_only_the_cases_assigned_to_them(world: World) -> None:
    api = world.api
    mine = world.shared_case("in_mediation")
    theirs = api.case_in("assigned", world.other)
    position = theirs["log_position"]

    for consultant, own, foreign in (
        (world.assigned, mine, theirs),
        (world.other, theirs, mine),
    ):
        rows = api.listed(consultant.name, min_position=position)
        ids = {r["id"] for r in rows}
        assert own["id"] in ids
        assert foreign["id"] not in ids
        assert {r["consultant_id"] for r in rows} == {consultant.id}


def test_a_consultant_may_not_list_another_consultants_cases(world: World) -> None:
    response = world.api.client(world.assigned.name).get(
        CASES, params={"consultant_id": world.other.id}
    )
    assert_problem(response, 403)


def test_a_reassigned_case_is_no_longer_the_former_consultants(world: World) -> None:
    api = world.api
    case = api.case_in("in_mediation", world.assigned)
    api.command(case["id"], "assignment", {"consultant_id": world.other.id})
    former, current = api.client(world.assigned.name), api.client(world.other.name)
    assert_problem(former.get(f"{CASES}/{case['id']}"), 403)
    assert_problem(
        former.post(f"{CASES}/{case['id']}/activities", json=activity()), 403
    )
    assert current.get(f"{CASES}/{case['id']}").status_code == 200
    assert (
        current.post(f"{CASES}/{case['id']}/activities", json=activity()).status_code
        == 200
    )


@pytest.mark.parametrize("state", ["registered", "suspended", "closed"])
@pytest.mark.parametrize("command", ["activities", "closure"])
def test_a_consultant_acting_on_a_case_not_theirs_is_refused_in_every_state(
    world: World, command: str, state: str
) -> None:
    case = world.shared_case(state)
    body = activity() if command == "activities" else CLOSURE
    response = world.api.client(world.other.name).post(
        f"{CASES}/{case['id']}/{command}", json=body
    )
    assert_problem(response, 403)
