"""Records management on the application: legal holds, destruction lists and
their runs, and the certificate every erasure leaves (domain/destruction.py).

``RecordsCommands`` is a layer of ``CaseService`` (domain/service.py). A list's
run erases its cases a batch at a time; a batch's erasures and the list's
record of them are saved in one transaction, and the cases' keys are destroyed
after it, so a run stopped anywhere (a crash, SIGKILL) is finished by running
it again: what the list records as done is not erased twice, and a key left
behind by a stop between the commit and its destruction is destroyed then.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.case import Case
from domain.destruction import DestructionList, ListKind, ListState, Outcome
from domain.destruction import retention_rule as make_retention_rule
from domain.errors import CaseNotFound, DestructionListNotFound, DossierError
from domain.permissions import Command, check_permitted
from domain.reads import ServiceReads
from domain.sealing import KeyScope
from domain.values import Actor, ErasureReason, HoldReason
from domain.zone import local_date

# Cases erased in one transaction by a list's run (with the list's record).
RUN_BATCH = 50


def _entry(case: Case) -> dict[str, Any]:
    ended = case.timeline.ended_on
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "ended_on": ended.isoformat() if ended else None,
    }


class RecordsCommands(ServiceReads):
    """Destruction lists: propose, review, approve, run; and their reads."""

    def get_destruction_list(self, list_id: UUID) -> DestructionList:
        try:
            aggregate: Any = self.repository.get(list_id)
        except AggregateNotFoundError:
            raise DestructionListNotFound(f"no destruction list {list_id}") from None
        if not isinstance(aggregate, DestructionList):
            raise DestructionListNotFound(f"no destruction list {list_id}")
        return aggregate

    def retention_due(self, case: Case, cutoff: date) -> bool:
        """Whether the rule makes the case due: ended before ``cutoff``, not erased."""
        ended = case.timeline.ended_on
        return (
            not case.erased and case.has_ended and ended is not None and ended < cutoff
        )

    def propose_destruction(
        self,
        candidates: Iterable[UUID],
        *,
        years: int,
        by: Actor,
        exclude: Collection[UUID] = (),
    ) -> DestructionList:
        """A retention list of the ``candidates`` (say, a read model's ended
        cases) that the rule makes due, each checked on the case itself; cases
        under legal hold are named as held, not proposed. ``exclude``: cases on
        a list not yet completed. Raises ``DestructionError`` when none is due."""
        check_permitted(by, Command.PROPOSE_DESTRUCTION)
        now = self.clock.now()
        rule = make_retention_rule(years, local_date(now))
        cutoff = date.fromisoformat(rule["ended_before"])
        skip = set(exclude)
        cases: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for case_id in dict.fromkeys(candidates):
            if case_id in skip:
                continue
            try:
                case = self.get_case(case_id)
            except CaseNotFound:
                continue
            if not self.retention_due(case, cutoff):
                continue
            if case.legal_hold is not None:
                held.append(
                    {
                        **_entry(case),
                        "rule": "legal-hold",
                        "detail": f"under legal hold ({case.legal_hold['reason']})",
                    }
                )
                continue
            cases.append(_entry(case))
        lst = DestructionList.propose(
            list_id=uuid4(),
            kind=ListKind.RETENTION,
            rule=rule,
            cases=cases,
            held=held,
            by=by,
            now=now,
        )
        self.save_changes(lst)
        return lst

    def remove_from_destruction_list(
        self,
        list_id: UUID,
        case_id: UUID,
        reason: HoldReason,
        reference: str | None = None,
        *,
        by: Actor,
    ) -> DestructionList:
        lst = self.get_destruction_list(list_id)
        lst.remove_case(case_id, reason, reference, by=by, now=self.clock.now())
        self.save_changes(lst)
        return lst

    def finish_destruction_review(self, list_id: UUID, *, by: Actor) -> DestructionList:
        lst = self.get_destruction_list(list_id)
        lst.finish_review(by=by, now=self.clock.now())
        self.save_changes(lst)
        return lst

    def approve_destruction_list(self, list_id: UUID, *, by: Actor) -> DestructionList:
        lst = self.get_destruction_list(list_id)
        lst.approve(by=by, now=self.clock.now())
        self.save_changes(lst)
        return lst

    def run_destruction_list(
        self,
        list_id: UUID,
        *,
        by: Actor,
        progress: Callable[[int, int], None] | None = None,
        batch_size: int = RUN_BATCH,
    ) -> DestructionList:
        """Erase every case the approved list still waits on, ``batch_size`` at
        a time: the batch's erasures and the list's record of them in one
        transaction, then their keys destroyed. A case that refuses (placed
        under legal hold since, reopened) is recorded as skipped with its rule.
        Run again after a stop, it goes on from there."""
        lst = self.get_destruction_list(list_id)
        lst.check_may_run(by)
        self._destroy_keys_left(
            [
                UUID(case_id)
                for case_id, done in lst.outcomes.items()
                if done["outcome"] == Outcome.ERASED
            ]
        )
        if lst.state == ListState.COMPLETED:
            return lst
        lst.complete_if_empty(by=by, now=self.clock.now())
        total = len(lst.listed)
        waiting = [UUID(key) for key in lst.to_run]
        for start in range(0, len(waiting), batch_size):
            self._run_batch(lst, waiting[start : start + batch_size], by)
            if progress is not None:
                progress(total - len(lst.to_run), total)
        if lst.pending_events:  # an empty list's completion
            self.save_changes(lst)
        return lst

    def _run_batch(self, lst: DestructionList, batch: list[UUID], by: Actor) -> None:
        # The batch's keys read with one query, kept for this batch only.
        with KeyScope():
            self.keyring.prefetch(set(batch))
            self._erase_batch(lst, batch, by)

    def _erase_batch(self, lst: DestructionList, batch: list[UUID], by: Actor) -> None:
        erased: list[Case] = []
        keys_left: list[UUID] = []
        for case_id in batch:
            now = self.clock.now()
            try:
                case = self.get_case(case_id)
            except CaseNotFound as missing:
                lst.record_done(
                    case_id, Outcome.SKIPPED, by=by, now=now, rule=missing.rule
                )
                continue
            if case.erased:
                lst.record_done(case_id, Outcome.ALREADY_ERASED, by=by, now=now)
                keys_left.append(case_id)
                continue
            try:
                case.erase_personal_data(
                    ErasureReason.RETENTION_EXPIRED, by=by, now=now
                )
            except DossierError as refusal:
                lst.record_done(
                    case_id,
                    Outcome.SKIPPED,
                    by=by,
                    now=now,
                    rule=refusal.rule,
                    detail=refusal.detail,
                )
                continue
            lst.record_done(case_id, Outcome.ERASED, by=by, now=now)
            erased.append(case)
        self.save_changes(*erased, lst)
        # The batch's keys at once (one delete, one clean-up of the key table);
        # those of cases erased before whose key survived a crash among them.
        self.keyring.destroy_many([case.id for case in erased] + keys_left)

    def _destroy_keys_left(self, case_ids: list[UUID]) -> None:
        """Destroy the keys that survived the erasure of these cases (a run
        stopped between saving its erasures and destroying their keys)."""
        with KeyScope():
            self.keyring.prefetch(set(case_ids))
            left = [c for c in case_ids if self.keyring.key_for(c) is not None]
        self.keyring.destroy_many(left)

    def erase_with_certificate(
        self, case: Case, reason: ErasureReason, *, by: Actor
    ) -> int:
        """Erase one case on request (the case's rules checked) and record its
        certificate, in one transaction; then destroy its key. The position."""
        now = self.clock.now()
        case.erase_personal_data(reason, by=by, now=now)
        certificate = DestructionList.erasure_on_request(
            list_id=uuid4(), case=_entry(case), reason=str(reason), by=by, now=now
        )
        position = self.save_changes(certificate, case)
        self.keyring.destroy(case.id)
        return position
