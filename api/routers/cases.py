"""Cases: register, the lifecycle commands, reads now and in the past, history, list."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from api.container import Container
from api.deps import ALL_ROLES, ActorDep, ContainerDep, CurrentUser, roles
from api.params import MAX_POSITION, moment
from api.presenters import case_public, history_public
from api.problems import Problem
from api.reads import log_reads, serving_view
from api.schemas import (
    ActivityCreate,
    AssignmentCreate,
    CaseCreate,
    CasePagePublic,
    CasePublic,
    CaseSummaryPublic,
    ClosureCreate,
    ErasureCreate,
    HistoryEntryPublic,
    IntakeCreate,
    PrerequisiteCreate,
    ReasonCreate,
    ResumptionCreate,
    SuspensionCreate,
    WaiverCreate,
)
from domain.case import Case
from domain.errors import DossierError, NotPermitted
from domain.registration import Pupil, Registration, Requester, School
from domain.service import CaseService, Result
from domain.values import Actor, Role
from projections.case_list import BadCursor, CaseFilter, CaseListProjection
from storage import idempotency
from storage.idempotency import IdempotencyRecord
from storage.users import User

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

INTAKE_ROLES = roles(Role.INTAKE, Role.COORDINATOR)
COORDINATOR = roles(Role.COORDINATOR)
CASEWORK = roles(Role.CONSULTANT, Role.COORDINATOR)
READERS = roles(*ALL_ROLES)
HISTORY_READERS = roles(Role.COORDINATOR, Role.AUDITOR, Role.CONSULTANT)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key again to get the first answer back, "
        "with nothing recorded twice.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The case\'s ETag ("<version>").'),
]


# --- the command path ----------------------------------------------------------------


def expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isdigit():
        raise Problem(
            412,
            "version-mismatch",
            "Precondition failed",
            'If-Match must be a case ETag such as "3"',
        )
    return int(tag)


def respond(response: Response, container: Container, result: Result) -> CasePublic:
    case = result.case
    response.headers["ETag"] = f'"{case.version}"'
    response.headers["X-Log-Position"] = str(result.log_position)
    return case_public(case, container.service.deadlines(case), result.log_position)


def run_command(
    request: Request,
    response: Response,
    container: Container,
    user: User,
    body: BaseModel | None,
    key: str | None,
    command: Callable[[], Result],
    *,
    resource_id: UUID | None,
    status_code: int = 200,
) -> CasePublic:
    """Give a command once per Idempotency-Key: a repeat gets the first answer back."""
    if key is None:
        result = command()
    else:
        payload = body.model_dump(mode="json") if body is not None else None
        print_ = idempotency.fingerprint(request.method, request.url.path, payload)
        replay = replayed(request, response, container, user, key, print_)
        if replay is not None:
            return replay
        record = IdempotencyRecord(
            user_id=user.id,
            key=key,
            fingerprint=print_,
            resource_id=resource_id or UUID(int=0),
            status_code=status_code,
        )
        try:
            with container.service.recording(idempotency=record):
                result = command()
        except DossierError:
            # A twin request with the same key may have been recorded meanwhile
            # (this one then conflicts, or finds the change already made):
            # answer as the twin did.
            replay = replayed(request, response, container, user, key, print_)
            if replay is None:
                raise
            return replay
    response.status_code = status_code
    return respond(response, container, result)


def replayed(
    request: Request,
    response: Response,
    container: Container,
    user: User,
    key: str,
    print_: str,
) -> CasePublic | None:
    found = idempotency.find(container.db, user.id, key)
    if found is None:
        return None
    if found.fingerprint != print_:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "this Idempotency-Key was used for another request",
            errors=[
                {"field": "Idempotency-Key", "message": "reused with another body"}
            ],
        )
    case = container.service.get_case(found.resource_id, version=found.version)
    position = container.service.log_position_of(case.id, case.version)
    response.status_code = found.status_code
    response.headers["Idempotent-Replayed"] = "true"
    if found.status_code == 201:
        response.headers["Location"] = f"{router.prefix}/{case.id}"
    return respond(response, container, Result(case, position))


# --- registration -------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=CasePublic,
    dependencies=[Depends(INTAKE_ROLES)],
)
def register_case(
    body: CaseCreate,
    request: Request,
    response: Response,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    key: IdempotencyKey = None,
) -> CasePublic:
    """Register a case (aanmelding); 201 with its Location."""
    registration = Registration(
        channel=body.channel,
        requester=Requester(
            body.requester.role,
            body.requester.name,
            body.requester.email,
            body.requester.phone,
        ),
        consent_given=body.consent_given,
        pupil=Pupil(
            body.pupil.name,
            body.pupil.birth_date,
            body.pupil.municipality,
            body.pupil.pc4,
        ),
        school=School(body.school.name, body.school.brin, body.school.cluster),
        sector=body.sector,
        samenwerkingsverband=body.samenwerkingsverband,
        region=body.region,
        category=body.category,
        service=body.service,
        at_home_since=body.at_home_since,
        receives_education=body.receives_education,
        account=body.account,
        school_decision_on=body.school_decision_on,
    )
    new_id = container.service.new_case_id()
    public = run_command(
        request,
        response,
        container,
        user,
        body,
        key,
        lambda: container.service.register(registration, by=actor, case_id=new_id),
        resource_id=new_id,
        status_code=201,
    )
    response.headers["Location"] = f"{router.prefix}/{public.id}"
    return public


# --- lifecycle commands ----------------------------------------------------------

# Each command: its path, body, who may give it, and the service call it makes
# (with the case id, the body, the actor and the If-Match version).
Call = Callable[[CaseService, UUID, Any, Actor, int | None], Result]


def _lifecycle_command(
    path: str,
    body_model: type[BaseModel],
    guard: Callable[..., User],
    summary: str,
    call: Call,
    *,
    if_match: bool = True,
) -> None:
    def endpoint(
        case_id: UUID,
        body: BaseModel,
        request: Request,
        response: Response,
        *,
        container: ContainerDep,
        user: CurrentUser,
        actor: ActorDep,
        key: IdempotencyKey = None,
        if_match_header: IfMatch = None,
    ) -> CasePublic:
        version = expected_version(if_match_header)
        return run_command(
            request,
            response,
            container,
            user,
            body,
            key,
            lambda: call(container.service, case_id, body, actor, version),
            resource_id=case_id,
        )

    # FastAPI reads the body's model from the annotation: this command's own.
    endpoint.__annotations__ = {**endpoint.__annotations__, "body": body_model}
    endpoint.__name__ = path.replace("-", "_")
    endpoint.__doc__ = summary
    if not if_match:
        signature = inspect.signature(endpoint)
        endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[
                p for p in signature.parameters.values() if p.name != "if_match_header"
            ]
        )
    router.post(
        "/{case_id}/" + path,
        response_model=CasePublic,
        dependencies=[Depends(guard)],
        summary=summary,
    )(endpoint)


_lifecycle_command(
    "prerequisites",
    PrerequisiteCreate,
    INTAKE_ROLES,
    "Record a prerequisite step (school conversation, swv contact)",
    lambda s, c, b, a, v: s.record_prerequisite(
        c, b.step, b.date, b.note, by=a, expected_version=v
    ),
)
_lifecycle_command(
    "prerequisite-waivers",
    WaiverCreate,
    COORDINATOR,
    "Waive a prerequisite step, with a reason",
    lambda s, c, b, a, v: s.waive_prerequisite(
        c, b.step, b.reason, by=a, expected_version=v
    ),
)
_lifecycle_command(
    "intake",
    IntakeCreate,
    INTAKE_ROLES,
    "Decide intake: admissible, not admissible or referred",
    lambda s, c, b, a, v: s.decide_intake(
        c, b.decision, b.reason, b.referred_to, by=a, expected_version=v
    ),
)
_lifecycle_command(
    "assignment",
    AssignmentCreate,
    COORDINATOR,
    "Assign the case to a consultant of the right kind, or reassign it",
    lambda s, c, b, a, v: s.assign(c, b.consultant_id, by=a, expected_version=v),
)
_lifecycle_command(
    "activities",
    ActivityCreate,
    CASEWORK,
    "Record a contact, meeting, advice or agreement",
    lambda s, c, b, a, v: s.record_activity(
        c, b.kind, b.date, b.summary, b.parties, by=a, expected_version=v
    ),
)
_lifecycle_command(
    "suspension",
    SuspensionCreate,
    COORDINATOR,
    "Suspend the case (its deadline clocks pause), with a reason",
    lambda s, c, b, a, v: s.suspend(c, b.reason, by=a, expected_version=v),
)
_lifecycle_command(
    "resumption",
    ResumptionCreate,
    COORDINATOR,
    "Resume a suspended case: back to the status it left",
    lambda s, c, b, a, v: s.resume(c, b.reason, by=a, expected_version=v),
)
_lifecycle_command(
    "closure",
    ClosureCreate,
    CASEWORK,
    "Close the case with an outcome and the pupil's education status",
    lambda s, c, b, a, v: s.close_case(
        c, b.outcome, b.education_status, b.summary, by=a, expected_version=v
    ),
)
_lifecycle_command(
    "withdrawal",
    ReasonCreate,
    INTAKE_ROLES,
    "Withdrawn by the requester (from any open status)",
    lambda s, c, b, a, v: s.withdraw(c, b.reason, by=a, expected_version=v),
)
_lifecycle_command(
    "reopening",
    ReasonCreate,
    COORDINATOR,
    "Reopen a closed case, with a reason: back to awaiting assignment",
    lambda s, c, b, a, v: s.reopen(c, b.reason, by=a, expected_version=v),
)
_lifecycle_command(
    "erasure",
    ErasureCreate,
    COORDINATOR,
    "Erase an ended case's personal data (crypto-shredding); facts stay",
    lambda s, c, b, a, v: s.erase_personal_data(c, b.reason, by=a),
    if_match=False,
)


# --- reads -----------------------------------------------------------------------


def check_may_read(user: User, case: Case) -> None:
    if user.role == Role.CONSULTANT and str(case.consultant_id) != user.actor_id:
        raise NotPermitted(
            "a consultant sees only the cases assigned to them",
            rule="not-assigned-consultant",
        )


@router.get(
    "/{case_id}",
    response_model=CasePublic,
    responses={404: {"description": "Unknown case (or not yet at as_of)"}},
    dependencies=[Depends(READERS)],
)
def get_case(
    case_id: UUID,
    request: Request,
    response: Response,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_POSITION)] = None,
    as_of: Annotated[
        datetime | None, Query(description="RFC 3339 time with offset")
    ] = None,
) -> CasePublic:
    """The case now, at a version, or as it stood at a moment."""
    if version is not None and as_of is not None:
        raise Problem(
            422, "invalid-request", "Invalid request", "give version or as_of, not both"
        )
    moment("as_of", as_of)
    current = container.service.get_case(case_id)
    check_may_read(user, current)
    case = (
        current
        if version is None and as_of is None
        else container.service.get_case(case_id, version=version, as_of=as_of)
    )
    if version is not None and version > current.version:
        raise Problem(
            404,
            "version-not-found",
            "Version not found",
            f"the case has no version {version}",
        )
    log_reads(container, actor, request, [case_id], "case_detail")
    response.headers["ETag"] = f'"{case.version}"'
    today = (as_of or datetime.now(UTC)).date() if as_of else None
    return case_public(case, container.service.deadlines(case, today))


@router.get(
    "/{case_id}/history",
    response_model=list[HistoryEntryPublic],
    dependencies=[Depends(HISTORY_READERS)],
)
def get_history(
    case_id: UUID,
    request: Request,
    response: Response,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
) -> list[dict[str, Any]]:
    """The case's events in order: version, type, time, actor, data."""
    current = container.service.get_case(case_id)
    check_may_read(user, current)
    entries = container.service.history(case_id)
    log_reads(container, actor, request, [case_id], "case_history")
    response.headers["ETag"] = f'"{current.version}"'
    return [history_public(e) for e in entries]


@router.get(
    "",
    response_model=CasePagePublic,
    responses={503: {"description": "The read model did not reach min_position"}},
    dependencies=[Depends(READERS)],
)
def list_cases(
    request: Request,
    *,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    status: str | None = None,
    region: str | None = None,
    category: str | None = None,
    sector: str | None = None,
    service: str | None = None,
    consultant_id: UUID | None = None,
    registered_from: date | None = None,
    registered_to: date | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> CasePagePublic:
    """The case list (read model), sorted by registration time; cursor paging."""
    if user.role == Role.CONSULTANT:
        if consultant_id is not None and str(consultant_id) != user.actor_id:
            raise NotPermitted("a consultant sees only the cases assigned to them")
        consultant_id = UUID(user.actor_id)
    view, _ = serving_view(container, CaseListProjection, min_position)
    filters = CaseFilter(
        status=status,
        region=region,
        category=category,
        sector=sector,
        service=service,
        consultant_id=str(consultant_id) if consultant_id else None,
        registered_from=registered_from,
        registered_to=registered_to,
        q=q,
    )
    try:
        with container.db.reading() as tx:
            page = view.page(tx, filters, limit=limit, cursor=cursor)
    except BadCursor:
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "cursor is not one this service handed out",
            errors=[{"field": "cursor", "message": "not valid"}],
        ) from None
    log_reads(
        container, actor, request, [UUID(r.case_id) for r in page.rows], "case_list"
    )
    return CasePagePublic(
        items=[
            CaseSummaryPublic(
                id=UUID(r.case_id),
                reference=r.reference,
                status=r.status,
                region=r.region,
                category=r.category,
                sector=r.sector,
                service=r.service,
                requester_role=r.requester_role,
                consultant_id=UUID(r.consultant_id) if r.consultant_id else None,
                registered_at=r.registered_at,
                pupil_name=r.pupil_name,
                erased=r.erased,
                at_home_since=date.fromisoformat(r.at_home_since)
                if r.at_home_since
                else None,
                next_due=date.fromisoformat(r.next_due) if r.next_due else None,
                version=r.version,
            )
            for r in page.rows
        ],
        next_cursor=page.next_cursor,
    )
