"""The case page: what the case is, its personal data (the read logged), its
deadline clocks, its timeline in words, and a form for each command the
signed-in user may give on it now (the domain's one answer)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.commands import CALLS
from api.presenters import case_public
from api.reads import log_change, log_reads, serves
from domain.case import Case
from domain.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    DossierError,
    InvalidCaseData,
    NotPermitted,
    VersionMismatch,
)
from domain.permissions import READERS, Command, Read, check_permitted
from domain.values import (
    ActivityKind,
    EducationStatus,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Outcome,
    ReferredTo,
    Step,
)
from web.forms import FormDep
from web.labels import N_
from web.site import PageError, SignedInDep, Site, SiteDep, Visitor, page, redirect
from web.wording import (
    CLOCK_STATES,
    CLOCKS,
    ENDED_WITHOUT_CONTACT,
    EVENTS,
    field_problem,
    field_problems,
)
from web.wording import refusal as refusal_text

router = APIRouter(include_in_schema=False)

# The path of each command's form, and the fields its body takes.
SLUGS: dict[Command, str] = {
    Command.RECORD_PREREQUISITE: "voorwaarde",
    Command.WAIVE_PREREQUISITE: "vervallen",
    Command.DECIDE_INTAKE: "intake",
    Command.ASSIGN: "toewijzing",
    Command.RECORD_ACTIVITY: "activiteit",
    Command.SUSPEND: "opschorten",
    Command.RESUME: "hervatten",
    Command.CLOSE: "afsluiten",
    Command.WITHDRAW: "intrekken",
    Command.REOPEN: "heropenen",
    Command.PLACE_LEGAL_HOLD: "blokkeren",
    Command.LIFT_LEGAL_HOLD: "blokkade-opheffen",
    Command.ERASE_PERSONAL_DATA: "wissen",
}
VERSION = re.compile(r"[0-9]{1,18}")
BY_SLUG = {slug: command for command, slug in SLUGS.items()}
FIELDS: dict[Command, tuple[str, ...]] = {
    Command.RECORD_PREREQUISITE: ("step", "date", "note"),
    Command.WAIVE_PREREQUISITE: ("step", "reason"),
    Command.DECIDE_INTAKE: ("decision", "reason", "referred_to"),
    Command.ASSIGN: ("consultant_id",),
    Command.RECORD_ACTIVITY: ("kind", "date", "summary", "parties"),
    Command.SUSPEND: ("reason",),
    Command.RESUME: ("reason",),
    Command.CLOSE: ("outcome", "education_status", "summary"),
    Command.WITHDRAW: ("reason",),
    Command.REOPEN: ("reason",),
    Command.PLACE_LEGAL_HOLD: ("reason", "file_reference"),
    Command.LIFT_LEGAL_HOLD: ("reason", "file_reference"),
    Command.ERASE_PERSONAL_DATA: ("reason",),
}
CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "step": ("step", tuple(Step)),
    "decision": ("intake_decision", tuple(IntakeDecision)),
    "referred_to": ("referred_to", tuple(ReferredTo)),
    "kind": ("activity", tuple(ActivityKind)),
    "outcome": ("outcome", tuple(Outcome)),
    "education_status": ("education_status", tuple(EducationStatus)),
    "hold_reason": ("hold_reason", tuple(HoldReason)),
    "lift_reason": ("lift_reason", tuple(LiftReason)),
}
ERASURE_REASONS = tuple(ErasureReason)


def _case_for(here: Site, person: Visitor, case_id: UUID) -> Case:
    try:
        case = here.container.service.get_case(case_id)
    except CaseNotFound:
        raise PageError(404) from None
    try:
        case.check_may_read(person.actor)
    except NotPermitted:
        raise PageError(403) from None
    return case


def draw(
    request: Request,
    here: Site,
    person: Visitor,
    case_id: UUID,
    *,
    status: int = 200,
    failed: str | None = None,
    refusal: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    service = here.container.service
    case = _case_for(here, person, case_id)
    log_reads(here.container, person.actor, request, [case_id], "case_page")
    history = service.history(case_id)
    offered = [c for c in case.commands_for(person.actor) if c in SLUGS]
    everyone = here.consultants()  # one read: the timeline's names and the choices
    consultants = [c for c in everyone if c["active"] and c["kind"] == case.service]
    consultant_name = next(
        (c["name"] for c in everyone if c["id"] == str(case.consultant_id)), None
    )
    done = request.query_params.get("gedaan")
    return page(
        request,
        person,
        "case.html",
        status=status,
        case=case_public(case, service.deadlines(case)),
        history=list(reversed(history)),
        names=here.actor_names(history, everyone),
        events=EVENTS,
        clocks=CLOCKS,
        clock_states=CLOCK_STATES,
        ended_without_contact=ENDED_WITHOUT_CONTACT,
        offered=offered,
        slugs=SLUGS,
        choices=CHOICES,
        erasure_reasons=ERASURE_REASONS,
        consultants=consultants,
        consultant_name=consultant_name,
        failed=failed,
        refusal=person.t(refusal) if refusal else None,
        errors={k: person.t(v) for k, v in (errors or {}).items()},
        values=values or {},
        done=BY_SLUG.get(done) if done else None,
        may_see_accesses=person.role in READERS[Read.READ_ACCESS_OVERVIEW],
        may_export=person.role in READERS[Read.EXPORT_SUBJECT_ACCESS],
    )


@router.get("/zaken/{case_id}", response_class=HTMLResponse)
@serves("case_page")
def case_page(
    case_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    return draw(request, here, person, case_id)


def _body(command: Command, form: FormDep) -> dict[str, Any]:
    """The command's body from the form: empty optional fields left out."""
    data: dict[str, Any] = {}
    for name in FIELDS[command]:
        value = form.text(name)
        if name == "parties":
            data[name] = [p.strip() for p in value.split(",") if p.strip()]
        elif value:
            data[name] = value
    return data


@router.post("/zaken/{case_id}/{slug}", response_class=HTMLResponse)
@serves("case_page")
def give_command(
    case_id: UUID,
    slug: str,
    request: Request,
    person: SignedInDep,
    here: SiteDep,
    form: FormDep,
) -> Response:
    command = BY_SLUG.get(slug)
    if command is None:
        raise PageError(404)
    try:
        check_permitted(person.actor, command)
    except NotPermitted:
        raise PageError(403) from None
    version_text = form.text("version")
    if not (
        version_text.isascii() and version_text.isdigit() and len(version_text) < 18
    ):
        raise PageError(400)
    body_class, call_for = CALLS[command]
    again: dict[str, Any] = {"failed": slug, "values": form.values()}
    if command == Command.ERASE_PERSONAL_DATA and form.text("confirm") != "yes":
        errors = {"confirm": N_("Bevestig dat de persoonsgegevens gewist mogen worden")}
        return draw(request, here, person, case_id, status=422, errors=errors, **again)
    try:
        body = body_class.model_validate(_body(command, form))
    except ValidationError as error:
        errors = field_problems(error)
        return draw(request, here, person, case_id, status=422, errors=errors, **again)
    service = here.container.service
    try:
        call_for(case_id, body)(service, person.actor, int(version_text))
    except (ConcurrentUpdate, VersionMismatch) as error:
        # The form was drawn from an older version: the fresh case, never a lost update.
        return draw(
            request, here, person, case_id, status=409, refusal=refusal_text(error)
        )
    except InvalidCaseData as error:
        field, problem = field_problem(error)
        errors = {field: problem}
        return draw(request, here, person, case_id, status=422, errors=errors, **again)
    except NotPermitted as error:
        raise PageError(403) from error
    except DossierError as error:
        return draw(
            request,
            here,
            person,
            case_id,
            status=409,
            refusal=refusal_text(error),
            **again,
        )
    log_change(here.container, person.actor, request, case_id, command)
    return redirect(f"/zaken/{case_id}?gedaan={slug}")
