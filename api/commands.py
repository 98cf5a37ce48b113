"""What each lifecycle command on a case calls on the service, given its body:
one function per command, for the API's routes and the pages' forms alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from api.schemas import (
    ActivityCreate,
    AssignmentCreate,
    Body,
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
from domain.service import CaseService, Result
from domain.values import Actor

Call = Callable[[CaseService, Actor, int | None], Result]


def record_prerequisite(case_id: UUID, body: PrerequisiteCreate) -> Call:
    """Record a prerequisite step (school conversation, swv contact)."""
    return lambda cases, by, version: cases.record_prerequisite(
        case_id, body.step, body.date, body.note, by=by, expected_version=version
    )


def waive_prerequisite(case_id: UUID, body: WaiverCreate) -> Call:
    """Waive a prerequisite step, with a reason."""
    return lambda cases, by, version: cases.waive_prerequisite(
        case_id, body.step, body.reason, by=by, expected_version=version
    )


def decide_intake(case_id: UUID, body: IntakeCreate) -> Call:
    """Decide intake: admissible, not admissible or referred."""
    return lambda cases, by, version: cases.decide_intake(
        case_id,
        body.decision,
        body.reason,
        body.referred_to,
        by=by,
        expected_version=version,
    )


def assign(case_id: UUID, body: AssignmentCreate) -> Call:
    """Assign the case to a consultant of the right kind, or reassign it."""
    return lambda cases, by, version: cases.assign(
        case_id, body.consultant_id, by=by, expected_version=version
    )


def record_activity(case_id: UUID, body: ActivityCreate) -> Call:
    """Record a contact, meeting, advice or agreement."""
    return lambda cases, by, version: cases.record_activity(
        case_id,
        body.kind,
        body.date,
        body.summary,
        body.parties,
        by=by,
        expected_version=version,
    )


def suspend(case_id: UUID, body: SuspensionCreate) -> Call:
    """Suspend the case (its deadline clocks pause), with a reason."""
    return lambda cases, by, version: cases.suspend(
        case_id, body.reason, by=by, expected_version=version
    )


def resume(case_id: UUID, body: ResumptionCreate) -> Call:
    """Resume a suspended case: back to the status it left."""
    return lambda cases, by, version: cases.resume(
        case_id, body.reason, by=by, expected_version=version
    )


def close(case_id: UUID, body: ClosureCreate) -> Call:
    """Close the case with an outcome and the pupil's education status."""
    return lambda cases, by, version: cases.close_case(
        case_id,
        body.outcome,
        body.education_status,
        body.summary,
        by=by,
        expected_version=version,
    )


def withdraw(case_id: UUID, body: ReasonCreate) -> Call:
    """Withdrawn by the requester (from any open status)."""
    return lambda cases, by, version: cases.withdraw(
        case_id, body.reason, by=by, expected_version=version
    )


def reopen(case_id: UUID, body: ReasonCreate) -> Call:
    """Reopen a closed case, with a reason: back to awaiting assignment."""
    return lambda cases, by, version: cases.reopen(
        case_id, body.reason, by=by, expected_version=version
    )


def erase_personal_data(case_id: UUID, body: ErasureCreate) -> Call:
    """Erase an ended case's personal data (crypto-shredding); facts stay."""
    return lambda cases, by, version: cases.erase_personal_data(
        case_id, body.reason, by=by, expected_version=version
    )


def place_legal_hold(case_id: UUID, body: LegalHoldCreate) -> Call:
    """Place a legal hold: no retention or erasure until it is lifted."""
    return lambda cases, by, version: cases.place_legal_hold(
        case_id, body.reason, body.file_reference, by=by, expected_version=version
    )


def lift_legal_hold(case_id: UUID, body: LegalHoldLift) -> Call:
    """Lift the case's legal hold, with a reason."""
    return lambda cases, by, version: cases.lift_legal_hold(
        case_id, body.reason, body.file_reference, by=by, expected_version=version
    )


# Each command's body and what it calls, for forms that name the command.
CALLS: dict[Command, tuple[type[Body], Callable[[UUID, Any], Call]]] = {
    Command.RECORD_PREREQUISITE: (PrerequisiteCreate, record_prerequisite),
    Command.WAIVE_PREREQUISITE: (WaiverCreate, waive_prerequisite),
    Command.DECIDE_INTAKE: (IntakeCreate, decide_intake),
    Command.ASSIGN: (AssignmentCreate, assign),
    Command.RECORD_ACTIVITY: (ActivityCreate, record_activity),
    Command.SUSPEND: (SuspensionCreate, suspend),
    Command.RESUME: (ResumptionCreate, resume),
    Command.CLOSE: (ClosureCreate, close),
    Command.WITHDRAW: (ReasonCreate, withdraw),
    Command.REOPEN: (ReasonCreate, reopen),
    Command.PLACE_LEGAL_HOLD: (LegalHoldCreate, place_legal_hold),
    Command.LIFT_LEGAL_HOLD: (LegalHoldLift, lift_legal_hold),
    Command.ERASE_PERSONAL_DATA: (ErasureCreate, erase_personal_data),
}
