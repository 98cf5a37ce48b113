"""The audit-trail read model: who changed or read what and when, for the auditors.

Every event of a Case or a Consultant becomes one entry, in the shape of the
Dutch ZGW audittrail (VNG Zaakgericht Werken), with English snake_case names.
This module says what each event changes, field by field; the rest is in:

- ``projections.audit_recorder``: how a change is recorded (each case's
  flattened state, old and new values, personal fields, erasure);
- ``projections.audit_queries``: the trail as auditors read it, changes and
  reads merged in time order, and the ZGW names of its fields;
- ``projections.audit_access_log``: the reads of personal data, which are not
  events: the HTTP layer logs them with ``record_access``;
- ``projections.audit_entries``: what those share (columns, actions, uuids).
"""

from __future__ import annotations

from typing import Any

from domain.case import Case
from domain.consultant import Consultant
from domain.status import next_status
from domain.values import Personal, Status
from domain.zone import local_date
from projections.audit_entries import CASE, CONSULTANT, CREATE, DESTROY
from projections.audit_queries import AuditTrailView
from projections.audit_recorder import AuditRecorder, item_count
from projections.base import DispatchMethod
from storage.db import Tx


class AuditTrailProjection(AuditRecorder):
    """One entry per event of a case or a consultant, with the fields it changed."""

    name = "audit_trail"

    @DispatchMethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Reference counters and the reference index are bookkeeping, not audited."""

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "reference": event.reference,
                "status": str(next_status(None, event).status),
                "channel": event.channel,
                "requester_role": event.requester_role,
                "requester": event.requester,
                "consent_given": event.consent_given,
                "pupil": event.pupil,
                "municipality": event.municipality,
                "pc4": event.pc4,
                "school_name": event.school_name,
                "brin": event.brin,
                "cluster": event.cluster,
                "sector": event.sector,
                "samenwerkingsverband": event.samenwerkingsverband,
                "region": event.region,
                "category": event.category,
                "service": event.service,
                "at_home_since": event.at_home_since,
                "receives_education": event.receives_education,
                "school_decision_on": event.school_decision_on,
                "account": event.account,
                "consultant_id": None,
                "personal_data_erased": False,
            },
            action=CREATE,
        )

    @handle.register
    def _(self, event: Case.PrerequisiteRecorded, position: int, tx: Tx) -> None:
        p = f"prerequisites.{event.step}"
        updates: dict[str, Any] = {
            f"{p}.kind": "recorded",
            f"{p}.date": event.on,
            f"{p}.note": event.note,
        }
        if f"{p}.reason" in self._case(tx, event).values:  # it was waived before
            updates |= {f"{p}.reason": Personal(None), f"{p}.waived_by": None}
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.PrerequisiteWaived, position: int, tx: Tx) -> None:
        p = f"prerequisites.{event.step}"
        updates: dict[str, Any] = {
            f"{p}.kind": "waived",
            f"{p}.reason": event.reason,
            f"{p}.waived_by": event.by.user_id,
        }
        if f"{p}.note" in self._case(tx, event).values:  # it was recorded before
            updates |= {f"{p}.date": None, f"{p}.note": Personal(None)}
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.PrerequisitesMet, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "prerequisites_rule_version": event.rule_version,
                "prerequisites_decision": event.decision,
            },
        )

    @handle.register
    def _(self, event: Case.IntakeDecided, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "intake.decision": event.decision,
                "intake.reason": event.reason,
                "intake.referred_to": event.referred_to,
                "intake.decided_on": local_date(event.timestamp),
            },
        )

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        updates: dict[str, Any] = {"consultant_id": event.consultant_id}
        updates["status"] = self._next_status(tx, event)  # listed only if it moved
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.ActivityRecorded, position: int, tx: Tx) -> None:
        state = self._case(tx, event)
        values = state.values
        p = f"activities.{item_count(state, 'activities')}"
        updates: dict[str, Any] = {
            f"{p}.kind": event.kind,
            f"{p}.date": event.on,
            f"{p}.summary": event.summary,
            f"{p}.parties": event.parties,
            f"{p}.consultant_id": values.get("consultant_id"),
        }
        updates["status"] = self._next_status(tx, event)  # listed only if it moved
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.Suspended, position: int, tx: Tx) -> None:
        moved = next_status(self._status_state(tx, event), event)
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status_before_suspension": _text(moved.before_suspension),
                "status": str(moved.status),
                "suspension_reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.Resumed, position: int, tx: Tx) -> None:
        state = self._case(tx, event)
        p = f"resumptions.{item_count(state, 'resumptions')}"
        moved = next_status(self._status_state(tx, event), event)
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": str(moved.status),
                "status_before_suspension": _text(moved.before_suspension),
                "suspension_reason": Personal(None),
                f"{p}.on": local_date(event.timestamp),
                f"{p}.reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.Closed, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "outcome.outcome": event.outcome,
                "outcome.education_status": event.education_status,
                "outcome.summary": event.summary,
                "outcome.closed_on": local_date(event.timestamp),
            },
        )

    @handle.register
    def _(self, event: Case.Withdrawn, position: int, tx: Tx) -> None:
        moved = next_status(self._status_state(tx, event), event)
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": str(moved.status),
                "status_before_suspension": _text(moved.before_suspension),
                "withdrawal_reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        state = self._case(tx, event)
        p = f"reopenings.{item_count(state, 'reopenings')}"
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "consultant_id": None,
                "outcome.outcome": None,
                "outcome.education_status": None,
                "outcome.summary": Personal(None),
                "outcome.closed_on": None,
                f"{p}.on": local_date(event.timestamp),
                f"{p}.reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.LegalHoldPlaced, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "legal_hold.reason": event.reason,
                "legal_hold.reference": event.reference,
                "legal_hold.placed_on": local_date(event.timestamp),
                "legal_hold.placed_by": event.by.user_id,
                "legal_hold.lifted_reason": None,
                "legal_hold.lifted_reference": None,
            },
        )

    @handle.register
    def _(self, event: Case.LegalHoldLifted, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "legal_hold.reason": None,
                "legal_hold.reference": None,
                "legal_hold.placed_on": None,
                "legal_hold.placed_by": None,
                "legal_hold.lifted_reason": event.reason,
                "legal_hold.lifted_reference": event.reference,
            },
        )

    @handle.register
    def _(self, event: Case.PersonalDataErased, position: int, tx: Tx) -> None:
        case_id = str(event.originator_id)
        self._erase_case(tx, case_id, self._case(tx, event))
        self._record(
            tx,
            event,
            position,
            CASE,
            {"personal_data_erased": True, "erasure_reason": event.reason},
            action=DESTROY,
            comment=event.reason,
        )

    @handle.register
    def _(self, event: Consultant.Registered, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CONSULTANT,
            {
                "name": event.name,
                "region": event.region,
                "kind": event.kind,
                "capacity": event.capacity,
                "active": True,
            },
            action=CREATE,
        )

    @handle.register
    def _(self, event: Consultant.Updated, position: int, tx: Tx) -> None:
        self._record(tx, event, position, CONSULTANT, dict(event.changes))


def _text(status: Status | None) -> str | None:
    return None if status is None else str(status)


AuditTrailProjection.view_class = AuditTrailView
