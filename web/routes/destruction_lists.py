"""Destruction lists (vernietigingslijsten) and their certificates: the lists,
proposing what the retention period made due (record manager), one list with
its cases, taking a case off with a reason and finishing the review (record
manager), approving (privacy officer), running (either), and the certificate
once completed. The pages show case references, codes, dates and user names,
never personal data; every step is the service's, with the domain's roles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.container import Container
from api.reads import READ_WAIT_SECONDS, serving_view
from api.schemas import DestructionRemoval
from domain.destruction import DestructionList, ListState
from domain.errors import (
    DestructionError,
    DestructionListNotFound,
    DossierError,
    InvalidCaseData,
)
from domain.permissions import ALLOWED, Command, Read
from domain.values import HoldReason
from domain.zone import AMSTERDAM
from projections.destruction_lists import DestructionListsProjection
from projections.retention import ReadModelMissing, propose_due
from web.forms import FormDep
from web.guards import require
from web.labels import N_
from web.site import PageError, SignedInDep, SiteDep, Visitor, page, redirect
from web.wording import field_problem, field_problems

router = APIRouter(include_in_schema=False)

PATH = "/vernietiging"
HOLD_REASONS = tuple(HoldReason)
DONE = {
    "voorgesteld": N_("De vernietigingslijst is voorgesteld."),
    "niets": N_("Er zijn geen zaken waarvan de bewaartermijn is verstreken."),
    "verwijderd": N_("De zaak is van de lijst gehaald."),
    "beoordeeld": N_("De beoordeling is afgerond; de lijst wacht op goedkeuring."),
    "goedgekeurd": N_("De lijst is goedgekeurd en kan worden uitgevoerd."),
    "uitgevoerd": N_("De vernietiging is uitgevoerd."),
}
REFUSALS = {
    "four-eyes": N_(
        "Wie de lijst voorstelde of beoordeelde, mag haar niet goedkeuren."
    ),
    "list-state": N_("Dit kan niet in de huidige stand van de lijst."),
    "already-removed": N_("Deze zaak is al van de lijst gehaald."),
    "not-listed": N_("Deze zaak staat niet op de lijst."),
}
STATES = {
    ListState.PROPOSED: N_("Voorgesteld"),
    ListState.REVIEWED: N_("Beoordeeld"),
    ListState.APPROVED: N_("Goedgekeurd"),
    ListState.COMPLETED: N_("Uitgevoerd"),
}
OUTCOMES = {
    "waiting": N_("Wacht op uitvoering"),
    "erased": N_("Vernietigd"),
    "already_erased": N_("Was al vernietigd"),
    "skipped": N_("Overgeslagen"),
}
KINDS = {"retention": N_("Bewaartermijn"), "on_request": N_("Op verzoek")}


def _moment(value: float | str | None) -> str:
    if value is None:
        return "\N{EN DASH}"
    moment = (
        datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, float)
        else datetime.fromisoformat(value)
    )
    return moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def _view(container: Container) -> Any:
    view, _ = serving_view(container, DestructionListsProjection, None)
    return view


def _settled(container: Container, lst: DestructionList) -> None:
    """Wait (a little) until the lists read model has the list's change."""
    position = container.service.log_position_of(lst.id, lst.version)
    container.wait_for(position, READ_WAIT_SECONDS, [DestructionListsProjection.name])


def _load(here: SiteDep, list_id: UUID) -> DestructionList:
    try:
        return here.container.service.get_destruction_list(list_id)
    except DestructionListNotFound:
        raise PageError(404) from None


def _names(here: SiteDep, user_ids: set[str]) -> dict[str, str]:
    names = {"system": "Dossier"}
    for user_id in user_ids - set(names):
        user = here.container.users.get(user_id)
        if user is not None:
            names[user_id] = user.name
    return names


def _may(person: Visitor, command: Command) -> bool:
    return person.role in ALLOWED[command]


@router.get(PATH, response_class=HTMLResponse)
def lists_page(
    request: Request, person: SignedInDep, here: SiteDep, gedaan: str = ""
) -> HTMLResponse:
    require(person, Read.READ_DESTRUCTION)
    view = _view(here.container)  # before the read: it reads the serving version
    with here.container.db.reading() as tx:
        rows = view.recent(tx)
    done = DONE.get(gedaan)
    return page(
        request,
        person,
        "destruction_lists.html",
        lists=rows,
        may_propose=_may(person, Command.PROPOSE_DESTRUCTION),
        states=STATES,
        kinds=KINDS,
        moment=_moment,
        notice=person.t(done) if done else None,
    )


@router.post(PATH, response_class=HTMLResponse)
def propose(
    request: Request, person: SignedInDep, here: SiteDep, form: FormDep
) -> Response:
    require(person, Command.PROPOSE_DESTRUCTION)
    container = here.container
    try:
        proposal = propose_due(
            container.service,
            container.db,
            years=container.retention_years,
            by=person.actor,
        )
    except ReadModelMissing:
        raise PageError(503) from None
    made = proposal.destruction_list
    if made is None:
        return redirect(f"{PATH}?gedaan=niets")
    _settled(container, made)
    return redirect(f"{PATH}/{made.id}?gedaan=voorgesteld")


def draw(
    request: Request,
    here: SiteDep,
    person: Visitor,
    lst: DestructionList,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    refusal: str | None = None,
) -> HTMLResponse:
    certificate = lst.certificate()
    done = DONE.get(request.query_params.get("gedaan", ""))
    steps = [certificate[s] for s in ("proposed", "reviewed", "approved", "completed")]
    who = {s["by"] for s in steps if s} | {r["by"] for r in certificate["removed"]}
    return page(
        request,
        person,
        "destruction_list.html",
        status=status,
        lst=certificate,
        names=_names(here, who),
        states=STATES,
        kinds=KINDS,
        outcomes=OUTCOMES,
        moment=_moment,
        hold_reasons=HOLD_REASONS,
        may_review=lst.state == ListState.PROPOSED
        and _may(person, Command.REVIEW_DESTRUCTION),
        may_approve=lst.state == ListState.REVIEWED
        and _may(person, Command.APPROVE_DESTRUCTION),
        may_run=lst.state == ListState.APPROVED
        and _may(person, Command.RUN_DESTRUCTION),
        errors={k: person.t(v) for k, v in (errors or {}).items()},
        values=values or {},
        refusal=person.t(refusal) if refusal else None,
        notice=person.t(done) if done else None,
    )


@router.get(PATH + "/{list_id}", response_class=HTMLResponse)
def list_page(
    list_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    require(person, Read.READ_DESTRUCTION)
    return draw(request, here, person, _load(here, list_id))


def _refused(error: DossierError) -> str:
    return REFUSALS.get(error.rule, REFUSALS["list-state"])


@router.post(PATH + "/{list_id}/verwijderen", response_class=HTMLResponse)
def remove_case(
    list_id: UUID,
    request: Request,
    person: SignedInDep,
    here: SiteDep,
    form: FormDep,
) -> Response:
    require(person, Command.REVIEW_DESTRUCTION)
    lst = _load(here, list_id)
    values = form.values()
    data = {
        k: v for k in ("case_id", "reason", "file_reference") if (v := form.text(k))
    }
    try:
        body = DestructionRemoval.model_validate(data)
    except ValidationError as error:
        errors = field_problems(error)
        return draw(
            request, here, person, lst, status=422, errors=errors, values=values
        )
    service = here.container.service
    try:
        lst = service.remove_from_destruction_list(
            list_id, body.case_id, body.reason, body.file_reference, by=person.actor
        )
    except InvalidCaseData as error:
        field, problem = field_problem(error)
        return draw(
            request,
            here,
            person,
            lst,
            status=422,
            errors={field: problem},
            values=values,
        )
    except DestructionError as error:
        return draw(
            request,
            here,
            person,
            _load(here, list_id),
            status=409,
            refusal=_refused(error),
            values=values,
        )
    _settled(here.container, lst)
    return redirect(f"{PATH}/{list_id}?gedaan=verwijderd")


@router.post(PATH + "/{list_id}/{step}", response_class=HTMLResponse)
def give_step(
    list_id: UUID,
    step: str,
    request: Request,
    person: SignedInDep,
    here: SiteDep,
    form: FormDep,
) -> Response:
    service = here.container.service
    steps = {
        "beoordeeld": (Command.REVIEW_DESTRUCTION, service.finish_destruction_review),
        "goedgekeurd": (Command.APPROVE_DESTRUCTION, service.approve_destruction_list),
        "uitgevoerd": (Command.RUN_DESTRUCTION, service.run_destruction_list),
    }
    if step not in steps:
        raise PageError(404)
    command, give = steps[step]
    require(person, command)
    _load(here, list_id)
    try:
        lst = give(list_id, by=person.actor)
    except DestructionError as error:
        return draw(
            request,
            here,
            person,
            _load(here, list_id),
            status=409,
            refusal=_refused(error),
        )
    _settled(here.container, lst)
    return redirect(f"{PATH}/{list_id}?gedaan={step}")
