"""Pages about Dossier itself, open to everyone: the accessibility statement."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.site import VisitorDep, page

router = APIRouter(include_in_schema=False)


@router.get("/toegankelijkheid", response_class=HTMLResponse)
def accessibility(request: Request, person: VisitorDep) -> HTMLResponse:
    return page(request, person, "accessibility.html")
