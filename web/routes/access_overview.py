"""Inzage: per case, who read or changed its personal data, when, in which
organisation and role, on what authorisation, what was viewed or changed and
for which purpose (the view NEN 7513 asks for), filterable by period; for the
auditor and the case's coordinators (api.access_overview: the API's answer)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.access_overview import Period, access_overview
from api.problems import Problem
from domain.errors import CaseNotFound
from domain.permissions import READERS, Read
from web.guards import require
from web.routes.audit_trail import MESSAGES, asked_period
from web.site import PageError, SignedInDep, SiteDep, page
from web.trail import GONE, PAGE_SIZE, named_actors
from web.wording import PURPOSES, TRAIL_KINDS

router = APIRouter(include_in_schema=False)


@router.get("/controle/zaken/{case_id}/inzage", response_class=HTMLResponse)
def access_overview_page(
    case_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    require(person, Read.READ_ACCESS_OVERVIEW)
    try:
        reference = here.container.service.get_case(case_id).reference
    except CaseNotFound:
        raise PageError(404) from None
    query = request.query_params
    values = {n: query.get(n, "").strip()[:100] for n in ("van", "tot")}
    values = {k: v for k, v in values.items() if v}
    codes: dict[str, str] = {}
    period = Period(*asked_period(values, codes))
    errors = {field: person.t(MESSAGES[code]) for field, code in codes.items()}
    cursor = query.get("na", "").strip()[:500] or None
    try:
        items, next_cursor = access_overview(
            here.container, case_id, period, limit=PAGE_SIZE, cursor=cursor
        )
    except Problem as problem:  # a cursor not handed out: the first page
        if problem.status != 422 or cursor is None:
            raise
        errors["na"] = person.t(GONE)
        cursor = None
        items, next_cursor = access_overview(
            here.container, case_id, period, limit=PAGE_SIZE, cursor=None
        )
    return page(
        request,
        person,
        "access_overview.html",
        case_id=case_id,
        reference=reference,
        items=items,
        next_cursor=next_cursor,
        paged=cursor is not None,
        values=values,
        errors=errors,
        names=named_actors(here, items),
        kinds=TRAIL_KINDS,
        purposes=PURPOSES,
        may_replay=person.role in READERS[Read.READ_AUDIT],
    )
