"""``Case.commands_for``: exactly the commands an actor would have been let give now.

For every status (and an erased case) and every role, with a consultant both on
their own case and on another's, each case command is tried for real on a copy
of the case: the service's role check, then the aggregate's command. The
commands that were recorded, and no others, are what ``commands_for`` must list
(what the pages draw as buttons). The expectation comes from those tries, not
from reading ``ALLOWED``, ``WHEN`` or ``OWN_CASE_ONLY`` again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from uuid import uuid4

import pytest

from domain.case import Case
from domain.errors import IllegalTransition, NotPermitted
from domain.permissions import CASE_COMMANDS, Command, check_permitted
from domain.values import (
    SYSTEM_ACTOR,
    Actor,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Role,
    Status,
    Step,
)
from tests.support.lifecycle import (
    CONSULTANT,
    KIND,
    OTHER_CONSULTANT,
    REGISTERED_ON,
    case_in,
    close,
    later,
    record_activity,
)
from tests.support.samples import AUDITOR, COORDINATOR, INTAKE

# Each case command given with valid arguments by ``by``; only who gives it, and
# the case's state, can make it refused.
TRIES: dict[Command, Callable[[Case, Actor], None]] = {
    Command.RECORD_PREREQUISITE: lambda c, by: c.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=by, now=later(c)
    ),
    Command.WAIVE_PREREQUISITE: lambda c, by: c.waive_prerequisite(
        Step.SCHOOL_CONVERSATION, "Reden.", by=by, now=later(c)
    ),
    Command.DECIDE_INTAKE: lambda c, by: c.decide_intake(
        IntakeDecision.ADMISSIBLE, None, None, by=by, now=later(c)
    ),
    Command.ASSIGN: lambda c, by: c.assign(uuid4(), KIND, True, by=by, now=later(c)),
    Command.RECORD_ACTIVITY: lambda c, by: record_activity(c, by=by),
    Command.SUSPEND: lambda c, by: c.suspend("Reden.", by=by, now=later(c)),
    Command.RESUME: lambda c, by: c.resume(None, by=by, now=later(c)),
    Command.CLOSE: lambda c, by: close(c, by=by),
    Command.WITHDRAW: lambda c, by: c.withdraw("Reden.", by=by, now=later(c)),
    Command.REOPEN: lambda c, by: c.reopen("Reden.", by=by, now=later(c)),
    Command.PLACE_LEGAL_HOLD: lambda c, by: c.place_legal_hold(
        HoldReason.COMPLAINT, "KL-2026-014", by=by, now=later(c)
    ),
    Command.LIFT_LEGAL_HOLD: lambda c, by: c.lift_legal_hold(
        LiftReason.COMPLAINT_SETTLED, None, by=by, now=later(c)
    ),
    Command.ERASE_PERSONAL_DATA: lambda c, by: c.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=by, now=later(c)
    ),
}


def erased_case() -> Case:
    """A closed case (assigned to CONSULTANT) whose personal data was erased."""
    case = case_in(Status.CLOSED)
    case.erase_personal_data(
        ErasureReason.RETENTION_EXPIRED, by=SYSTEM_ACTOR, now=later(case)
    )
    return case


def held_case() -> Case:
    """A closed case under legal hold."""
    case = case_in(Status.CLOSED)
    case.place_legal_hold(HoldReason.COMPLAINT, None, by=COORDINATOR, now=later(case))
    return case


CASES: dict[str, Callable[[], Case]] = {
    **{str(status): partial(case_in, status) for status in Status},
    "erased": erased_case,
    "held": held_case,
}

ACTORS: dict[str, Actor] = {
    "intake": INTAKE,
    "coordinator": COORDINATOR,
    # case_in assigns every case that gets a consultant to CONSULTANT.
    "assigned-consultant": CONSULTANT,
    "other-consultant": OTHER_CONSULTANT,
    "auditor": AUDITOR,
    "admin": Actor("admin-1", Role.ADMIN),
    "privacy-officer": Actor("privacy-1", Role.PRIVACY_OFFICER),
    "record-manager": Actor("records-1", Role.RECORD_MANAGER),
    "system": SYSTEM_ACTOR,
}


def accepted_by_trying(case: Case, by: Actor) -> set[Command]:
    """The case commands that ``by``, giving each on a copy of ``case`` as the
    service does (the role, then the aggregate's command), gets recorded."""
    accepted = set()
    for command, give in TRIES.items():
        copied = copy.deepcopy(case)
        try:
            check_permitted(by, command)
            give(copied, by)
        except (NotPermitted, IllegalTransition):
            continue
        assert len(copied.pending_events) > len(case.pending_events), command
        accepted.add(command)
    return accepted


def test_every_command_on_a_case_is_tried() -> None:
    assert set(TRIES) == set(CASE_COMMANDS)
    assert set(Command) - set(TRIES) == {
        Command.REGISTER,
        Command.MANAGE_CONSULTANTS,
        Command.PROPOSE_DESTRUCTION,
        Command.REVIEW_DESTRUCTION,
        Command.APPROVE_DESTRUCTION,
        Command.RUN_DESTRUCTION,
    }


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("state", list(CASES))
def test_commands_for_lists_exactly_the_commands_the_case_would_accept(
    state: str, actor: str
) -> None:
    case, by = CASES[state](), ACTORS[actor]
    accepted = accepted_by_trying(case, by)
    version, pending = case.version, len(case.pending_events)

    listed = case.commands_for(by)

    assert set(listed) == accepted
    assert listed == tuple(c for c in CASE_COMMANDS if c in accepted)  # a life's order
    assert all(case.may(by, c) == (c in accepted) for c in TRIES)
    assert (case.version, len(case.pending_events)) == (version, pending)


def test_every_command_is_accepted_somewhere_so_no_try_is_refused_for_ever() -> None:
    accepted = set().union(
        *(
            accepted_by_trying(make(), by)
            for make in CASES.values()
            for by in ACTORS.values()
        )
    )
    assert accepted == set(TRIES)


@pytest.mark.parametrize("status", [Status.ASSIGNED, Status.IN_MEDIATION])
def test_a_consultant_may_work_only_their_own_case(status: Status) -> None:
    case = case_in(status)

    own = set(case.commands_for(CONSULTANT))
    others = set(case.commands_for(OTHER_CONSULTANT))

    assert own == accepted_by_trying(case, CONSULTANT)
    assert others == accepted_by_trying(case, OTHER_CONSULTANT) == set()
    assert own >= {Command.RECORD_ACTIVITY, Command.CLOSE}
