"""Logboek: the auditor's audit trail (changes and reads, ZGW-shaped), filtered by
case, user, role, period and kind, with cursor paging and a CSV export of what
the filters select. Filters are GET parameters of ids and codes only: a case is
given by reference or id, never by a name."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from api.reads import TrailFilter, audit_trail_page
from domain.errors import CaseNotFound
from domain.permissions import Read
from domain.values import Role
from domain.zone import AMSTERDAM
from projections.audit_queries import KINDS
from web.guards import require
from web.labels import N_
from web.site import SignedInDep, Site, SiteDep, Visitor, page, redirect
from web.trail import named_actors, trail_page
from web.wording import PURPOSES, TRAIL_KINDS, trail_action

router = APIRouter(include_in_schema=False)

EXPORT_BATCH = 1000
EXPORT_MAX_ROWS = 100_000
REFERENCE = re.compile(r"OC-[0-9]{4}-[0-9]{5}")
ACTOR = re.compile(r"[A-Za-z0-9_.:@-]{1,100}")
ROLES = tuple(str(r) for r in Role)
MESSAGES = {
    "zaak": N_("Vul een referentie (OC-2026-00123) of een zaak-id in"),
    "unknown-case": N_("Er is geen zaak met deze referentie"),
    "gebruiker": N_(
        "Vul een gebruikers-id of gebruikersnaam in (letters, cijfers, - en _)"
    ),
    "rol": N_("Kies een bestaande rol"),
    "soort": N_("Kies wijziging of inzage"),
    "date": N_("Vul een datum in als jjjj-mm-dd"),
    "period": N_("De einddatum ligt vóór de begindatum"),
}
CSV_COLUMNS = (
    "recorded_at",
    "kind",
    "action",
    "action_display",
    "event_type",
    "resource",
    "resource_id",
    "resource_version",
    "case_id",
    "actor_id",
    "actor_role",
    "request_id",
    "route",
    "purpose",
    "comment",
    "fields",
    "erased",
    "uuid",
)


@dataclass
class Asked:
    """The filters as asked (for the form and the links), the trail's filter
    they make, and what was wrong with each field."""

    values: dict[str, str]
    filters: TrailFilter
    errors: dict[str, str]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def asked_period(
    values: dict[str, str], errors: dict[str, str]
) -> tuple[datetime | None, datetime | None]:
    """The period the fields "van" and "tot en met" (days) ask for, as moments
    (the start of the first day, the start of the day after the last); a field
    that is not a day, or a "tot" before "van", is put in ``errors``."""
    days: dict[str, date] = {}
    for name in ("van", "tot"):
        if name in values:
            try:
                days[name] = date.fromisoformat(values[name])
            except ValueError:
                errors[name] = "date"
    if "van" in days and "tot" in days and days["tot"] < days["van"]:
        errors["tot"] = "period"
        del days["tot"]
    return (
        _day_start(days["van"]) if "van" in days else None,
        _day_start(days["tot"] + timedelta(days=1)) if "tot" in days else None,
    )


def asked(request: Request, here: Site, person: Visitor) -> Asked:
    """The trail's filters from the query string, each checked."""
    query = request.query_params
    values = {
        name: query.get(name, "").strip()[:100]
        for name in ("zaak", "gebruiker", "rol", "soort", "van", "tot")
    }
    values = {k: v for k, v in values.items() if v}
    errors: dict[str, str] = {}
    case_id = _case_id(here, values.get("zaak"), errors)
    actor = values.get("gebruiker")
    if actor is not None and not ACTOR.fullmatch(actor):
        errors["gebruiker"] = "gebruiker"
        actor = None
    elif actor is not None and here.container.users.get(actor) is None:
        # A user name (staff log in with one) stands for that user's id.
        user = here.container.users.named(actor)
        actor = user.id if user is not None else actor
    role = values.get("rol")
    if role is not None and role not in ROLES:
        errors["rol"] = "rol"
        role = None
    kind = values.get("soort")
    if kind is not None and kind not in KINDS:
        errors["soort"] = "soort"
        kind = None
    from_, to = asked_period(values, errors)
    filters = TrailFilter(
        case_id=case_id, actor=actor, role=role, kind=kind, from_=from_, to=to
    )
    shown = {field: person.t(MESSAGES[kind]) for field, kind in errors.items()}
    return Asked(values, filters, shown)


def _case_id(here: Site, text: str | None, errors: dict[str, str]) -> UUID | None:
    if text is None:
        return None
    if REFERENCE.fullmatch(text.upper()):
        try:
            return here.container.service.find_case_id(text.upper())
        except CaseNotFound:
            errors["zaak"] = "unknown-case"
            return None
    try:
        return UUID(text)
    except ValueError:
        errors["zaak"] = "zaak"
        return None


@router.get("/controle/logboek", response_class=HTMLResponse)
def audit_trail(request: Request, person: SignedInDep, here: SiteDep) -> HTMLResponse:
    require(person, Read.READ_AUDIT)
    question = asked(request, here, person)
    cursor = request.query_params.get("na", "").strip()[:500] or None
    items, next_cursor = trail_page(
        here, question.filters, cursor, question.errors, person
    )
    return page(
        request,
        person,
        "audit_trail.html",
        items=items,
        next_cursor=next_cursor,
        paged=cursor is not None and "na" not in question.errors,
        values=question.values,
        errors=question.errors,
        names=named_actors(here, items),
        roles=ROLES,
        kinds=TRAIL_KINDS,
        purposes=PURPOSES,
        action=trail_action,
    )


@router.get("/controle/logboek.csv")
def audit_trail_csv(request: Request, person: SignedInDep, here: SiteDep) -> Response:
    """Every item the filters select (up to EXPORT_MAX_ROWS), as CSV; filters
    that are not valid are shown beside their fields on the trail's page."""
    require(person, Read.READ_AUDIT)
    question = asked(request, here, person)
    if question.errors:
        return redirect("/controle/logboek?" + urlencode(question.values))
    # The first batch is read now, so that a store that fails, fails here.
    first = audit_trail_page(
        here.container, question.filters, limit=EXPORT_BATCH, cursor=None
    )
    return StreamingResponse(
        _csv_lines(here, question.filters, first),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="logboek.csv"'},
    )


def _csv_lines(
    here: Site,
    filters: TrailFilter,
    first: tuple[list[dict[str, Any]], str | None],
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    items, cursor = first
    written = 0
    while True:
        for item in items:
            writer.writerow([_cell(v) for v in csv_row(item)])
        written += len(items)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if cursor is None or written >= EXPORT_MAX_ROWS:
            return
        items, cursor = audit_trail_page(
            here.container, filters, limit=EXPORT_BATCH, cursor=cursor
        )


def changed_fields(item: dict[str, Any]) -> list[str]:
    """The names of the fields a change changed (never their values)."""
    changes = item.get("changes") or {}
    return sorted((changes.get("old") or {}).keys() | (changes.get("new") or {}).keys())


def csv_row(item: dict[str, Any]) -> list[Any]:
    row = {**item, "fields": " ".join(changed_fields(item))}
    return [row.get(column) for column in CSV_COLUMNS]


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
