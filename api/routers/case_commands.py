"""The lifecycle commands on a case: one endpoint each, from prerequisites to erasure.

Each endpoint hands its typed body to one CaseService method (``api.commands``
says which, for the pages' forms too), through ``CommandGiver``: the
Idempotency-Key and If-Match handling every command shares.
Who may give a command is the domain's answer (``domain.permissions``): the route
guard checks the role, the aggregate its own rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from api.commands import CALLS
from api.container import Container
from api.deps import ActorDep, ContainerDep, CurrentUser, permitted
from api.idempotency import IdempotencyKey, run_command
from api.params import IfMatch, expected_version
from api.schemas import (
    ActivityCreate,
    AssignmentCreate,
    CasePublic,
    ClosureCreate,
    ErasureCreate,
    IntakeCreate,
    LegalHoldCreate,
    LegalHoldLift,
    PrerequisiteCreate,
    ReasonCreate,
    ResumptionCreate,
    SuspensionCreate,
    WaiverCreate,
)
from domain.permissions import Command
from domain.values import Actor
from storage.users import User

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@dataclass(frozen=True)
class CommandGiver:
    """What every command request shares: who gives it, its Idempotency-Key and
    the version its If-Match names."""

    request: Request
    response: Response
    container: Container
    user: User
    actor: Actor
    key: str | None
    version: int | None

    def __call__(self, command: Command, case_id: UUID, body: BaseModel) -> CasePublic:
        service = self.container.service
        call = CALLS[command][1](case_id, body)
        return run_command(
            self.request,
            self.response,
            self.container,
            self.user,
            body,
            self.key,
            lambda: call(service, self.actor, self.version),
            resource_id=case_id,
            logged_as=command,
        )


async def command_giver(
    request: Request,
    response: Response,
    container: ContainerDep,
    user: CurrentUser,
    actor: ActorDep,
    key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> CommandGiver:
    version = expected_version(if_match)
    return CommandGiver(request, response, container, user, actor, key, version)


Give = Annotated[CommandGiver, Depends(command_giver)]


@router.post(
    "/{case_id}/prerequisites",
    summary="Record a prerequisite step (school conversation, swv contact)",
    dependencies=[Depends(permitted(Command.RECORD_PREREQUISITE))],
)
def record_prerequisite(
    case_id: UUID, body: PrerequisiteCreate, *, give: Give
) -> CasePublic:
    """Record a prerequisite step (school conversation, swv contact)."""
    return give(Command.RECORD_PREREQUISITE, case_id, body)


@router.post(
    "/{case_id}/prerequisite-waivers",
    summary="Waive a prerequisite step, with a reason",
    dependencies=[Depends(permitted(Command.WAIVE_PREREQUISITE))],
)
def waive_prerequisite(case_id: UUID, body: WaiverCreate, *, give: Give) -> CasePublic:
    """Waive a prerequisite step, with a reason."""
    return give(Command.WAIVE_PREREQUISITE, case_id, body)


@router.post(
    "/{case_id}/intake",
    summary="Decide intake: admissible, not admissible or referred",
    dependencies=[Depends(permitted(Command.DECIDE_INTAKE))],
)
def decide_intake(case_id: UUID, body: IntakeCreate, *, give: Give) -> CasePublic:
    """Decide intake: admissible, not admissible or referred."""
    return give(Command.DECIDE_INTAKE, case_id, body)


@router.post(
    "/{case_id}/assignment",
    summary="Assign the case to a consultant of the right kind, or reassign it",
    dependencies=[Depends(permitted(Command.ASSIGN))],
)
def assign(case_id: UUID, body: AssignmentCreate, *, give: Give) -> CasePublic:
    """Assign the case to a consultant of the right kind, or reassign it."""
    return give(Command.ASSIGN, case_id, body)


@router.post(
    "/{case_id}/activities",
    summary="Record a contact, meeting, advice or agreement",
    dependencies=[Depends(permitted(Command.RECORD_ACTIVITY))],
)
def record_activity(case_id: UUID, body: ActivityCreate, *, give: Give) -> CasePublic:
    """Record a contact, meeting, advice or agreement."""
    return give(Command.RECORD_ACTIVITY, case_id, body)


@router.post(
    "/{case_id}/suspension",
    summary="Suspend the case (its deadline clocks pause), with a reason",
    dependencies=[Depends(permitted(Command.SUSPEND))],
)
def suspend(case_id: UUID, body: SuspensionCreate, *, give: Give) -> CasePublic:
    """Suspend the case (its deadline clocks pause), with a reason."""
    return give(Command.SUSPEND, case_id, body)


@router.post(
    "/{case_id}/resumption",
    summary="Resume a suspended case: back to the status it left",
    dependencies=[Depends(permitted(Command.RESUME))],
)
def resume(case_id: UUID, body: ResumptionCreate, *, give: Give) -> CasePublic:
    """Resume a suspended case: back to the status it left."""
    return give(Command.RESUME, case_id, body)


@router.post(
    "/{case_id}/closure",
    summary="Close the case with an outcome and the pupil's education status",
    dependencies=[Depends(permitted(Command.CLOSE))],
)
def close(case_id: UUID, body: ClosureCreate, *, give: Give) -> CasePublic:
    """Close the case with an outcome and the pupil's education status."""
    return give(Command.CLOSE, case_id, body)


@router.post(
    "/{case_id}/withdrawal",
    summary="Withdrawn by the requester (from any open status)",
    dependencies=[Depends(permitted(Command.WITHDRAW))],
)
def withdraw(case_id: UUID, body: ReasonCreate, *, give: Give) -> CasePublic:
    """Withdrawn by the requester (from any open status)."""
    return give(Command.WITHDRAW, case_id, body)


@router.post(
    "/{case_id}/reopening",
    summary="Reopen a closed case, with a reason: back to awaiting assignment",
    dependencies=[Depends(permitted(Command.REOPEN))],
)
def reopen(case_id: UUID, body: ReasonCreate, *, give: Give) -> CasePublic:
    """Reopen a closed case, with a reason: back to awaiting assignment."""
    return give(Command.REOPEN, case_id, body)


@router.post(
    "/{case_id}/erasure",
    summary="Erase an ended case's personal data (crypto-shredding); facts stay",
    dependencies=[Depends(permitted(Command.ERASE_PERSONAL_DATA))],
)
def erase_personal_data(
    case_id: UUID, body: ErasureCreate, *, give: Give
) -> CasePublic:
    """Erase an ended case's personal data (crypto-shredding); facts stay."""
    return give(Command.ERASE_PERSONAL_DATA, case_id, body)


@router.post(
    "/{case_id}/legal-hold",
    summary="Place a legal hold (a reason code, a file number): blocks erasure",
    dependencies=[Depends(permitted(Command.PLACE_LEGAL_HOLD))],
)
def place_legal_hold(case_id: UUID, body: LegalHoldCreate, *, give: Give) -> CasePublic:
    """Place a legal hold: no retention or erasure until it is lifted."""
    return give(Command.PLACE_LEGAL_HOLD, case_id, body)


@router.post(
    "/{case_id}/legal-hold/lifting",
    summary="Lift the case's legal hold, with a reason code",
    dependencies=[Depends(permitted(Command.LIFT_LEGAL_HOLD))],
)
def lift_legal_hold(case_id: UUID, body: LegalHoldLift, *, give: Give) -> CasePublic:
    """Lift the case's legal hold, with a reason."""
    return give(Command.LIFT_LEGAL_HOLD, case_id, body)
