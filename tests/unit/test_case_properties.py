"""Property-based tests of the Case aggregate: random command sequences.

One Case is driven by random sequences of valid and invalid commands from random
actors (including a consultant the case is not assigned to) at random moments.
Every command either succeeds, moving the case along a legal edge of the status
graph in api.md, or raises a DossierError and leaves the case exactly as it was
(the commands and that check: tests/support/case_machine.py). After every step
the case's events are collected and replayed from scratch; the replayed case
must equal the live one.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from domain.case import Case
from domain.values import ENDED_STATUSES, ERASED, OPEN_STATUSES, Status
from tests.support.case_machine import CaseCommands, state_of
from tests.support.case_strategies import (
    BEFORE_ASSIGNMENT,
    POOL,
    WITH_CONSULTANT,
    WITHDRAWN_OR_CLOSED,
)


class CaseLifecycle(CaseCommands):
    """The commands of tests/support/case_machine.py on the bare aggregate, and
    what must hold of it after every one of them."""

    @invariant()
    def status_is_a_legal_status(self) -> None:
        assert self.case.status in set(Status)
        assert (self.case.status in OPEN_STATUSES) != (
            self.case.status in ENDED_STATUSES
        )

    @invariant()
    def consultant_is_set_exactly_while_someone_works_the_case(self) -> None:
        case = self.case
        status = Status(case.status)
        if status in WITHDRAWN_OR_CLOSED:
            # A closed case keeps who handled it; a withdrawn one keeps its
            # consultant only if it was withdrawn while someone worked it.
            expected = status == Status.CLOSED or self.withdrawn_from in WITH_CONSULTANT
            assert (case.consultant_id is not None) == expected
        elif status in WITH_CONSULTANT:
            assert case.consultant_id is not None
        else:
            assert status in BEFORE_ASSIGNMENT
            assert case.consultant_id is None
        if case.consultant_id is not None:
            assert case.assignments[-1]["consultant_id"] == case.consultant_id
            assert case.consultant_id in {
                c.id for c in POOL if c.active and c.kind == case.service
            }

    @invariant()
    def suspended_only_from_assigned_or_in_mediation(self) -> None:
        case = self.case
        if case.status == Status.SUSPENDED:
            assert case.status_before_suspension in (
                Status.ASSIGNED,
                Status.IN_MEDIATION,
            )
            assert case.timeline.pauses
            assert case.timeline.pauses[-1].end is None
            assert case.suspension_reason is not None
        else:
            # Resumption and withdrawal both clear the suspension reason.
            assert case.status_before_suspension is None
            assert case.suspension_reason is None
            assert all(p.end is not None for p in case.timeline.pauses)

    @invariant()
    def ended_exactly_when_the_timeline_says_so(self) -> None:
        case = self.case
        assert (case.timeline.ended_on is not None) == (case.status in ENDED_STATUSES)

    @invariant()
    def erased_case_holds_no_personal_data(self) -> None:
        case = self.case
        if case.erased:
            assert case.status in ENDED_STATUSES, "only an ended case is erased"
            assert case.requester == ERASED
            assert case.pupil == ERASED
            assert case.account == ERASED
            assert all(a["summary"] == ERASED for a in case.activities)
            assert case.suspension_reason is None
            if case.withdrawal_reason is not None:
                assert case.withdrawal_reason == ERASED
            if case.outcome is not None:
                assert case.outcome["summary"] == ERASED

    @invariant()
    def every_event_is_collected_and_counted(self) -> None:
        assert self.case.pending_events == []
        assert self.case.version == len(self.events)
        assert [e.originator_version for e in self.events] == list(
            range(1, len(self.events) + 1)
        )

    @invariant()
    def recorded_events_never_change_afterwards(self) -> None:
        # Guards against state that aliases an event's mutable data.
        assert [vars(e) for e in self.events] == self.recorded

    @invariant()
    def replaying_every_event_rebuilds_the_live_case(self) -> None:
        replayed: Any = None
        for event in self.events:
            replayed = event.mutate(replayed)
        assert isinstance(replayed, Case)
        assert state_of(replayed) == state_of(self.case)


# Many short runs explore more than few long ones: the initial head start already
# walks deep into the lifecycle. About two seconds.
CaseLifecycle.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_case_lifecycle_properties = CaseLifecycle.TestCase
