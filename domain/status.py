"""The case's status machine: how each event moves a case's status, written once.

A pure function of the status before and the event, in the spirit of
``next_timeline``: the Case aggregate takes its status from it, and so does
every read model that shows a case's status (case list, dashboard, audit
trail), so they cannot come to disagree with the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import IntakeDecision, Status

INTAKE_STATUS = {
    IntakeDecision.ADMISSIBLE: Status.AWAITING_ASSIGNMENT,
    IntakeDecision.NOT_ADMISSIBLE: Status.NOT_ADMISSIBLE,
    IntakeDecision.REFERRED: Status.REFERRED,
}


@dataclass(frozen=True)
class CaseStatus:
    """A case's status and what a transition needs beside it: the status a
    suspension left (resumption returns to it)."""

    status: Status
    before_suspension: Status | None = None


def next_status(state: CaseStatus | None, event: object) -> CaseStatus:
    """The case's status after ``event`` (None before its first, Registered).

    Events that do not move the status (prerequisites recorded or waived, a
    reassignment, a further activity, erasure) return ``state`` unchanged.
    """
    # Imported here: domain.case imports this module to take its status from it.
    from domain.case import Case

    if isinstance(event, Case.Registered):
        return CaseStatus(Status.REGISTERED)
    assert state is not None, "a case's first event is Registered"
    status = state.status
    if isinstance(event, Case.PrerequisitesMet):
        return CaseStatus(Status.AWAITING_INTAKE, state.before_suspension)
    if isinstance(event, Case.IntakeDecided):
        return CaseStatus(
            INTAKE_STATUS[IntakeDecision(event.decision)], state.before_suspension
        )
    if isinstance(event, Case.Assigned):
        if status == Status.AWAITING_ASSIGNMENT:
            return CaseStatus(Status.ASSIGNED, state.before_suspension)
        return state
    if isinstance(event, Case.ActivityRecorded):
        if status == Status.ASSIGNED:
            return CaseStatus(Status.IN_MEDIATION, state.before_suspension)
        return state
    if isinstance(event, Case.Suspended):
        return CaseStatus(Status.SUSPENDED, before_suspension=status)
    if isinstance(event, Case.Resumed):
        return CaseStatus(state.before_suspension or Status.ASSIGNED)
    if isinstance(event, Case.Closed):
        return CaseStatus(Status.CLOSED, state.before_suspension)
    if isinstance(event, Case.Withdrawn):
        return CaseStatus(Status.WITHDRAWN)
    if isinstance(event, Case.Reopened):
        return CaseStatus(Status.AWAITING_ASSIGNMENT, state.before_suspension)
    return state
