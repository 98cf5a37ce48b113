"""Aanmelding: the registration form (intake and coordinator), the postcode's
suggestion of samenwerkingsverband and region (an htmx fragment, or the whole
form again without JavaScript), and registering the case once per form.

The case is registered as the API registers it: the CaseCreate body, its
registration(), the service's register through api/idempotency.py's
run_command, so a double click (the form's idempotency key sent twice) records
one case. Nothing typed is logged; the postcode and the pupil's name travel in
POST bodies only.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.idempotency import run_command
from api.problems import Problem
from api.schemas import CaseCreate
from domain.errors import InvalidCaseData
from domain.permissions import Command
from domain.values import Category, Channel, Region, RequesterRole, Sector, Service
from domain.zone import local_date
from web.forms import Form, FormDep
from web.guards import require
from web.labels import CLUSTER
from web.registration_form import (
    FIELDS,
    YES,
    Hint,
    check,
    domain_error,
    domain_errors,
    kept_key,
    message_of,
    new_key,
    suggestion,
)
from web.site import SignedInDep, SiteDep, Visitor, page, redirect

router = APIRouter(include_in_schema=False)

PATH = "/aanmelding"
LOOKUP_PATH = PATH + "/suggestie"
CHOICES: dict[str, tuple[str, ...]] = {
    "channel": tuple(Channel),
    "requester_role": tuple(RequesterRole),
    "sector": tuple(Sector),
    "cluster": tuple(CLUSTER),
    "region": tuple(Region),
    "category": tuple(Category),
    "service": tuple(Service),
}
# The lookup posts (with the CSRF token) only the fields it needs: the
# postcode never goes into a URL, the pupil's name not even into the request.
LOOKUP = {
    "hx-post": LOOKUP_PATH,
    "hx-target": "#swv-fields",
    "hx-swap": "outerHTML",
    "hx-include": "#form",
    "hx-sync": "closest form:replace",  # the newest lookup wins
    "hx-params": "csrf_token,pupil_pc4,sector,pupil_municipality,"
    "samenwerkingsverband,region",
}
ON_CHANGE = {**LOOKUP, "hx-trigger": "change"}
ORDER = {name: i for i, name in enumerate(("form", *FIELDS))}


def _values(form: Form) -> dict[str, str]:
    values = {name: form.text(name) for name in FIELDS}
    values["idempotency_key"] = kept_key(
        {"idempotency_key": form.text("idempotency_key")}
    )
    return values


def _hint(person: Visitor, hint: Hint | None) -> str | None:
    return None if hint is None else person.t(hint.text, **hint.values)


def _context(
    person: Visitor, errors: dict[str, str], hint: Hint | None
) -> dict[str, Any]:
    ordered = sorted(errors.items(), key=lambda item: ORDER.get(item[0], 0))
    return {
        "errors": {name: person.t(message_of(name, kind)) for name, kind in ordered},
        "hint": _hint(person, hint),
        "choices": CHOICES,
        "lookup": LOOKUP,
        "on_change": ON_CHANGE,
    }


def _draw(
    request: Request,
    person: Visitor,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    *,
    hint: Hint | None = None,
    focus_swv: bool = False,
) -> HTMLResponse:
    return page(
        request,
        person,
        "registration.html",
        status=422 if errors else 200,
        values=values,
        focus_swv=focus_swv,
        **_context(person, errors or {}, hint),
    )


@router.get(PATH, response_class=HTMLResponse)
def registration_page(request: Request, person: SignedInDep) -> HTMLResponse:
    require(person, Command.REGISTER)
    return _draw(
        request, person, {"idempotency_key": new_key(), "receives_education": YES}
    )


@router.post(PATH, response_class=HTMLResponse)
def register(
    request: Request, person: SignedInDep, here: SiteDep, form: FormDep
) -> Response:
    """Register the case (or, with the lookup button, draw the form again with
    the postcode's suggestion): 303 to the new case, or the form with its errors."""
    require(person, Command.REGISTER)
    values = _values(form)
    if form.text("action") == "suggest":
        filled, hint = suggestion(values)
        return _draw(request, person, {**values, **filled}, hint=hint, focus_swv=True)
    checked = check(values)
    if checked.body is None:
        return _draw(request, person, values, checked.errors)
    today = local_date(here.container.service.clock.now())
    errors = domain_errors(checked.body.registration(), today)
    if errors:
        return _draw(request, person, values, errors)
    try:
        case_id = _register(
            request, here, person, checked.body, values["idempotency_key"]
        )
    except InvalidCaseData as refused:
        return _draw(request, person, values, dict([domain_error(refused)]))
    except Problem as problem:
        if problem.kind != "idempotency-key-reused":
            raise
        # The key was used for a registration with other data (the form sent,
        # then changed and sent again): say so, and give the form a new key.
        fresh = {**values, "idempotency_key": new_key()}
        return _draw(request, person, fresh, {"form": "sent"})
    return redirect(f"/zaken/{case_id}")


def _register(
    request: Request, here: SiteDep, person: Visitor, body: CaseCreate, key: str
) -> UUID:
    """The API's registration: one case per idempotency key (a repeat finds
    the first)."""
    assert person.user is not None
    service = here.container.service
    registration = body.registration()
    new_id = service.new_case_id()
    public = run_command(
        request,
        Response(),
        here.container,
        person.user,
        body,
        key,
        lambda: service.register(registration, by=person.actor, case_id=new_id),
        resource_id=new_id,
        logged_as=Command.REGISTER,
        status_code=201,
    )
    return public.id


@router.post(LOOKUP_PATH, response_class=HTMLResponse)
def lookup(request: Request, person: SignedInDep, form: FormDep) -> HTMLResponse:
    """htmx: the samenwerkingsverband and region the postcode area suggests."""
    require(person, Command.REGISTER)
    values = _values(form)
    filled, hint = suggestion(values)
    return page(
        request,
        person,
        "registration_suggestion.html",
        values={**values, **filled},
        municipality_filled="pupil_municipality" in filled,
        **_context(person, {}, hint),
    )
