"""Cases: register one, read it now or in the past, its history, the case list.

The lifecycle commands on a case are in case_commands.py.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import ActorDep, ContainerDep, CurrentUser, may_query, permitted
from api.idempotency import IdempotencyKey, run_command
from api.params import MAX_POSITION, Moment, moment
from api.presenters import case_public, case_summary_public, history_public
from api.reads import case_at, case_list_page, log_reads, serves
from api.schemas import (
    CaseCreate,
    CasePagePublic,
    CasePublic,
    HistoryEntryPublic,
)
from domain.permissions import Command, Read
from projections.case_list_view import CaseFilter

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


# --- registration -------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=CasePublic,
    dependencies=[Depends(permitted(Command.REGISTER))],
)
def register_case(
    body: CaseCreate,
    request: Request,
    response: Response,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Register a case (aanmelding); 201 with its Location."""
    registration = body.registration()
    new_id = container.service.new_case_id()
    public = run_command(
        request,
        response,
        container,
        user,
        body,
        key,
        lambda: container.service.register(registration, by=actor, case_id=new_id),
        resource_id=new_id,
        logged_as=Command.REGISTER,
        status_code=201,
    )
    response.headers["Location"] = f"{router.prefix}/{public.id}"
    return public


# --- reads -----------------------------------------------------------------------


@router.get(
    "/{case_id}",
    response_model=CasePublic,
    responses={404: {"description": "Unknown case (or not yet at as_of)"}},
    dependencies=[Depends(may_query(Read.READ_CASE))],
)
@serves("case_detail")
def get_case(
    case_id: UUID,
    request: Request,
    response: Response,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_POSITION)] = None,
    as_of: Annotated[
        Moment | None, Query(description="RFC 3339 time with offset")
    ] = None,
) -> CasePublic:
    """The case now, at a version, or as it stood at a moment."""
    moment("as_of", as_of)
    found = case_at(
        container,
        actor,
        request,
        case_id,
        purpose="case_detail",
        version=version,
        as_of=as_of,
    )
    response.headers["ETag"] = f'"{found.case.version}"'
    return case_public(found.case, found.deadlines)


@router.get(
    "/{case_id}/history",
    response_model=list[HistoryEntryPublic],
    dependencies=[Depends(may_query(Read.READ_HISTORY))],
)
@serves("case_history")
def get_history(
    case_id: UUID,
    request: Request,
    response: Response,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
) -> list[dict[str, Any]]:
    """The case's events in order: version, type, time, actor, data."""
    current = container.service.get_case(case_id)
    current.check_may_read(actor)
    entries = container.service.history(case_id)
    log_reads(container, actor, request, [case_id], "case_history")
    response.headers["ETag"] = f'"{current.version}"'
    return [history_public(e) for e in entries]


@router.get(
    "",
    response_model=CasePagePublic,
    responses={503: {"description": "The read model did not reach min_position"}},
    dependencies=[Depends(may_query(Read.LIST_CASES))],
)
@serves("case_list")
def list_cases(
    request: Request,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    status: str | None = None,
    region: str | None = None,
    category: str | None = None,
    sector: str | None = None,
    service: str | None = None,
    consultant_id: UUID | None = None,
    registered_from: date | None = None,
    registered_to: date | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> CasePagePublic:
    """The case list (read model), sorted by registration time; cursor paging."""
    filters = CaseFilter(
        status=status,
        region=region,
        category=category,
        sector=sector,
        service=service,
        consultant_id=str(consultant_id) if consultant_id else None,
        registered_from=registered_from,
        registered_to=registered_to,
        q=q,
    )
    page = case_list_page(
        container,
        actor,
        request,
        filters,
        limit=limit,
        cursor=cursor,
        min_position=min_position,
    )
    return CasePagePublic(
        items=[case_summary_public(r) for r in page.rows],
        next_cursor=page.next_cursor,
    )
