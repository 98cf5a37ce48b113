"""The Case aggregate (casus): a pupil's case from aanmelding to closing, as events.

One thing, though longer than our other modules: the aggregate's event classes
and the commands that trigger them. The events stay nested in ``Case`` because
each is stored under its topic (``domain.case:Case.Registered``), by which the
stores and the projection runner find it; moving one would orphan every stored
event of its kind. What is not the aggregate lives beside it: the rules its
commands check (domain/case_rules.py), the status machine (domain/status.py),
the deadline dates (domain/timeline.py) and the Dutch day (domain/zone.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.case_rules import CaseRules
from domain.errors import IllegalTransition, InvalidCaseData
from domain.legal_hold import check_file_reference
from domain.permissions import Command, check_permitted
from domain.prerequisites import PrerequisiteInputs, decide
from domain.registration import Registration, check_text
from domain.status import CaseStatus, next_status
from domain.timeline import next_timeline
from domain.values import (
    ERASED,
    ActivityKind,
    Actor,
    EducationStatus,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Outcome,
    Personal,
    ReferredTo,
    Sector,
    Service,
    Status,
    Step,
)
from domain.zone import local_date


class Case(CaseRules, Aggregate):
    """One pupil's case. Commands check their rules, then trigger one event each.

    Every event carries ``by``: the actor (user id, role, request id). Free text
    and the names, birth date and contact details are ``Personal``: stored
    sealed under the case's own key, erasable by destroying that key.
    """

    # Cases snapshotted before legal holds existed load without one.
    legal_hold: dict[str, Any] | None = None

    # --- events -----------------------------------------------------------

    class Event(Aggregate.Event):
        by: Actor

        def mutate(self, aggregate: Any) -> Any:
            case = super().mutate(aggregate)
            assert case is not None
            case.timeline = next_timeline(case.timeline, self)
            moved = next_status(case.status_state, self)
            case.status = moved.status
            case.status_before_suspension = moved.before_suspension
            return case

    class Registered(Aggregate.Created):
        """Version 2 added ``school_decision_on``; version 1 events load with None."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["school_decision_on"] = None

        by: Actor
        reference: str
        channel: str
        requester_role: str
        requester: Personal  # {"name", "email", "phone"}
        consent_given: bool
        pupil: Personal  # {"name", "birth_date"}
        municipality: str | None
        pc4: str | None
        school_name: str | None
        brin: str | None
        cluster: int | None
        sector: str
        samenwerkingsverband: str | None
        region: str
        category: str
        service: str
        at_home_since: date | None
        receives_education: bool
        school_decision_on: date | None
        account: Personal  # str

        def apply(self, case: Case) -> None:
            case._registered(self)

    class PrerequisiteRecorded(Event):
        step: str
        on: date
        note: Personal  # str or None

        def apply(self, case: Case) -> None:
            case.prerequisites[self.step] = {
                "kind": "recorded",
                "date": self.on,
                "note": self.note,
            }

    class PrerequisiteWaived(Event):
        step: str
        reason: Personal  # str

        def apply(self, case: Case) -> None:
            case.prerequisites[self.step] = {
                "kind": "waived",
                "reason": self.reason,
                "waived_by": self.by.user_id,
            }

    class PrerequisitesMet(Event):
        rule_version: str
        decision: dict[str, Any]  # the rule's inputs and what it required

        def apply(self, case: Case) -> None:
            case.prerequisites_decision = self.decision

    class IntakeDecided(Event):
        decision: str
        reason: Personal  # str or None
        referred_to: str | None

        def apply(self, case: Case) -> None:
            case.intake = {
                "decision": self.decision,
                "reason": self.reason,
                "referred_to": self.referred_to,
                "decided_on": local_date(self.timestamp),
            }

    class Assigned(Event):
        consultant_id: UUID
        previous_consultant_id: UUID | None

        def apply(self, case: Case) -> None:
            case.consultant_id = self.consultant_id
            case.assignments.append(
                {"consultant_id": self.consultant_id, "on": local_date(self.timestamp)}
            )

    class ActivityRecorded(Event):
        kind: str
        on: date
        summary: Personal  # str
        parties: Personal  # list of str

        def apply(self, case: Case) -> None:
            case.activities.append(
                {
                    "kind": self.kind,
                    "date": self.on,
                    "summary": self.summary,
                    "parties": self.parties,
                    "consultant_id": case.consultant_id,
                }
            )

    class Suspended(Event):
        reason: Personal  # str

        def apply(self, case: Case) -> None:
            case.suspension_reason = self.reason

    class Resumed(Event):
        reason: Personal  # str or None

        def apply(self, case: Case) -> None:
            case.suspension_reason = None

    class Closed(Event):
        outcome: str
        education_status: str
        summary: Personal  # str

        def apply(self, case: Case) -> None:
            case.outcome = {
                "outcome": self.outcome,
                "education_status": self.education_status,
                "summary": self.summary,
                "closed_on": local_date(self.timestamp),
            }

    class Withdrawn(Event):
        reason: Personal  # str

        def apply(self, case: Case) -> None:
            case.suspension_reason = None
            case.withdrawal_reason = self.reason

    class Reopened(Event):
        reason: Personal  # str

        def apply(self, case: Case) -> None:
            case.reopenings.append(
                {"on": local_date(self.timestamp), "reason": self.reason}
            )
            case.consultant_id = None
            case.outcome = None

    class LegalHoldPlaced(Event):
        """Blocks retention and erasure until lifted. The reason is a code and
        the reference a file number (domain/legal_hold.py): no personal data."""

        reason: str  # a HoldReason
        reference: str | None

        def apply(self, case: Case) -> None:
            case.legal_hold = {
                "reason": self.reason,
                "reference": self.reference,
                "placed_on": local_date(self.timestamp),
                "placed_by": self.by.user_id,
            }

    class LegalHoldLifted(Event):
        reason: str  # a LiftReason
        reference: str | None

        def apply(self, case: Case) -> None:
            case.legal_hold = None

    class PersonalDataErased(Event):
        """The case's key was destroyed; holds no personal data itself."""

        reason: str  # an ErasureReason

        def apply(self, case: Case) -> None:
            case._erase()

    # --- creation -----------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        case_id: UUID,
        reference: str,
        registration: Registration,
        by: Actor,
        now: datetime,
    ) -> Case:
        registration.check(local_date(now))
        r = registration
        return cls._create(
            cls.Registered,
            id=case_id,
            timestamp=now,
            by=by,
            reference=reference,
            channel=str(r.channel),
            requester_role=str(r.requester.role),
            requester=Personal(
                {
                    "name": r.requester.name,
                    "email": r.requester.email,
                    "phone": r.requester.phone,
                }
            ),
            consent_given=r.consent_given,
            pupil=Personal(
                {"name": r.pupil.name, "birth_date": r.pupil.birth_date.isoformat()}
            ),
            municipality=r.pupil.municipality,
            pc4=r.pupil.pc4,
            school_name=r.school.name,
            brin=r.school.brin,
            cluster=r.school.cluster,
            sector=str(r.sector),
            samenwerkingsverband=r.samenwerkingsverband,
            region=str(r.region),
            category=str(r.category),
            service=str(r.service),
            at_home_since=r.at_home_since,
            receives_education=r.receives_education,
            school_decision_on=r.school_decision_on,
            account=Personal(r.account),
        )

    def __init__(self) -> None:
        """State is set by Registered.apply; the library calls this first."""

    def _registered(self, e: Case.Registered) -> None:
        self.reference = e.reference
        self.status = next_status(None, e).status
        self.channel = e.channel
        self.requester_role = e.requester_role
        self.requester = e.requester
        self.consent_given = e.consent_given
        self.pupil = e.pupil
        self.municipality = e.municipality
        self.pc4 = e.pc4
        self.school_name = e.school_name
        self.brin = e.brin
        self.cluster = e.cluster
        self.sector = e.sector
        self.samenwerkingsverband = e.samenwerkingsverband
        self.region = e.region
        self.category = e.category
        self.service = e.service
        self.at_home_since = e.at_home_since
        self.receives_education = e.receives_education
        self.school_decision_on = e.school_decision_on
        self.account = e.account
        self.registered_by = e.by.user_id
        self.prerequisites: dict[str, dict[str, Any]] = {}
        self.prerequisites_decision: dict[str, Any] | None = None
        self.intake: dict[str, Any] | None = None
        self.consultant_id: UUID | None = None
        self.assignments: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.status_before_suspension: str | None = None
        self.suspension_reason: Personal | None = None
        self.outcome: dict[str, Any] | None = None
        self.withdrawal_reason: Personal | None = None
        self.reopenings: list[dict[str, Any]] = []
        self.erased = False
        self.legal_hold: dict[str, Any] | None = None
        self.timeline = next_timeline(None, e)

    # --- commands -------------------------------------------------------------

    def record_prerequisite(
        self, step: Step, on: date, note: str | None, *, by: Actor, now: datetime
    ) -> None:
        self.check_lifecycle(by, Command.RECORD_PREREQUISITE)
        self.check_date_not_in_future("date", on, now)
        if note is not None:
            check_text("note", note, 2_000)
        self.trigger_event(
            self.PrerequisiteRecorded,
            timestamp=now,
            by=by,
            step=str(step),
            on=on,
            note=Personal(note),
        )
        self._decide_prerequisites(by=by, now=now)

    def waive_prerequisite(
        self, step: Step, reason: str, *, by: Actor, now: datetime
    ) -> None:
        self.check_lifecycle(by, Command.WAIVE_PREREQUISITE)
        # "A coordinator may waive a step": a rule of the domain itself.
        check_permitted(by, Command.WAIVE_PREREQUISITE)
        check_text("reason", reason, 2_000)
        self.trigger_event(
            self.PrerequisiteWaived,
            timestamp=now,
            by=by,
            step=str(step),
            reason=Personal(reason),
        )
        self._decide_prerequisites(by=by, now=now)

    def _decide_prerequisites(self, *, by: Actor, now: datetime) -> None:
        decision = decide(self.prerequisite_inputs())
        if decision.met:
            self.trigger_event(
                self.PrerequisitesMet,
                timestamp=now,
                by=by,
                rule_version=decision.rule_version,
                decision=decision.as_dict(),
            )

    def prerequisite_inputs(self) -> PrerequisiteInputs:
        return PrerequisiteInputs(
            sector=Sector(self.sector),
            school_cluster=self.cluster,
            receives_education=self.receives_education,
            recorded=self._steps("recorded"),
            waived=self._steps("waived"),
        )

    def _steps(self, kind: str) -> frozenset[Step]:
        return frozenset(
            Step(s) for s, p in self.prerequisites.items() if p["kind"] == kind
        )

    def decide_intake(
        self,
        decision: IntakeDecision,
        reason: str | None,
        referred_to: ReferredTo | None,
        *,
        by: Actor,
        now: datetime,
    ) -> None:
        self.check_lifecycle(by, Command.DECIDE_INTAKE)
        if decision != IntakeDecision.ADMISSIBLE and not reason:
            raise InvalidCaseData("reason", f"is required when {decision}")
        if decision == IntakeDecision.REFERRED and referred_to is None:
            raise InvalidCaseData("referred_to", "is required when referred")
        if decision != IntakeDecision.REFERRED and referred_to is not None:
            raise InvalidCaseData("referred_to", "is only given when referred")
        if reason is not None:
            check_text("reason", reason, 2_000)
        self.trigger_event(
            self.IntakeDecided,
            timestamp=now,
            by=by,
            decision=str(decision),
            reason=Personal(reason),
            referred_to=str(referred_to) if referred_to else None,
        )

    def assign(
        self,
        consultant_id: UUID,
        consultant_kind: Service,
        consultant_active: bool,
        *,
        by: Actor,
        now: datetime,
    ) -> None:
        self.check_lifecycle(by, Command.ASSIGN)
        if not consultant_active:
            raise IllegalTransition(
                "the consultant is not active", rule="consultant-inactive"
            )
        if consultant_kind != self.service:
            raise IllegalTransition(
                f"this case needs an {self.service}, the consultant is an "
                f"{consultant_kind}",
                rule="consultant-kind-mismatch",
            )
        if consultant_id == self.consultant_id:
            raise IllegalTransition(
                "the case is already assigned to this consultant",
                rule="already-assigned",
            )
        self.trigger_event(
            self.Assigned,
            timestamp=now,
            by=by,
            consultant_id=consultant_id,
            previous_consultant_id=self.consultant_id,
        )

    def record_activity(
        self,
        kind: ActivityKind,
        on: date,
        summary: str,
        parties: list[str],
        *,
        by: Actor,
        now: datetime,
    ) -> None:
        self.check_lifecycle(by, Command.RECORD_ACTIVITY)
        self.check_date_not_in_future("date", on, now)
        if on < self.timeline.registered_on:
            raise InvalidCaseData("date", "lies before the case was registered")
        check_text("summary", summary, 10_000)
        for party in parties:
            check_text("parties", party, 200)
        self.trigger_event(
            self.ActivityRecorded,
            timestamp=now,
            by=by,
            kind=str(kind),
            on=on,
            summary=Personal(summary),
            parties=Personal(list(parties)),
        )

    def suspend(self, reason: str, *, by: Actor, now: datetime) -> None:
        self.check_lifecycle(by, Command.SUSPEND)
        check_text("reason", reason, 2_000)
        self.trigger_event(
            self.Suspended, timestamp=now, by=by, reason=Personal(reason)
        )

    def resume(self, reason: str | None, *, by: Actor, now: datetime) -> None:
        self.check_lifecycle(by, Command.RESUME)
        if reason is not None:
            check_text("reason", reason, 2_000)
        self.trigger_event(self.Resumed, timestamp=now, by=by, reason=Personal(reason))

    def close(
        self,
        outcome: Outcome,
        education_status: EducationStatus,
        summary: str,
        *,
        by: Actor,
        now: datetime,
    ) -> None:
        self.check_lifecycle(by, Command.CLOSE)
        check_text("summary", summary, 10_000)
        self.trigger_event(
            self.Closed,
            timestamp=now,
            by=by,
            outcome=str(outcome),
            education_status=str(education_status),
            summary=Personal(summary),
        )

    def withdraw(self, reason: str, *, by: Actor, now: datetime) -> None:
        self.check_lifecycle(by, Command.WITHDRAW)
        check_text("reason", reason, 2_000)
        self.trigger_event(
            self.Withdrawn, timestamp=now, by=by, reason=Personal(reason)
        )

    def reopen(self, reason: str, *, by: Actor, now: datetime) -> None:
        self.check_lifecycle(by, Command.REOPEN)
        check_text("reason", reason, 2_000)
        self.trigger_event(self.Reopened, timestamp=now, by=by, reason=Personal(reason))

    def place_legal_hold(
        self, reason: HoldReason, reference: str | None, *, by: Actor, now: datetime
    ) -> None:
        self.check_lifecycle(by, Command.PLACE_LEGAL_HOLD)
        self.trigger_event(
            self.LegalHoldPlaced,
            timestamp=now,
            by=by,
            reason=str(reason),
            reference=check_file_reference(reference),
        )

    def lift_legal_hold(
        self, reason: LiftReason, reference: str | None, *, by: Actor, now: datetime
    ) -> None:
        self.check_lifecycle(by, Command.LIFT_LEGAL_HOLD)
        self.trigger_event(
            self.LegalHoldLifted,
            timestamp=now,
            by=by,
            reason=str(reason),
            reference=check_file_reference(reference),
        )

    def erase_personal_data(
        self, reason: ErasureReason, *, by: Actor, now: datetime
    ) -> None:
        self.check_lifecycle(by, Command.ERASE_PERSONAL_DATA)
        self.trigger_event(
            self.PersonalDataErased, timestamp=now, by=by, reason=str(reason)
        )

    # --- queries -------------------------------------------------------------------

    @property
    def status_state(self) -> CaseStatus:
        """The case's status as the status machine (``next_status``) takes it."""
        before = self.status_before_suspension
        return CaseStatus(Status(self.status), Status(before) if before else None)

    def _erase(self) -> None:
        self.erased = True
        self.requester = ERASED
        self.pupil = ERASED
        self.account = ERASED
        for p in self.prerequisites.values():
            for key in ("note", "reason"):
                if key in p:
                    p[key] = ERASED
        if self.intake is not None:
            self.intake["reason"] = ERASED
        for a in self.activities:
            a["summary"] = ERASED
            a["parties"] = ERASED
        if self.suspension_reason is not None:
            self.suspension_reason = ERASED
        if self.outcome is not None:
            self.outcome["summary"] = ERASED
        if self.withdrawal_reason is not None:
            self.withdrawal_reason = ERASED
        for r in self.reopenings:
            r["reason"] = ERASED
