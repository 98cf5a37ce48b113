"""Inzage: per case, who read or changed its personal data, in which role, when,
and on which route or page (the view NEN 7513 asks for), from the audit trail."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.reads import TrailFilter
from domain.errors import CaseNotFound
from domain.permissions import Read
from web.guards import require
from web.site import PageError, SignedInDep, SiteDep, page
from web.trail import named_actors, trail_page
from web.wording import PURPOSES, TRAIL_KINDS, trail_action

router = APIRouter(include_in_schema=False)


@router.get("/controle/zaken/{case_id}/inzage", response_class=HTMLResponse)
def access_overview(
    case_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    require(person, Read.READ_AUDIT)
    try:
        reference = here.container.service.get_case(case_id).reference
    except CaseNotFound:
        raise PageError(404) from None
    cursor = request.query_params.get("na", "").strip()[:500] or None
    errors: dict[str, str] = {}
    items, next_cursor = trail_page(
        here, TrailFilter(case_id=case_id), cursor, errors, person
    )
    return page(
        request,
        person,
        "access_overview.html",
        case_id=case_id,
        reference=reference,
        items=items,
        next_cursor=next_cursor,
        paged=cursor is not None and not errors,
        errors=errors,
        names=named_actors(here, items),
        kinds=TRAIL_KINDS,
        purposes=PURPOSES,
        action=trail_action,
    )
