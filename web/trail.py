"""What the audit trail's pages share (the trail and a case's access overview):
a page of the trail and the names of the users in it."""

from __future__ import annotations

from typing import Any

from api.problems import Problem
from api.reads import TrailFilter, audit_trail_page
from web.labels import N_
from web.site import Site, Visitor

PAGE_SIZE = 50
GONE = N_("Deze vervolgpagina bestaat niet meer; u ziet de eerste pagina")


def named_actors(here: Site, items: list[dict[str, Any]]) -> dict[str, str]:
    """The names of the users in ``items``, where Dossier knows them."""
    names: dict[str, str] = {}
    for actor_id in {str(i["actor_id"]) for i in items if i.get("actor_id")}:
        user = here.container.users.get(actor_id)
        if user is not None:
            names[actor_id] = user.name
    return names


def trail_page(
    here: Site,
    filters: TrailFilter,
    cursor: str | None,
    errors: dict[str, str],
    person: Visitor,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the trail; a cursor not handed out gives the first page, said
    beside the paging."""
    try:
        return audit_trail_page(here.container, filters, limit=PAGE_SIZE, cursor=cursor)
    except Problem as problem:
        if problem.status != 422 or cursor is None:
            raise
        errors["na"] = person.t(GONE)
        return audit_trail_page(here.container, filters, limit=PAGE_SIZE, cursor=None)
