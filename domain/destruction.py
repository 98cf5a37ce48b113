"""The destruction list (vernietigingslijst): proposed, reviewed, approved, run.

A list names the cases a selection rule makes due for erasure (the retention
period after their end, ``kind`` retention) or the one case erased on request
(``kind`` on_request, proposed, approved and run at once). The record manager
reviews it and may take cases off with a reason; the privacy officer approves
it; then each listed case is erased and its outcome recorded here, in the
transaction of the case's own erasure (domain/records.py), so a run cut off
halfway goes on where it stopped and erases no case twice. The completed list
is the destruction certificate (verklaring van vernietiging): it holds case
references, ids, codes, dates and who did what, never personal data, and is
kept for ever.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DestructionError
from domain.legal_hold import check_file_reference
from domain.permissions import Command, check_permitted
from domain.values import Actor, HoldReason
from domain.zone import local_date


class ListKind(StrEnum):
    RETENTION = "retention"
    ON_REQUEST = "on_request"


class ListState(StrEnum):
    PROPOSED = "proposed"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    COMPLETED = "completed"


class Outcome(StrEnum):
    """What the run did with one listed case."""

    ERASED = "erased"
    ALREADY_ERASED = "already_erased"  # erased before the run: counts as done
    SKIPPED = "skipped"  # refused by the case (legal hold, reopened): says why


def retention_rule(years: int, today: date) -> dict[str, Any]:
    """The selection rule of a retention list: ended before the cut-off day."""
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        cutoff = today.replace(year=today.year - years, day=28)
    return {
        "code": "retention-after-end",
        "years": years,
        "ended_before": cutoff.isoformat(),
    }


class DestructionList(Aggregate):
    """One destruction list and, once completed, its certificate."""

    class Event(Aggregate.Event):
        by: Actor

    class Proposed(Aggregate.Created):
        by: Actor
        kind: str
        rule: dict[str, Any]
        cases: list[dict[str, Any]]  # {"case_id", "reference", "ended_on"}
        # Due by the rule but not proposed (under legal hold), and why.
        held: list[dict[str, Any]]  # {"case_id", "reference", "rule", "detail"}

        def apply(self, lst: DestructionList) -> None:
            lst._proposed(self)

    class CaseRemoved(Event):
        case_id: str
        reason: str  # a HoldReason
        reference: str | None  # a file number, never free text

        def apply(self, lst: DestructionList) -> None:
            lst.removed[self.case_id] = {
                "reason": self.reason,
                "reference": self.reference,
                "by": self.by.user_id,
                "at": self.timestamp,
            }

    class Reviewed(Event):
        def apply(self, lst: DestructionList) -> None:
            lst.state = ListState.REVIEWED
            lst.reviewed = {"by": self.by.user_id, "at": self.timestamp}

    class Approved(Event):
        def apply(self, lst: DestructionList) -> None:
            lst.state = ListState.APPROVED
            lst.approved = {"by": self.by.user_id, "at": self.timestamp}

    class CaseDone(Event):
        case_id: str
        outcome: str  # an Outcome
        rule: str | None  # why skipped: the case's refusal rule
        detail: str | None

        def apply(self, lst: DestructionList) -> None:
            lst.outcomes[self.case_id] = {
                "outcome": self.outcome,
                "rule": self.rule,
                "detail": self.detail,
                "at": self.timestamp,
            }

    class Completed(Event):
        def apply(self, lst: DestructionList) -> None:
            lst.state = ListState.COMPLETED
            lst.completed = {"by": self.by.user_id, "at": self.timestamp}

    # --- creation -------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        *,
        list_id: UUID,
        kind: ListKind,
        rule: dict[str, Any],
        cases: list[dict[str, Any]],
        by: Actor,
        now: datetime,
        held: list[dict[str, Any]] | None = None,
    ) -> DestructionList:
        check_permitted(
            by,
            Command.ERASE_PERSONAL_DATA
            if kind == ListKind.ON_REQUEST
            else Command.PROPOSE_DESTRUCTION,
        )
        if not cases:
            raise DestructionError("no case is due for destruction", rule="nothing-due")
        return cls._create(
            cls.Proposed,
            id=list_id,
            timestamp=now,
            by=by,
            kind=str(kind),
            rule=rule,
            cases=cases,
            held=held or [],
        )

    @classmethod
    def erasure_on_request(
        cls,
        *,
        list_id: UUID,
        case: dict[str, Any],
        reason: str,
        by: Actor,
        now: datetime,
    ) -> DestructionList:
        """The certificate of one case erased on request: proposed, approved and
        run by the one who asked, in the erasure's own transaction."""
        lst = cls.propose(
            list_id=list_id,
            kind=ListKind.ON_REQUEST,
            rule={"code": "erasure-on-request", "reason": reason},
            cases=[case],
            by=by,
            now=now,
        )
        lst.trigger_event(lst.Approved, timestamp=now, by=by)
        lst.record_done(UUID(case["case_id"]), Outcome.ERASED, by=by, now=now)
        return lst

    def __init__(self) -> None:
        """State is set by Proposed.apply; the library calls this first."""

    def _proposed(self, e: DestructionList.Proposed) -> None:
        self.kind = ListKind(e.kind)
        self.rule = e.rule
        self.cases = {c["case_id"]: c for c in e.cases}
        self.held = list(e.held)
        self.proposed = {"by": e.by.user_id, "role": str(e.by.role), "at": e.timestamp}
        self.removed: dict[str, dict[str, Any]] = {}
        self.reviewed: dict[str, Any] | None = None
        self.approved: dict[str, Any] | None = None
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.completed: dict[str, Any] | None = None
        self.state = ListState.PROPOSED

    # --- commands -------------------------------------------------------------

    def remove_case(
        self,
        case_id: UUID,
        reason: HoldReason,
        reference: str | None,
        *,
        by: Actor,
        now: datetime,
    ) -> None:
        check_permitted(by, Command.REVIEW_DESTRUCTION)
        self._check_state(ListState.PROPOSED, "take a case off the list")
        key = str(case_id)
        if key not in self.cases:
            raise DestructionError("the case is not on this list", rule="not-listed")
        if key in self.removed:
            raise DestructionError(
                "the case was taken off this list already", rule="already-removed"
            )
        self.trigger_event(
            self.CaseRemoved,
            timestamp=now,
            by=by,
            case_id=key,
            reason=str(reason),
            reference=check_file_reference(reference),
        )

    def finish_review(self, *, by: Actor, now: datetime) -> None:
        check_permitted(by, Command.REVIEW_DESTRUCTION)
        self._check_state(ListState.PROPOSED, "finish the review")
        self.trigger_event(self.Reviewed, timestamp=now, by=by)

    def approve(self, *, by: Actor, now: datetime) -> None:
        check_permitted(by, Command.APPROVE_DESTRUCTION)
        self._check_state(ListState.REVIEWED, "approve the list")
        if by.user_id in (self.proposed["by"], (self.reviewed or {}).get("by")):
            raise DestructionError(
                "who proposed or reviewed a list may not approve it too",
                rule="four-eyes",
            )
        self.trigger_event(self.Approved, timestamp=now, by=by)

    def record_done(
        self,
        case_id: UUID,
        outcome: Outcome,
        *,
        by: Actor,
        now: datetime,
        rule: str | None = None,
        detail: str | None = None,
    ) -> None:
        """One listed case's outcome; the last completes the list."""
        self._check_state(ListState.APPROVED, "run the list")
        key = str(case_id)
        if key not in self.to_run:
            raise DestructionError(
                "the case is not waiting on this list", rule="not-waiting"
            )
        self.trigger_event(
            self.CaseDone,
            timestamp=now,
            by=by,
            case_id=key,
            outcome=str(outcome),
            rule=rule,
            detail=detail,
        )
        if not self.to_run:
            self.trigger_event(self.Completed, timestamp=now, by=by)

    def check_may_run(self, by: Actor) -> None:
        check_permitted(by, Command.RUN_DESTRUCTION)
        if self.state == ListState.COMPLETED:
            return  # a rerun of a completed list only finishes keys left behind
        self._check_state(ListState.APPROVED, "run the list")

    def complete_if_empty(self, *, by: Actor, now: datetime) -> None:
        """An approved list with every case taken off completes at its run."""
        if self.state == ListState.APPROVED and not self.to_run:
            self.trigger_event(self.Completed, timestamp=now, by=by)

    def _check_state(self, wanted: ListState, action: str) -> None:
        if self.state != wanted:
            raise DestructionError(
                f"cannot {action}: the list is {self.state} (allowed when {wanted})",
                rule="list-state",
            )

    # --- queries --------------------------------------------------------------

    @property
    def listed(self) -> list[str]:
        """The cases to be erased: proposed and not taken off, in list order."""
        return [c for c in self.cases if c not in self.removed]

    @property
    def to_run(self) -> list[str]:
        return [c for c in self.listed if c not in self.outcomes]

    def erased(self) -> set[UUID]:
        """The cases this list's runs erased (not those erased before it)."""
        return {
            UUID(case_id)
            for case_id, done in self.outcomes.items()
            if done["outcome"] == Outcome.ERASED
        }

    def certificate(self) -> dict[str, Any]:
        """The verklaring van vernietiging: what was destroyed, under which rule,
        who proposed, reviewed and approved it, and when. No personal data."""

        def ref(case_id: str) -> str:
            return str(self.cases[case_id]["reference"])

        return {
            "list_id": str(self.id),
            "kind": str(self.kind),
            "state": str(self.state),
            "rule": self.rule,
            "proposed": _stamp(self.proposed),
            "reviewed": _stamp(self.reviewed),
            "approved": _stamp(self.approved),
            "completed": _stamp(self.completed),
            "held": [
                {
                    k: h.get(k)
                    for k in ("case_id", "reference", "ended_on", "rule", "detail")
                }
                for h in self.held
            ],
            "removed": [
                {
                    "case_id": c,
                    "reference": ref(c),
                    "reason": r["reason"],
                    "file_reference": r["reference"],
                    "by": r["by"],
                    "on": local_date(r["at"]).isoformat(),
                }
                for c, r in self.removed.items()
            ],
            "cases": [
                {
                    "case_id": c,
                    "reference": ref(c),
                    "ended_on": self.cases[c].get("ended_on"),
                    "outcome": self.outcomes.get(c, {}).get("outcome", "waiting"),
                    "rule": self.outcomes.get(c, {}).get("rule"),
                    "detail": self.outcomes.get(c, {}).get("detail"),
                }
                for c in self.listed
            ],
        }


def _stamp(done: dict[str, Any] | None) -> dict[str, Any] | None:
    if done is None:
        return None
    at: datetime = done["at"]
    return {"by": done["by"], "at": at.isoformat()}
