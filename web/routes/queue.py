"""Werkvoorraad: the landing page, each role's queue of cases, with filters
(links that can be bookmarked) and a name search that never enters a URL."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api import commands
from api.problems import Problem
from api.reads import case_list_page, log_change, serves
from api.schemas import AssignmentCreate
from domain.errors import DossierError, NotPermitted
from domain.permissions import READERS, Command, Read, check_permitted
from domain.values import Category, Region, Role, Sector, Service, Status
from projections.case_list_view import CaseFilter, CaseRow
from web.forms import FormDep
from web.labels import N_
from web.site import PageError, SignedInDep, SiteDep, Visitor, page, redirect
from web.wording import refusal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
VERSION = re.compile(r"[0-9]{1,18}")
FILTERS = ("status", "region", "category", "sector", "service", "consultant")
CHOICES: dict[str, tuple[str, ...]] = {
    "status": tuple(Status),
    "region": tuple(Region),
    "category": tuple(Category),
    "sector": tuple(Sector),
    "service": tuple(Service),
}


@dataclass
class Queue:
    """One table of the page: a title, its rows, and the link to more."""

    key: str
    title: str
    rows: list[CaseRow]
    next_cursor: str | None = None
    selectable: bool = False  # rows carry a checkbox (assigning several at once)


MESSAGES = {
    "status": N_("Kies een bestaande status"),
    "region": N_("Kies een bestaande regio"),
    "category": N_("Kies een bestaande categorie"),
    "sector": N_("Kies een bestaande sector"),
    "service": N_("Kies een bestaande dienst"),
    "consultant": N_("Kies een bestaande consulent"),
    "date": N_("Vul een datum in als jjjj-mm-dd"),
    "cursor": N_("Deze vervolgpagina bestaat niet meer; u ziet de eerste pagina"),
}


def _filters(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The filters asked for, and the kind of error of each that is not valid."""
    chosen: dict[str, str] = {}
    errors: dict[str, str] = {}
    query = request.query_params
    for name in FILTERS:
        value = query.get(name, "").strip()
        if not value:
            continue
        if name == "consultant":
            try:
                value = str(UUID(value))
            except ValueError:
                errors[name] = "consultant"
                continue
        elif value not in CHOICES[name]:
            errors[name] = name
            continue
        chosen[name] = value
    for name in ("from", "to"):
        value = query.get(name, "").strip()
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                errors[name] = "date"
                continue
            chosen[name] = value
    return chosen, errors


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _case_filter(chosen: dict[str, str], **overrides: Any) -> CaseFilter:
    return CaseFilter(
        status=overrides.get("status", chosen.get("status")),
        region=chosen.get("region"),
        category=chosen.get("category"),
        sector=chosen.get("sector"),
        service=chosen.get("service"),
        consultant_id=chosen.get("consultant"),
        registered_from=date.fromisoformat(chosen["from"])
        if "from" in chosen
        else None,
        registered_to=date.fromisoformat(chosen["to"]) if "to" in chosen else None,
        q=overrides.get("q"),
    )


def _queues(
    request: Request,
    here: SiteDep,
    person: Visitor,
    chosen: dict[str, str],
    paged: tuple[str, str] | None,
    q: str | None = None,
) -> list[Queue]:
    """The page's tables; ``paged`` (a table's key and a cursor): only that
    table, from where its cursor points."""
    container, actor = here.container, person.actor

    @dataclass(frozen=True)
    class Spec:
        key: str
        title: str
        status: str | None
        open_only: bool = False
        order: str = "registered"
        selectable: bool = False

        def queue(self, cursor: str | None) -> Queue:
            f = replace(
                _case_filter(chosen, status=chosen.get("status", self.status), q=q),
                open_only=self.open_only and "status" not in chosen,
                order=self.order,
            )
            found = case_list_page(
                container, actor, request, f, limit=PAGE_SIZE, cursor=cursor
            )
            return Queue(
                self.key, self.title, found.rows, found.next_cursor, self.selectable
            )

    role = person.role
    if q is not None or chosen:
        specs = [Spec("found", N_("Gevonden zaken"), None)]
    elif role == Role.INTAKE:
        specs = [
            Spec("registered", N_("Nieuwe aanmeldingen"), Status.REGISTERED),
            Spec("intake", N_("Wacht op intake"), Status.AWAITING_INTAKE),
        ]
    elif role == Role.COORDINATOR:
        specs = [
            # Thuiszitters first (longest at home first), then the oldest
            # registration, over all pages (the case list orders them).
            Spec(
                "assignment",
                N_("Wacht op toewijzing"),
                Status.AWAITING_ASSIGNMENT,
                order="at_home",
                selectable=True,
            ),
            Spec("intake", N_("Wacht op intake"), Status.AWAITING_INTAKE),
        ]
    elif role == Role.CONSULTANT:
        specs = [Spec("mine", N_("Mijn zaken"), None, open_only=True, order="next_due")]
    else:
        specs = [Spec("all", N_("Alle zaken"), None)]
    if paged is not None:
        key, cursor = paged
        for spec in specs:
            if spec.key == key:
                return [spec.queue(cursor)]
    return [spec.queue(None) for spec in specs]


def _consultants(here: SiteDep, person: Visitor) -> list[dict[str, Any]]:
    if person.role != Role.COORDINATOR:
        return []
    return here.consultants(active=True)


def _draw(
    request: Request,
    here: SiteDep,
    person: Visitor,
    *,
    q: str | None = None,
    notice: str | None = None,
    results: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    chosen, errors = _filters(request)
    cursor = request.query_params.get("na") or None
    paged = (request.query_params.get("lijst", ""), cursor) if cursor else None
    try:
        queues = _queues(request, here, person, chosen, paged, q)
    except Problem as problem:
        if problem.status != 422:
            raise
        errors["na"] = "cursor"
        queues = _queues(request, here, person, chosen, None, q)
    except DossierError:
        errors["consultant"] = "consultant"
        chosen.pop("consultant", None)
        queues = _queues(request, here, person, chosen, None, q)
    return page(
        request,
        person,
        "queue.html",
        queues=queues,
        chosen=chosen,
        errors={field: person.t(MESSAGES[kind]) for field, kind in errors.items()},
        choices=CHOICES,
        consultants=_consultants(here, person),
        searched=q is not None,
        notice=notice,
        results=results or [],
        today=date.today(),
    )


@router.get("/", response_class=HTMLResponse)
@serves("case_list")
def work_queue(request: Request, person: SignedInDep, here: SiteDep) -> Response:
    if person.role not in READERS[Read.LIST_CASES]:
        # The record manager and privacy officer work from the destruction lists.
        if person.role in READERS[Read.READ_DESTRUCTION]:
            return redirect("/vernietiging")
        raise PageError(403)
    return _draw(request, here, person)


@router.post("/zoeken", response_class=HTMLResponse)
@serves("case_list")
def search(
    request: Request, person: SignedInDep, here: SiteDep, form: FormDep
) -> HTMLResponse:
    """Search by reference or pupil name: posted, so the name is in no URL or log."""
    q = form.text("q")[:100] or None
    return _draw(request, here, person, q=q)


@router.post("/toewijzen", response_class=HTMLResponse)
@serves("case_list")
def assign_several(
    request: Request, person: SignedInDep, here: SiteDep, form: FormDep
) -> HTMLResponse:
    """Assign the chosen cases (each at the version the page showed) to one
    consultant; the page says per case what happened."""
    try:
        check_permitted(person.actor, Command.ASSIGN)
        consultant_id = UUID(form.text("consultant_id"))
    except NotPermitted:
        raise PageError(403) from None
    except ValueError:
        return _draw(
            request,
            here,
            person,
            results=[("", person.t(N_("Kies een consulent om aan toe te wijzen")))],
        )
    results: list[tuple[str, str]] = []
    body = AssignmentCreate(consultant_id=consultant_id)
    for chosen in form.all("case")[:PAGE_SIZE]:
        case_text, _, version_text = chosen.partition(":")
        try:
            case_id = UUID(case_text)
            version = int(version_text) if VERSION.fullmatch(version_text) else None
        except ValueError:
            continue
        try:
            result = commands.assign(case_id, body)(
                here.container.service, person.actor, version
            )
        except DossierError as error:
            reference = _reference(here, case_id)
            results.append((reference, person.t(refusal(error))))
        else:
            log_change(here.container, person.actor, request, case_id, Command.ASSIGN)
            results.append((result.case.reference, person.t(N_("toegewezen"))))
    if not results:
        results = [("", person.t(N_("Kies eerst een of meer zaken")))]
    return _draw(request, here, person, results=results)


def _reference(here: SiteDep, case_id: UUID) -> str:
    try:
        return here.container.service.get_case(case_id).reference
    except DossierError:
        return str(case_id)
