"""For auditors: the global event feed and the trail of who changed or read what."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.deps import ActorDep, ContainerDep, may_query
from api.params import MAX_POSITION, Moment, moment
from api.reads import TrailFilter, log_reads, opened_trail_page, serves
from api.schemas import FeedPublic
from domain.case import Case
from domain.history import history_entry
from domain.permissions import Read
from domain.values import Role

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
AUDITOR = may_query(Read.READ_AUDIT)


@router.get("/events", response_model=FeedPublic, dependencies=[Depends(AUDITOR)])
@serves("event_feed")
def events(
    request: Request,
    *,
    container: ContainerDep,
    actor: ActorDep,
    after: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Every event in log order after a position: case, type, time, actor, data."""
    notifications = container.service.recorder.select_notifications(
        start=after + 1, limit=limit
    )
    items: list[dict[str, Any]] = []
    case_ids: list[UUID] = []
    for n in notifications:
        event = container.service.mapper.to_domain_event(n)
        entry = history_entry(event)
        is_case = isinstance(event, Case.Event | Case.Registered)
        if is_case:
            case_ids.append(event.originator_id)
        items.append(
            {
                "position": n.id,
                "case_id": event.originator_id if is_case else None,
                "aggregate_id": event.originator_id,
                "aggregate_version": entry.version,
                "type": f"{type(event).__qualname__}",
                "recorded_at": entry.recorded_at,
                "actor": entry.actor.as_dict() if entry.actor else None,
                "data": entry.data,
            }
        )
    if case_ids:
        log_reads(container, actor, request, sorted(set(case_ids)), "event_feed")
    next_after = notifications[-1].id if len(notifications) == limit else None
    return {"items": items, "next_after": next_after}


@router.get("/trail", dependencies=[Depends(AUDITOR)])
@serves("audit_trail")
def trail(
    request: Request,
    *,
    container: ContainerDep,
    reader: ActorDep,
    case_id: UUID | None = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    role: Role | None = None,
    kind: Literal["change", "read"] | None = None,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> dict[str, Any]:
    """Who changed or read what: changes with old and new values, and reads.
    Opening personal values is itself logged as a read of each case's data."""
    moment("from", from_)
    moment("to", to)
    filters = TrailFilter(
        case_id=case_id,
        actor=actor,
        role=str(role) if role else None,
        kind=kind,
        from_=from_,
        to=to,
    )
    items, next_cursor = opened_trail_page(
        container,
        reader,
        request,
        filters,
        limit=limit,
        cursor=cursor,
        min_position=min_position,
    )
    return {"items": items, "next_cursor": next_cursor}
