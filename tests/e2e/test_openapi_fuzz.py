"""Property-based tests of the HTTP API against its own OpenAPI document (schemathesis).

A real server per store (module scope: one start per store, not one per operation),
seeded with consultants and cases in every status so that ids in paths sometimes
exist. Every operation of /openapi.json is fuzzed with schemathesis' positive and
negative data as a coordinator, and every GET operation again as an auditor; each
answer must pass four checks: no server error, a documented status code, a
documented content type, and a body that fits the documented schema.

The product bugs this run found (api.md: "an OpenAPI document ... that describes
every route, body and error truthfully"; "Never a 500 for bad input") were fixed;
each stays pinned by a deterministic request in ``test_a_fixed_bug_stays_fixed``,
which fails naming the bug if it returns. KNOWN_BUGS lists failures the fuzz test
would tolerate: none.

Not a bug: a read-model query whose ``min_position`` the read model does not reach
within the wait answers 503 with ``Retry-After`` (api.md, "Read-your-writes"); for
that answer the server-error check is skipped (the status-code check still runs).

schemathesis' own pytest integration (``schemathesis.pytest.from_fixture``) does not
run on pytest 9.2 (it sets ``Function._nodeid``, which pytest 9.2 removed), so the
operations are parametrised here and each runs its own Hypothesis test built from
``APIOperation.as_strategy``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.openapi.checks import UndefinedContentType, UndefinedStatusCode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from domain.zone import local_date
from tests.e2e.conftest import Server, start_server
from tests.support.http_api import registration
from tests.support.stores import drop_schema, store_settings

STORES = ["sqlite", "postgres"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 25
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # The server is a module fixture, the same for every example: that is intended.
    # A read that waits for min_position takes 3 s, so some runs are slow by design.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://dossier.onderwijsconsulenten.nl/problems/"
SQLITE_INTEGER_MAX = 2**63 - 1

# Every operation /openapi.json lists; test_the_schema_lists_these_operations keeps
# this in step with the server, so a new route is fuzzed as soon as it exists.
OPERATIONS = [
    "POST /api/v1/cases",
    "GET /api/v1/cases",
    "POST /api/v1/cases/{case_id}/prerequisites",
    "POST /api/v1/cases/{case_id}/prerequisite-waivers",
    "POST /api/v1/cases/{case_id}/intake",
    "POST /api/v1/cases/{case_id}/assignment",
    "POST /api/v1/cases/{case_id}/activities",
    "POST /api/v1/cases/{case_id}/suspension",
    "POST /api/v1/cases/{case_id}/resumption",
    "POST /api/v1/cases/{case_id}/closure",
    "POST /api/v1/cases/{case_id}/withdrawal",
    "POST /api/v1/cases/{case_id}/reopening",
    "POST /api/v1/cases/{case_id}/erasure",
    "GET /api/v1/cases/{case_id}",
    "GET /api/v1/cases/{case_id}/history",
    "POST /api/v1/consultants",
    "GET /api/v1/consultants",
    "PATCH /api/v1/consultants/{consultant_id}",
    "GET /api/v1/consultants/{consultant_id}",
    "GET /api/v1/dashboard",
    "GET /api/v1/audit/events",
    "GET /api/v1/audit/trail",
    "GET /api/v1/cases/{case_id}/accesses",
    "GET /api/v1/cases/{case_id}/subject-access",
    "GET /api/v1/audit/processing-log",
    "POST /api/v1/cases/{case_id}/legal-hold",
    "POST /api/v1/cases/{case_id}/legal-hold/lifting",
    "GET /api/v1/destruction-lists",
    "POST /api/v1/destruction-lists",
    "GET /api/v1/destruction-lists/{list_id}",
    "POST /api/v1/destruction-lists/{list_id}/removals",
    "POST /api/v1/destruction-lists/{list_id}/review",
    "POST /api/v1/destruction-lists/{list_id}/approval",
    "POST /api/v1/destruction-lists/{list_id}/run",
    "GET /healthz",
    "GET /readyz",
]
RUNS = [("coordinator", label) for label in OPERATIONS] + [
    ("auditor", label) for label in OPERATIONS if label.startswith("GET ")
]
# The steps of a destruction list take no body.
BODILESS = {
    "POST /api/v1/destruction-lists",
    "POST /api/v1/destruction-lists/{list_id}/review",
    "POST /api/v1/destruction-lists/{list_id}/approval",
    "POST /api/v1/destruction-lists/{list_id}/run",
}
BODY_OPERATIONS = [
    label
    for label in OPERATIONS
    if label.split()[0] in {"POST", "PATCH"} and label not in BODILESS
]


# --- the server under test ---------------------------------------------------------


@dataclass
class Seeds:
    """What the fixture made before fuzzing: ids that exist, and the log's head."""

    case_ids: list[str] = field(default_factory=list)
    consultant_ids: list[str] = field(default_factory=list)
    head: int = 0


@dataclass
class Target:
    store: str
    server: Server
    schema: Any  # schemathesis' OpenApiSchema
    seeds: Seeds

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.tokens[role]}"}


# The commands that bring a new case to each status, in order.
def _path_to(state: str, consultant_id: str) -> list[tuple[str, dict[str, Any]]]:
    day = local_date(datetime.now(UTC)).isoformat()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("prerequisites", {"step": "school_conversation", "date": day}),
        ("prerequisites", {"step": "samenwerkingsverband_contact", "date": day}),
        ("intake", {"decision": "admissible"}),
        ("assignment", {"consultant_id": consultant_id}),
        ("activities", {"kind": "meeting", "date": day, "summary": "Gesprek"}),
    ]
    count = {
        "registered": 0,
        "awaiting_intake": 2,
        "awaiting_assignment": 3,
        "assigned": 4,
        "in_mediation": 5,
        "suspended": 5,
        "closed": 5,
        "withdrawn": 0,
    }[state]
    tail: dict[str, list[tuple[str, dict[str, Any]]]] = {
        "suspended": [("suspension", {"reason": "Procedure loopt"})],
        "closed": [
            (
                "closure",
                {
                    "outcome": "back_at_school",
                    "education_status": "attending",
                    "summary": "Leerling gaat weer naar school.",
                },
            )
        ],
        "withdrawn": [("withdrawal", {"reason": "Ouders trekken in"})],
    }
    return steps[:count] + tail.get(state, [])


def seed(server: Server) -> Seeds:
    """Two consultants and a case in every status, through the API itself."""
    seeds = Seeds()
    with server.client("coordinator") as client:
        for kind in ("onderwijsconsulent", "onderwijszorgconsulent"):
            body = {"name": f"Consulent {kind}", "region": "noord-holland"}
            response = client.post(
                "/api/v1/consultants", json={**body, "kind": kind, "capacity": 30}
            )
            assert response.status_code == 201, response.text
            seeds.consultant_ids.append(response.json()["id"])
        for state in (
            "registered",
            "awaiting_intake",
            "awaiting_assignment",
            "assigned",
            "in_mediation",
            "suspended",
            "closed",
            "withdrawn",
        ):
            response = client.post("/api/v1/cases", json=registration())
            assert response.status_code == 201, response.text
            case_id = response.json()["id"]
            for command, body in _path_to(state, seeds.consultant_ids[0]):
                response = client.post(f"/api/v1/cases/{case_id}/{command}", json=body)
                assert response.status_code == 200, response.text
            assert response.json()["status"] == state
            seeds.case_ids.append(case_id)
            seeds.head = max(seeds.head, response.json()["log_position"])
    return seeds


@pytest.fixture(scope="module")
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """One seeded server per store for the whole module (parametrised indirectly)."""
    store: str = request.param
    data_dir = tmp_path_factory.mktemp(f"fuzz-{store}") / "var"
    settings_ = store_settings(store, data_dir, request, "fuzz")
    server = start_server(settings_)
    try:
        seeds = seed(server)
        schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
        yield Target(store, server, schema, seeds)
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
        drop_schema(settings_)


def operation_of(target: Target, label: str) -> Any:
    method, path = label.split(" ", 1)
    return target.schema[path][method]


# --- the known bugs ---------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One failed check, with what was sent and what came back."""

    store: str
    role: str
    label: str
    failure: Failure
    query: dict[str, Any]
    response: Response

    @property
    def status(self) -> int:
        return int(self.response.status_code)

    def problem_type(self) -> str | None:
        try:
            body = self.response.json()
        except ValueError:
            return None
        return body.get("type") if isinstance(body, dict) else None


class KnownBugSeen(AssertionError):
    """A reproducer met exactly its known bug (what its xfail expects)."""


class ReadModelsStopped(AssertionError):
    """Read models that never caught up with a write."""


@dataclass(frozen=True)
class KnownBug:
    name: str
    reason: str  # starts with "BUG:"
    matches: Callable[[Seen], bool]


def _values(query: dict[str, Any], name: str) -> list[Any]:
    value = query.get(name)
    return value if isinstance(value, list) else [value]


def _ints(query: dict[str, Any], name: str) -> list[int]:
    found = []
    for value in _values(query, name):
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            found.append(int(value))
    return found


def _has_nul(query: dict[str, Any]) -> bool:
    return any(
        isinstance(v, str) and "\x00" in v
        for name in query
        for v in _values(query, name)
    )


def _as_of_out_of_range(query: dict[str, Any]) -> bool:
    for value in _values(query, "as_of"):
        try:
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is not None:
                moment.astimezone(ZoneInfo("Europe/Amsterdam"))
        except OverflowError:
            return True
        except ValueError:
            pass
    return False


PROBLEM_422_OPERATIONS = {
    "GET /api/v1/cases",
    "GET /api/v1/cases/{case_id}",
    "GET /api/v1/cases/{case_id}/history",
    "POST /api/v1/consultants",
    "GET /api/v1/consultants",
    "PATCH /api/v1/consultants/{consultant_id}",
    "GET /api/v1/consultants/{consultant_id}",
    "GET /api/v1/dashboard",
    "GET /api/v1/audit/events",
    "GET /api/v1/audit/trail",
}
UNDOCUMENTED_404_OPERATIONS = {
    "GET /api/v1/cases/{case_id}/history",
    "GET /api/v1/consultants/{consultant_id}",
    "PATCH /api/v1/consultants/{consultant_id}",
}
UNDOCUMENTED_403_OPERATIONS = {"GET /api/v1/audit/events", "GET /api/v1/audit/trail"}
UNDOCUMENTED_503_OPERATIONS = {
    "GET /api/v1/consultants",
    "GET /api/v1/dashboard",
    "GET /api/v1/audit/trail",
}

PROBLEM_422 = KnownBug(
    "problem-422-documented-as-validation-error",
    "BUG: the OpenAPI document gives these operations FastAPI's default 422 "
    "(application/json, HTTPValidationError {detail: [...]}) while api/problems.py "
    "answers every 422 as application/problem+json with the Problem shape "
    "(type, title, status, detail, errors); document 422 (and the other errors) "
    "with the Problem schema under application/problem+json",
    lambda s: (
        s.label in PROBLEM_422_OPERATIONS
        and isinstance(s.failure, UndefinedContentType)
        and s.status == 422
        and s.failure.content_type.startswith(PROBLEM_MEDIA_TYPE)
    ),
)
BODY_NOT_UTF8_400 = KnownBug(
    "non-utf8-body-answers-400",
    "BUG: a JSON body that is not UTF-8 answers 400 'There was an error parsing "
    "the body' (FastAPI's HTTPException, passed on by api/problems.py's "
    "StarletteHTTPException handler as problem type http-error); 400 is in no "
    "operation's responses, and api.md wants 422 for an invalid body",
    lambda s: (
        s.label in BODY_OPERATIONS
        and isinstance(s.failure, UndefinedStatusCode)
        and s.status == 400
        and s.problem_type() == PROBLEM_BASE + "http-error"
    ),
)
UNDOCUMENTED_404 = KnownBug(
    "undocumented-404",
    "BUG: an unknown id answers 404 (case-not-found / consultant-not-found), but "
    "GET /api/v1/cases/{case_id}/history and GET, PATCH "
    "/api/v1/consultants/{consultant_id} document only 200 and 422",
    lambda s: (
        s.label in UNDOCUMENTED_404_OPERATIONS
        and isinstance(s.failure, UndefinedStatusCode)
        and s.status == 404
    ),
)
UNDOCUMENTED_403 = KnownBug(
    "undocumented-403",
    "BUG: a coordinator gets 403 not-permitted from GET /api/v1/audit/events and "
    "/api/v1/audit/trail (auditor only), but those operations document only 200 "
    "and 422 (no route but the commands documents 401 or 403, and the document "
    "declares no bearer security scheme)",
    lambda s: (
        s.label in UNDOCUMENTED_403_OPERATIONS
        and isinstance(s.failure, UndefinedStatusCode)
        and s.status == 403
    ),
)
UNDOCUMENTED_503 = KnownBug(
    "undocumented-503",
    "BUG: GET /api/v1/consultants, /api/v1/dashboard and /api/v1/audit/trail take "
    "min_position and answer 503 read-model-behind (with Retry-After) when the "
    "read model does not reach it, but only GET /api/v1/cases documents 503",
    lambda s: (
        s.label in UNDOCUMENTED_503_OPERATIONS
        and isinstance(s.failure, UndefinedStatusCode)
        and s.status == 503
        and s.problem_type() == PROBLEM_BASE + "read-model-behind"
    ),
)
DASHBOARD_AS_OF_500 = KnownBug(
    "dashboard-as-of-out-of-range-500",
    "BUG: GET /api/v1/dashboard?as_of=0001-01-01T00:00:00+05:00 (any as_of that "
    "lies before 0001-01-01 in UTC or in Amsterdam time) answers 500: "
    "api/routers/dashboard.py:42 calls local_date(moment) (domain/zone.py, "
    "moment.astimezone(AMSTERDAM)), which raises OverflowError 'date value out of "
    "range'; it must answer 422",
    lambda s: (
        s.label == "GET /api/v1/dashboard"
        and s.status == 500
        and _as_of_out_of_range(s.query)
    ),
)
SQLITE_INTEGER_500 = KnownBug(
    "sqlite-integer-overflow-500",
    "BUG: on SQLite an integer query parameter past SQLite's INTEGER range answers "
    "500 (OverflowError 'Python int too large to convert to SQLite INTEGER'): "
    "GET /api/v1/audit/events?after=9223372036854775807 (api/routers/audit.py:34 "
    "asks for start=after+1) and GET /api/v1/cases/{case_id}?version="
    "9223372036854775808 (domain/reads.py get_case); the OpenAPI puts no "
    "maximum on either; bound them (le=2**63-2) so they answer 422, or answer "
    "200/404 as PostgreSQL does",
    lambda s: (
        s.store == "sqlite"
        and s.status == 500
        and (
            (
                s.label == "GET /api/v1/audit/events"
                and any(v >= SQLITE_INTEGER_MAX for v in _ints(s.query, "after"))
            )
            or (
                s.label == "GET /api/v1/cases/{case_id}"
                and any(v > SQLITE_INTEGER_MAX for v in _ints(s.query, "version"))
            )
        )
    ),
)
POSTGRES_NUL_500 = KnownBug(
    "postgres-nul-in-query-500",
    "BUG: on PostgreSQL a NUL character (%00) in a free-text query parameter "
    "answers 500 (psycopg.DataError 'PostgreSQL text fields cannot contain NUL "
    "(0x00) bytes'): GET /api/v1/cases with status, region, category, sector, "
    "service or q containing NUL, and GET /api/v1/audit/trail with actor "
    "containing NUL (SQLite answers 200); refuse NUL with 422 (or match nothing)",
    lambda s: (
        s.store == "postgres"
        and s.label in {"GET /api/v1/cases", "GET /api/v1/audit/trail"}
        and s.status == 500
        and _has_nul(s.query)
    ),
)
# Failures the fuzz tests tolerate: none since every bug found was fixed. The
# KnownBug entries above stay as the reproducers' names (test_a_fixed_bug_stays_fixed).
KNOWN_BUGS: list[KnownBug] = []


# --- checking one answer ---------------------------------------------------------


def read_model_behind(response: Response) -> bool:
    """The contract's 503 for a min_position not reached in time (api.md)."""
    if response.status_code != 503 or "retry-after" not in response.headers:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("type") == (
        PROBLEM_BASE + "read-model-behind"
    )


def failures_of(error: Failure | FailureGroup) -> list[Failure]:
    if isinstance(error, FailureGroup):
        return [f for f in error.exceptions if isinstance(f, Failure)]
    return [error]


def unknown_failures(
    target: Target, role: str, label: str, case: Case, response: Response
) -> list[Failure]:
    """The checks' failures for this answer that no known bug explains."""
    checks = CHECKS
    if read_model_behind(response):
        checks = [c for c in CHECKS if c is not not_a_server_error]
    try:
        case.validate_response(response, checks=checks)
    except (Failure, FailureGroup) as error:
        query = dict(case.query or {})
        return [
            failure
            for failure in failures_of(error)
            if not any(
                bug.matches(Seen(target.store, role, label, failure, query, response))
                for bug in KNOWN_BUGS
            )
        ]
    return []


def raise_unknown(failures: list[Failure], case: Case, response: Response) -> None:
    if not failures:
        return
    error: Failure | FailureGroup = (
        failures[0] if len(failures) == 1 else FailureGroup(failures)
    )
    error.add_note(
        "request: " + case.as_curl_command(headers={"Authorization": "Bearer <token>"})
    )
    error.add_note(f"answer: {response.status_code} {response.text[:500]}")
    raise error


# --- data: seeded ids now and then, and few long waits ---------------------------


def with_seeds(strategy: Any, target: Target) -> Any:
    """Generated cases, half of them aimed at a seeded case or consultant; most
    min_position values past the log's head folded back into it (each of those
    waits 3 s for 503, so a tenth of them are kept)."""
    seeds = target.seeds

    def adjust(drawn: tuple[Any, bool, int]) -> Any:
        case, use_seed, pick = drawn
        if use_seed:
            params = case.path_parameters
            if params and "case_id" in params:
                params["case_id"] = seeds.case_ids[pick % len(seeds.case_ids)]
            if params and "consultant_id" in params:
                params["consultant_id"] = seeds.consultant_ids[
                    pick % len(seeds.consultant_ids)
                ]
            if isinstance(case.body, dict) and "consultant_id" in case.body:
                case.body["consultant_id"] = seeds.consultant_ids[
                    pick % len(seeds.consultant_ids)
                ]
        query = case.query
        if query and isinstance(query.get("min_position"), int):
            value = query["min_position"]
            if value > seeds.head and value % 10 != 0:
                query["min_position"] = value % (seeds.head + 1)
        return case

    return st.tuples(strategy, st.booleans(), st.integers(0, 15)).map(adjust)


# --- the tests ---------------------------------------------------------------------


@pytest.mark.parametrize("target", STORES, indirect=True, scope="module")
def test_the_schema_lists_these_operations(target: Target) -> None:
    """OPERATIONS is every operation in /openapi.json, so each one is fuzzed."""
    live = sorted(result.ok().label for result in target.schema.get_all_operations())
    assert live == sorted(OPERATIONS)


@pytest.mark.parametrize(
    ("role", "label"), [pytest.param(r, lbl, id=f"{r}-{lbl}") for r, lbl in RUNS]
)
@pytest.mark.parametrize("target", STORES, indirect=True, scope="module")
def test_every_answer_conforms_to_the_openapi_document(
    target: Target, role: str, label: str
) -> None:
    operation = operation_of(target, label)
    strategy = with_seeds(
        operation.as_strategy(GenerationMode.POSITIVE)
        | operation.as_strategy(GenerationMode.NEGATIVE),
        target,
    )
    headers = target.headers(role)

    @FUZZ_SETTINGS
    @given(case=strategy)
    def fuzz(case: Case) -> None:
        response = case.call(base_url=target.server.url, headers=headers, timeout=30)
        raise_unknown(
            unknown_failures(target, role, label, case, response), case, response
        )

    fuzz()


# --- each known bug, pinned by one request ---------------------------------------


@dataclass(frozen=True)
class Repro:
    """One request that shows a known bug on the given stores."""

    id: str
    bug: KnownBug
    label: str
    role: str = "coordinator"
    path_parameters: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    stores: tuple[str, ...] = tuple(STORES)


SEEDED_CASE = "<seeded case>"
UNKNOWN_ID = "<unknown id>"
INVALID_422: dict[str, dict[str, Any]] = {
    "GET /api/v1/cases": {"query": {"limit": 0}},
    "GET /api/v1/cases/{case_id}": {"path_parameters": {"case_id": "not-a-uuid"}},
    "GET /api/v1/cases/{case_id}/history": {
        "path_parameters": {"case_id": "not-a-uuid"}
    },
    "POST /api/v1/consultants": {"json": {}},
    "GET /api/v1/consultants": {"query": {"region": "atlantis"}},
    "PATCH /api/v1/consultants/{consultant_id}": {
        "path_parameters": {"consultant_id": "not-a-uuid"},
        "json": {},
    },
    "GET /api/v1/consultants/{consultant_id}": {
        "path_parameters": {"consultant_id": "not-a-uuid"}
    },
    "GET /api/v1/dashboard": {"query": {"school_year": "2026"}},
    "GET /api/v1/audit/events": {"role": "auditor", "query": {"limit": 0}},
    "GET /api/v1/audit/trail": {"role": "auditor", "query": {"limit": 0}},
}
REPROS = (
    [
        Repro(f"422-{label}", PROBLEM_422, label, **kwargs)
        for label, kwargs in INVALID_422.items()
    ]
    + [
        Repro(
            f"400-{label}",
            BODY_NOT_UTF8_400,
            label,
            path_parameters={
                "case_id": SEEDED_CASE,
                "consultant_id": UNKNOWN_ID,
                "list_id": UNKNOWN_ID,
            },
            content=b'{"reason": "\xff"}',
        )
        for label in BODY_OPERATIONS
    ]
    + [
        Repro(
            f"404-{label}",
            UNDOCUMENTED_404,
            label,
            path_parameters={"case_id": UNKNOWN_ID, "consultant_id": UNKNOWN_ID},
            json={} if label.startswith("PATCH") else None,
        )
        for label in sorted(UNDOCUMENTED_404_OPERATIONS)
    ]
    + [
        Repro(f"403-{label}", UNDOCUMENTED_403, label)
        for label in sorted(UNDOCUMENTED_403_OPERATIONS)
    ]
    + [
        Repro(
            f"503-{label}",
            UNDOCUMENTED_503,
            label,
            role="auditor",
            query={"min_position": 10**9},
        )
        for label in sorted(UNDOCUMENTED_503_OPERATIONS)
    ]
    + [
        Repro(
            "500-dashboard-as_of-year-1",
            DASHBOARD_AS_OF_500,
            "GET /api/v1/dashboard",
            query={"as_of": "0001-01-01T00:00:00+05:00"},
        ),
        Repro(
            "500-audit-events-after-int64-max",
            SQLITE_INTEGER_500,
            "GET /api/v1/audit/events",
            role="auditor",
            query={"after": SQLITE_INTEGER_MAX},
            stores=("sqlite",),
        ),
        Repro(
            "500-case-version-past-int64",
            SQLITE_INTEGER_500,
            "GET /api/v1/cases/{case_id}",
            path_parameters={"case_id": SEEDED_CASE},
            query={"version": SQLITE_INTEGER_MAX + 1},
            stores=("sqlite",),
        ),
    ]
    + [
        Repro(
            f"500-cases-{name}-with-nul",
            POSTGRES_NUL_500,
            "GET /api/v1/cases",
            query={name: "a\x00"},
            stores=("postgres",),
        )
        for name in ("status", "region", "category", "sector", "service", "q")
    ]
    + [
        Repro(
            "500-audit-trail-actor-with-nul",
            POSTGRES_NUL_500,
            "GET /api/v1/audit/trail",
            role="auditor",
            query={"actor": "a\x00"},
            stores=("postgres",),
        )
    ]
)


def repro_params() -> list[Any]:
    params = []
    for store in STORES:
        for repro in REPROS:
            # Every bug found was fixed: each reproducer now guards against its
            # return (a KnownBugSeen failure names the bug that came back).
            params.append(pytest.param(store, repro, id=f"{store}-{repro.id}"))
    return params


@pytest.mark.parametrize(
    ("target", "repro"), repro_params(), indirect=["target"], scope="module"
)
def test_a_fixed_bug_stays_fixed(target: Target, repro: Repro) -> None:
    """The one request that once showed a bug passes the fuzz test's checks; if
    the bug comes back the test fails naming it (KnownBugSeen)."""
    operation = operation_of(target, repro.label)
    names = {SEEDED_CASE: target.seeds.case_ids[0], UNKNOWN_ID: str(uuid.uuid4())}
    path_parameters = {
        name: names.get(value, value)
        for name, value in repro.path_parameters.items()
        if "{" + name + "}" in operation.path
    }
    case = operation.Case(path_parameters=path_parameters, query=repro.query)
    content = repro.content
    if content is None and repro.json is not None:
        content = json.dumps(repro.json).encode()
    headers = target.headers(repro.role)
    if content is not None:
        headers["Content-Type"] = "application/json"
    answer = httpx.request(
        operation.method.upper(),
        target.server.url + case.formatted_path,
        params=repro.query,
        headers=headers,
        content=content,
        timeout=30,
    )
    response = Response.from_any(answer)
    checks = CHECKS
    if read_model_behind(response):
        checks = [c for c in CHECKS if c is not not_a_server_error]
    try:
        case.validate_response(response, checks=checks)
    except (Failure, FailureGroup) as error:
        seen = [
            Seen(target.store, repro.role, repro.label, f, repro.query, response)
            for f in failures_of(error)
        ]
        if seen and all(repro.bug.matches(s) for s in seen):
            raise KnownBugSeen(
                f"{repro.bug.name}: {response.status_code} {response.text[:300]}"
            ) from error
        raise


# --- a write that stops the read models (PostgreSQL) ------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param("sqlite"),
        pytest.param("postgres"),
    ],
    indirect=True,
)
def test_a_nul_in_a_text_field_does_not_stop_the_read_models(server: Server) -> None:
    """A NUL in a pupil's or a consultant's name is refused (422), or the read
    models still catch up with it. On a fresh server of its own (``server``, on
    each store), since on PostgreSQL it stops that server's read models for good."""
    nul_case = registration()
    nul_case["pupil"]["name"] = "Sanne\x00"
    with server.client("coordinator") as coordinator:
        writes = [
            coordinator.post(
                "/api/v1/consultants",
                json={
                    "name": "Consulent\x00",
                    "region": "utrecht",
                    "kind": "onderwijsconsulent",
                    "capacity": 3,
                },
            ),
            coordinator.post("/api/v1/cases", json=nul_case),
        ]
    for response in writes:
        assert response.status_code in (201, 422), response.text
    with server.client("auditor") as auditor:
        feed = auditor.get("/api/v1/audit/events", params={"limit": 1000})
        assert feed.status_code == 200, feed.text
        head = feed.json()["items"][-1]["position"] if feed.json()["items"] else 0
    stuck = []
    for role, path in (
        ("coordinator", "/api/v1/cases"),
        ("coordinator", "/api/v1/consultants"),
        ("auditor", "/api/v1/audit/trail"),
    ):
        with server.client(role) as client:
            answer = client.get(path, params={"min_position": head})
        if answer.status_code != 200:
            stuck.append(f"GET {path}?min_position={head}: {answer.text}")
    if stuck:
        raise ReadModelsStopped("\n".join(stuck))
