"""Consultants (coordinator and admin): the list with region, kind, capacity and
open cases (the workload read model, as the API lists them), adding one,
changing one, and deactivating (after a confirmation) or reactivating one.

Every change goes through the service's consultant commands with the API's
bodies (ConsultantCreate, ConsultantUpdate); after a change the page waits for
the workload read model to have it, so the list shown next includes it.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.container import Container
from api.reads import READ_WAIT_SECONDS, serving_view
from api.schemas import ConsultantCreate, ConsultantUpdate
from domain.consultant import Consultant
from domain.errors import (
    ConsultantError,
    ConsultantNotFound,
    InvalidCaseData,
    VersionMismatch,
)
from domain.permissions import Command, Read
from domain.values import Region, Service
from projections.workload import WorkloadProjection
from web.forms import Form, FormDep
from web.guards import require
from web.labels import N_
from web.site import PageError, SignedInDep, SiteDep, Visitor, page, redirect
from web.validation import parse, without_blanks

router = APIRouter(include_in_schema=False)

PATH = "/consulenten"
FIELDS = ("name", "region", "kind", "capacity")
VERSION = re.compile(r"[0-9]{1,18}")
CHOICES: dict[str, tuple[str, ...]] = {"region": tuple(Region), "kind": tuple(Service)}
MESSAGES: dict[tuple[str, str], str] = {
    ("name", "missing"): N_("Vul de naam van de consulent in"),
    ("name", "invalid"): N_("De naam is te lang (hoogstens 200 tekens)"),
    ("region", "missing"): N_("Kies de regio"),
    ("region", "invalid"): N_("Kies de regio"),
    ("kind", "missing"): N_("Kies de soort consulent"),
    ("kind", "invalid"): N_("Kies de soort consulent"),
    ("capacity", "missing"): N_("Vul de capaciteit in: het aantal open zaken"),
    ("capacity", "invalid"): N_("Vul een heel getal van 0 tot en met 200 in"),
    ("form", "invalid"): N_("Het formulier bevat tekens die Dossier niet kan bewaren"),
    ("form", "stale"): N_(
        "Iemand anders heeft deze consulent intussen gewijzigd. U ziet nu de "
        "nieuwe gegevens; voer uw wijziging zo nodig opnieuw in."
    ),
}
DONE = {
    "toegevoegd": N_("De consulent is toegevoegd."),
    "gewijzigd": N_("De gegevens van de consulent zijn bewaard."),
    "gedeactiveerd": N_(
        "De consulent is gedeactiveerd en krijgt geen nieuwe zaken meer."
    ),
    "geactiveerd": N_("De consulent is weer actief."),
}


def _managers_only(person: Visitor) -> None:
    require(person, Command.MANAGE_CONSULTANTS, Read.READ_CONSULTANTS)


def _workload(container: Container) -> Any:
    view, _ = serving_view(container, WorkloadProjection, None)
    return view


def _load(container: Container, consultant_id: UUID) -> dict[str, Any] | None:
    view = _workload(container)  # before the read: it reads the serving version
    with container.db.reading() as tx:
        found: dict[str, Any] | None = view.consultant(tx, consultant_id)
    return found


def _consultant(here: SiteDep, consultant_id: UUID) -> Consultant:
    try:
        return here.container.service.get_consultant(consultant_id)
    except ConsultantNotFound:
        raise PageError(404) from None


def _settled(container: Container, consultant: Consultant) -> None:
    """Wait (a little) until the workload read model has the consultant's change."""
    position = container.service.log_position_of(consultant.id, consultant.version)
    container.wait_for(position, READ_WAIT_SECONDS, [WorkloadProjection.name])


def _errors(person: Visitor, kinds: dict[str, str]) -> dict[str, str]:
    ordered = sorted(kinds.items(), key=lambda kv: (*FIELDS, "form").index(kv[0]))
    return {
        name: person.t(MESSAGES.get((name, kind), MESSAGES[(name, "invalid")]))
        for name, kind in ordered
    }


def _refusal(refused: ConsultantError | InvalidCaseData) -> dict[str, str]:
    """The field a domain rule on consultants refused (their capacity or name)."""
    if isinstance(refused, InvalidCaseData):
        return {"name": "invalid"}
    return {"capacity": "invalid"}


def _typed(form: Form) -> dict[str, str]:
    return {name: form.text(name) for name in FIELDS}


# --- the list -------------------------------------------------------------------


@router.get(PATH, response_class=HTMLResponse)
def consultants_page(
    request: Request, person: SignedInDep, here: SiteDep, gedaan: str = ""
) -> HTMLResponse:
    _managers_only(person)
    view = _workload(here.container)
    with here.container.db.reading() as tx:
        rows = view.consultants(tx)
    done = DONE.get(gedaan)
    return page(
        request,
        person,
        "consultants.html",
        consultants=rows,
        notice=person.t(done) if done else None,
    )


# --- adding ---------------------------------------------------------------------


def _draw_form(
    request: Request,
    person: Visitor,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    consultant: dict[str, Any] | None = None,
    status: int | None = None,
) -> HTMLResponse:
    return page(
        request,
        person,
        "consultant_form.html",
        status=status or (422 if errors else 200),
        values=values,
        errors=_errors(person, errors or {}),
        choices=CHOICES,
        consultant=consultant,
    )


@router.get(PATH + "/nieuw", response_class=HTMLResponse)
def new_consultant_page(request: Request, person: SignedInDep) -> HTMLResponse:
    _managers_only(person)
    return _draw_form(request, person, {})


@router.post(PATH + "/nieuw", response_class=HTMLResponse)
def add_consultant(
    request: Request, person: SignedInDep, here: SiteDep, form: FormDep
) -> Response:
    _managers_only(person)
    values = _typed(form)
    body, errors = parse(ConsultantCreate, without_blanks(_blank_is_none(values)))
    if body is None:
        return _draw_form(request, person, values, errors)
    try:
        consultant = here.container.service.register_consultant(
            body.name, body.region, body.kind, body.capacity, by=person.actor
        )
    except (ConsultantError, InvalidCaseData) as refused:
        return _draw_form(request, person, values, _refusal(refused))
    _settled(here.container, consultant)
    return redirect(PATH + "?gedaan=toegevoegd")


def _blank_is_none(values: dict[str, str]) -> dict[str, str | None]:
    return {name: value or None for name, value in values.items()}


# --- changing -------------------------------------------------------------------


def _shown(here: SiteDep, consultant: Consultant) -> dict[str, Any]:
    """The consultant as the edit and confirmation pages show them."""
    load = _load(here.container, consultant.id)
    return {
        **consultant.as_dict(),
        "open_cases": load["open_cases"] if load else None,
    }


@router.get(PATH + "/{consultant_id}", response_class=HTMLResponse)
def consultant_page(
    consultant_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    _managers_only(person)
    consultant = _consultant(here, consultant_id)
    shown = _shown(here, consultant)
    values = {name: str(shown[name]) for name in FIELDS}
    return _draw_form(request, person, values, consultant=shown)


@router.post(PATH + "/{consultant_id}", response_class=HTMLResponse)
def change_consultant(
    consultant_id: UUID,
    request: Request,
    person: SignedInDep,
    here: SiteDep,
    form: FormDep,
) -> Response:
    _managers_only(person)
    consultant = _consultant(here, consultant_id)
    values = {**_typed(form), "kind": consultant.kind}  # the kind stays as it is
    data = {k: values[k] or None for k in ("name", "region", "capacity")}
    body, errors = parse(ConsultantUpdate, without_blanks(data))
    errors.update({k: "missing" for k, v in data.items() if v is None})
    version = form.text("version")
    if not VERSION.fullmatch(version):
        errors["form"] = "invalid"
    if body is None or errors:
        return _draw_form(request, person, values, errors, _shown(here, consultant))
    try:
        changed = here.container.service.update_consultant(
            consultant_id,
            by=person.actor,
            name=body.name,
            region=body.region,
            capacity=body.capacity,
            expected_version=int(version),
        )
    except VersionMismatch:
        # Drawn from an older version: the fresh consultant, never a lost update.
        fresh = _shown(here, _consultant(here, consultant_id))
        current = {name: str(fresh[name]) for name in FIELDS}
        return _draw_form(
            request, person, current, {"form": "stale"}, fresh, status=409
        )
    except (ConsultantError, InvalidCaseData) as refused:
        shown = _shown(here, consultant)
        return _draw_form(request, person, values, _refusal(refused), shown)
    _settled(here.container, changed)
    return redirect(PATH + "?gedaan=gewijzigd")


# --- deactivating and reactivating ------------------------------------------------


@router.get(PATH + "/{consultant_id}/deactiveren", response_class=HTMLResponse)
def deactivate_page(
    consultant_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> Response:
    _managers_only(person)
    consultant = _consultant(here, consultant_id)
    if not consultant.active:
        return redirect(f"{PATH}/{consultant_id}")
    return page(
        request,
        person,
        "consultant_deactivate.html",
        consultant=_shown(here, consultant),
    )


@router.post(PATH + "/{consultant_id}/deactiveren")
def deactivate(
    consultant_id: UUID, person: SignedInDep, here: SiteDep, _: FormDep
) -> Response:
    return _set_active(consultant_id, person, here, active=False)


@router.post(PATH + "/{consultant_id}/activeren")
def reactivate(
    consultant_id: UUID, person: SignedInDep, here: SiteDep, _: FormDep
) -> Response:
    return _set_active(consultant_id, person, here, active=True)


def _set_active(
    consultant_id: UUID, person: Visitor, here: SiteDep, *, active: bool
) -> Response:
    _managers_only(person)
    _consultant(here, consultant_id)
    changed = here.container.service.update_consultant(
        consultant_id, by=person.actor, active=active
    )
    _settled(here.container, changed)
    return redirect(
        PATH + ("?gedaan=geactiveerd" if active else "?gedaan=gedeactiveerd")
    )
