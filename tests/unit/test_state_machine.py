"""The Case's whole state machine: each command in exactly its statuses."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import (
    CaseError,
    IllegalTransition,
)
from domain.values import (
    ENDED_STATUSES,
    OPEN_STATUSES,
    ErasureReason,
    Status,
)
from tests.support.lifecycle import (
    ALL_STATUSES,
    ALLOWED_IN,
    COMMANDS,
    assert_refused,
    case_in,
    fully_worked_case,
    later,
)
from tests.support.samples import (
    COORDINATOR,
)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("status", ALL_STATUSES)
def test_each_command_is_accepted_exactly_in_the_statuses_that_allow_it(
    command: str, status: Status
) -> None:
    case = case_in(status)
    if status in ALLOWED_IN[command]:
        version = case.version
        COMMANDS[command](case)
        assert case.version > version
    else:
        error = assert_refused(case, IllegalTransition, lambda: COMMANDS[command](case))
        assert isinstance(error, CaseError)
        assert error.rule == "illegal-transition"


def test_ended_statuses_are_closed_not_admissible_referred_withdrawn() -> None:
    assert (
        frozenset(
            {Status.CLOSED, Status.NOT_ADMISSIBLE, Status.REFERRED, Status.WITHDRAWN}
        )
        == ENDED_STATUSES
    )
    assert frozenset(Status) == OPEN_STATUSES | ENDED_STATUSES
    assert not OPEN_STATUSES & ENDED_STATUSES


def test_replaying_a_case_s_events_rebuilds_the_same_case() -> None:
    case = fully_worked_case()
    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=later(case)
    )
    events = case.collect_events()

    replayed: Any = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed == case
    assert replayed.version == len(events)
