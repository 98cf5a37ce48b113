"""Accountability for personal data: a case's access overview (NEN 7513), its
subject access export (AVG art. 15), and the Logboek Dataverwerkingen of a
period in Logius' LDV shape (JSON lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.access_overview import Period, access_overview
from api.deps import ActorDep, ContainerDep, may_query
from api.params import MAX_POSITION, Moment, moment
from api.problems import Problem
from api.reads import serves
from api.subject_access import PURPOSE, export_document, subject_export
from domain.permissions import Read
from domain.processing import subject_pseudonym
from projections.processing_log import ldv_records

router = APIRouter(prefix="/api/v1", tags=["privacy"])
NDJSON = "application/x-ndjson"


@router.get(
    "/cases/{case_id}/accesses",
    dependencies=[Depends(may_query(Read.READ_ACCESS_OVERVIEW))],
    responses={404: {"description": "Unknown case"}},
)
def case_accesses(
    case_id: UUID,
    *,
    container: ContainerDep,
    from_: Annotated[Moment | None, Query(alias="from")] = None,
    to: Moment | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> dict[str, Any]:
    """Who read or changed the case, in time order (NEN 7513): organisation,
    user, role, the authorisation (role; for a consultant whether the case was
    assigned to them then), what was viewed or changed, purpose and processing
    activity. Ids and codes only: reading it reads no personal data."""
    moment("from", from_)
    moment("to", to)
    container.service.get_case(case_id)  # 404 for an unknown case
    items, next_cursor = access_overview(
        container,
        case_id,
        Period(from_, to),
        limit=limit,
        cursor=cursor,
        min_position=min_position,
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/cases/{case_id}/subject-access",
    dependencies=[Depends(may_query(Read.EXPORT_SUBJECT_ACCESS))],
    responses={404: {"description": "Unknown case"}},
)
@serves(PURPOSE)
def case_subject_access(
    case_id: UUID, request: Request, *, container: ContainerDep, actor: ActorDep
) -> dict[str, Any]:
    """Everything Dossier holds about the case's pupil and requester (AVG art.
    15): personal data, facts, events, deadlines, outcome, and who accessed it
    and why. Making it is logged (purpose ``subject_access``); after erasure it
    says so and holds no personal data."""
    return export_document(subject_export(container, actor, request, case_id))


@router.get(
    "/audit/processing-log",
    dependencies=[Depends(may_query(Read.EXPORT_PROCESSING_LOG))],
    response_class=StreamingResponse,
    responses={200: {"content": {NDJSON: {}}, "description": "One LDV record a line"}},
)
def processing_log(
    *,
    container: ContainerDep,
    from_: Annotated[Moment, Query(alias="from")],
    to: Moment,
    case_id: UUID | None = None,
) -> StreamingResponse:
    """The Logboek Dataverwerkingen from ``from`` to ``to`` (exclusive), in
    Logius' LDV shape, one JSON record a line: trace and span ids, name,
    status, start and end, the processing activity and the data subject as a
    pseudonym (never a name)."""
    moment("from", from_)
    moment("to", to)
    if to <= from_:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "to must be later than from",
            errors=[{"field": "to", "message": "not after from"}],
        )
    secret = container.service.keyring.search_secret()

    def lines() -> Iterator[str]:
        for record in ldv_records(
            container.db,
            lambda case: subject_pseudonym(secret, case),
            from_=from_,
            to=to,
            case_id=case_id,
        ):
            yield json.dumps(record, ensure_ascii=False) + "\n"

    return StreamingResponse(lines(), media_type=NDJSON)
