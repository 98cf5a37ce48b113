"""Inzageverzoek: the subject access export of one case (AVG art. 15) as a page
that prints well, for coordinators and the privacy officer (the API's document,
api.subject_access, in words). Drawing it is logged as its own read."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.reads import serves
from api.subject_access import PURPOSE, subject_export
from domain.errors import CaseNotFound, NotPermitted
from domain.permissions import Read
from web.guards import require
from web.site import PageError, SignedInDep, SiteDep, page
from web.trail import named_actors
from web.wording import CLOCK_STATES, CLOCKS, ENDED_WITHOUT_CONTACT, EVENTS, PURPOSES

router = APIRouter(include_in_schema=False)


@router.get("/zaken/{case_id}/inzageverzoek", response_class=HTMLResponse)
@serves(PURPOSE)
def subject_access_page(
    case_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    require(person, Read.EXPORT_SUBJECT_ACCESS)
    try:
        export = subject_export(here.container, person.actor, request, case_id)
    except CaseNotFound:
        raise PageError(404) from None
    except NotPermitted:
        raise PageError(403) from None
    everyone = here.consultants()
    consultant_name = next(
        (c["name"] for c in everyone if c["id"] == str(export.case.consultant_id)),
        None,
    )
    return page(
        request,
        person,
        "subject_access.html",
        export=export,
        case=export.case,
        history=export.history,
        names={
            **here.actor_names(export.history, everyone),
            **named_actors(here, export.accesses),
        },
        consultant_name=consultant_name,
        events=EVENTS,
        clocks=CLOCKS,
        clock_states=CLOCK_STATES,
        ended_without_contact=ENDED_WITHOUT_CONTACT,
        purposes=PURPOSES,
    )
