"""The register of processing activities: every route that logs reads of
personal data declares its purposes, and each maps to one activity for every
role; the W3C traceparent is parsed as the recommendation says; the data
subject's pseudonym is stable per case and names no one."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute

import api.routers
import web.routes
from api.reads import declared_purposes, serves
from api.tracing import parse_traceparent, trace_for
from domain.case import Case
from domain.consultant import Consultant
from domain.permissions import Command
from domain.processing import (
    COMMAND_ACTIVITY,
    EVENT_ACTIVITY,
    REGISTER,
    Activity,
    activity_for,
    subject_pseudonym,
)
from domain.values import Role
from projections.audit_trail import AuditTrailProjection

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def routes() -> list[APIRoute]:
    found: list[APIRoute] = []
    for package in (api.routers, web.routes):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            router = getattr(module, "router", None)
            if router is not None:
                found.extend(r for r in router.routes if isinstance(r, APIRoute))
    return found


def test_every_route_that_logs_reads_maps_each_purpose_to_an_activity() -> None:
    declared = {r.path: declared_purposes(r.endpoint) for r in routes()}
    logging = {path: p for path, p in declared.items() if p}

    # The routes that read personal data (the runtime guard in api.reads
    # refuses a read logged by a route that did not declare its purpose).
    assert {
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/history",
        "/api/v1/cases",
        "/api/v1/audit/events",
        "/api/v1/audit/trail",
        "/api/v1/cases/{case_id}/subject-access",
        "/zaken/{case_id}",
        "/zaken/{case_id}/inzageverzoek",
        "/controle/zaken/{case_id}",
        "/",
    } <= set(logging)
    for purposes in logging.values():
        for purpose in purposes:
            for role in Role:
                assert activity_for(purpose, role) in REGISTER


def test_a_purpose_not_in_the_register_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="register"):
        serves("looked_at_it")


def case_events() -> set[type]:
    """Every event a case records (eventsourcing's generated ``Case.Created`` is
    never recorded: a case is created by ``Registered``)."""
    return {c for c in Case.Event.__subclasses__() if c is not Case.Created}


def test_every_command_and_case_event_serves_an_activity() -> None:
    assert set(COMMAND_ACTIVITY) == set(Command)
    assert {c.__name__ for c in case_events()} == set(EVENT_ACTIVITY)


def test_nothing_that_changes_a_case_or_a_consultant_bypasses_the_audit_trail() -> None:
    recorded = case_events() | set(Consultant.Event.__subclasses__())
    recorded -= {Consultant.Created}

    assert recorded <= set(AuditTrailProjection.handled_types())


def test_the_role_says_what_a_shared_read_serves() -> None:
    assert activity_for("case_page", Role.INTAKE) == Activity.INTAKE
    assert activity_for("case_page", Role.CONSULTANT) == Activity.CASEWORK
    assert activity_for("case_detail", Role.AUDITOR) == Activity.QUALITY_AUDIT
    assert activity_for("case_replay", Role.COORDINATOR) == Activity.QUALITY_AUDIT
    assert activity_for("erase_personal_data", Role.COORDINATOR) == Activity.ERASURE
    with pytest.raises(KeyError):
        activity_for("curiosity", Role.COORDINATOR)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        f"00-{TRACE}-{SPAN}",  # no flags
        f"00-{TRACE.upper()}-{SPAN}-01",  # upper case
        f"00-{'0' * 32}-{SPAN}-01",  # invalid trace id
        f"00-{TRACE}-{'0' * 16}-01",  # invalid parent id
        f"ff-{TRACE}-{SPAN}-01",  # forbidden version
        f"00-{TRACE}-{SPAN}-01-extra",  # version 00 has four fields
    ],
)
def test_an_invalid_traceparent_starts_a_new_trace(header: str | None) -> None:
    assert parse_traceparent(header) is None
    trace = trace_for(header, datetime.now(UTC))
    assert trace.trace_id != TRACE
    assert trace.parent_span_id is None
    assert len(trace.trace_id) == 32
    assert len(trace.span_id) == 16


def test_a_valid_traceparent_is_continued_with_a_span_of_its_own() -> None:
    assert parse_traceparent(f"01-{TRACE}-{SPAN}-01-future") == (TRACE, SPAN, "01")
    trace = trace_for(f"00-{TRACE}-{SPAN}-01", datetime.now(UTC))

    assert (trace.trace_id, trace.parent_span_id) == (TRACE, SPAN)
    assert trace.span_id != SPAN
    assert trace.traceparent() == f"00-{TRACE}-{trace.span_id}-01"


def test_the_pseudonym_is_stable_per_case_and_depends_on_the_secret() -> None:
    case_id = uuid4()
    first = subject_pseudonym(b"a" * 32, case_id)

    assert first == subject_pseudonym(b"a" * 32, case_id)
    assert first != subject_pseudonym(b"b" * 32, case_id)
    assert first != subject_pseudonym(b"a" * 32, uuid4())
    assert case_id.hex not in first
