"""Leesmodellen: for the admin, each read model's versions, positions and lag
behind the event log (events and seconds), and a rebuild under way; the table
refreshes itself with htmx (and with the link, without JavaScript)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.read_models import read_model_states
from domain.permissions import Read
from web.guards import require
from web.labels import N_
from web.site import SignedInDep, SiteDep, page

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 5
STATUSES = {
    "serving": N_("In gebruik"),
    "building": N_("Wordt herbouwd"),
    "retired": N_("Vervangen"),
}


@router.get("/beheer/leesmodellen", response_class=HTMLResponse)
def projections_status(
    request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    require(person, Read.READ_OPERATIONS)
    head, states = read_model_states(here.container)
    return page(
        request,
        person,
        "projections_status.html",
        head=head,
        states=states,
        rebuilding=sorted({s.name for s in states if s.building}),
        statuses=STATUSES,
        refresh_seconds=REFRESH_SECONDS,
        read_at=here.container.service.clock.now(),
    )
