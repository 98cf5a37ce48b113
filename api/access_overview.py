"""The access overview of one case (NEN 7513): who read or changed it, when, in
which organisation and role, on what authorisation (the role, and for a
consultant whether the case was assigned to them then), what was viewed or
changed and for which purpose and processing activity; for the API and the
case's Inzage page. Built from the audit trail (changes from the events,
reads from the access log), personal values left out: it holds ids and codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from api.container import Container
from api.reads import TrailFilter, audit_trail_page
from domain.processing import EVENT_ACTIVITY, REGISTER, Activity
from domain.values import Role

PAGE_LIMIT = 500


@dataclass(frozen=True)
class Period:
    """From (inclusive) to (exclusive); either end may be open."""

    from_: datetime | None = None
    to: datetime | None = None


def _assignments(container: Container, case_id: UUID) -> list[tuple[str, str]]:
    """When each consultant was assigned (RFC 3339, consultant id), in order."""
    return [
        (e.recorded_at.isoformat(), str(e.data["consultant_id"]))
        for e in container.service.history(case_id)
        if e.type == "Assigned"
    ]


def _assigned_at(assignments: list[tuple[str, str]], moment: datetime) -> str | None:
    current = None
    for at, consultant in assignments:
        if datetime.fromisoformat(at) <= moment:
            current = consultant
    return current


def overview_item(
    item: dict[str, Any], organisation: str, assignments: list[tuple[str, str]]
) -> dict[str, Any]:
    """One trail item as the overview shows it."""
    at = datetime.fromisoformat(str(item["recorded_at"]))
    role = str(item["actor_role"]) if item["actor_role"] else None
    assigned = None
    if role == Role.CONSULTANT:
        assigned = _assigned_at(assignments, at) == item["actor_id"]
    if item["kind"] == "change":
        event = str(item["event_type"]).rpartition(".")[2]
        activity = EVENT_ACTIVITY.get(event)
        changes = item["changes"] or {}
        fields = sorted(set(changes.get("new") or {}) | set(changes.get("old") or {}))
        what: dict[str, Any] = {
            "event_type": item["event_type"],
            "description": item["action_display"],
            "version": item["resource_version"],
            "fields": fields,
        }
    else:
        activity = Activity(item["activity"]) if item["activity"] else None
        what = {"route": item["route"], "description": item["action_display"]}
    return {
        "at": item["recorded_at"],
        "kind": item["kind"],
        "organisation": organisation,
        "actor_id": item["actor_id"],
        "actor_role": role,
        "basis": {"role": role, "assigned_consultant": assigned},
        "what": what,
        "purpose": item["purpose"],
        "activity": str(activity) if activity else None,
        "activity_name": REGISTER[activity].name if activity else None,
        "request_id": item["request_id"],
        "trace_id": item["trace_id"],
    }


def access_overview(
    container: Container,
    case_id: UUID,
    period: Period,
    *,
    limit: int,
    cursor: str | None,
    min_position: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the case's accesses in time order and the next page's cursor.
    CaseNotFound for an unknown case; Problem 422 for a bad cursor or period."""
    assignments = _assignments(container, case_id)
    items, next_cursor = audit_trail_page(
        container,
        TrailFilter(case_id=case_id, from_=period.from_, to=period.to),
        limit=limit,
        cursor=cursor,
        min_position=min_position,
    )
    organisation = container.organisation
    return [overview_item(i, organisation, assignments) for i in items], next_cursor


def every_access(
    container: Container, case_id: UUID, min_position: int | None = None
) -> list[dict[str, Any]]:
    """All of the case's accesses (for the subject export), once the trail has
    the changes up to ``min_position``."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page, cursor = access_overview(
            container,
            case_id,
            Period(),
            limit=PAGE_LIMIT,
            cursor=cursor,
            min_position=min_position,
        )
        found.extend(page)
        if cursor is None:
            return found
