"""Who may give which command: the permission table against api.md's."""

from __future__ import annotations

import pytest

from domain.errors import (
    NotPermitted,
)
from domain.permissions import ALLOWED, Command, check_permitted
from domain.values import (
    Actor,
    Role,
)
from tests.support.samples import (
    AUDITOR,
)

WHO_MAY: dict[Command, frozenset[Role]] = {
    Command.REGISTER: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.RECORD_PREREQUISITE: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.WAIVE_PREREQUISITE: frozenset({Role.COORDINATOR}),
    Command.DECIDE_INTAKE: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.ASSIGN: frozenset({Role.COORDINATOR}),
    Command.RECORD_ACTIVITY: frozenset({Role.CONSULTANT, Role.COORDINATOR}),
    Command.SUSPEND: frozenset({Role.COORDINATOR}),
    Command.RESUME: frozenset({Role.COORDINATOR}),
    Command.CLOSE: frozenset({Role.CONSULTANT, Role.COORDINATOR}),
    Command.WITHDRAW: frozenset({Role.INTAKE, Role.COORDINATOR}),
    Command.REOPEN: frozenset({Role.COORDINATOR}),
    Command.PLACE_LEGAL_HOLD: frozenset(
        {Role.COORDINATOR, Role.RECORD_MANAGER, Role.PRIVACY_OFFICER}
    ),
    Command.LIFT_LEGAL_HOLD: frozenset(
        {Role.COORDINATOR, Role.RECORD_MANAGER, Role.PRIVACY_OFFICER}
    ),
    Command.ERASE_PERSONAL_DATA: frozenset(
        {Role.COORDINATOR, Role.PRIVACY_OFFICER, Role.SYSTEM}
    ),
    Command.PROPOSE_DESTRUCTION: frozenset({Role.RECORD_MANAGER, Role.SYSTEM}),
    Command.REVIEW_DESTRUCTION: frozenset({Role.RECORD_MANAGER}),
    Command.APPROVE_DESTRUCTION: frozenset({Role.PRIVACY_OFFICER}),
    Command.RUN_DESTRUCTION: frozenset(
        {Role.RECORD_MANAGER, Role.PRIVACY_OFFICER, Role.SYSTEM}
    ),
    Command.MANAGE_CONSULTANTS: frozenset({Role.COORDINATOR, Role.ADMIN}),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", list(Command))
def test_each_role_may_give_exactly_the_commands_api_md_grants_it(
    command: Command, role: Role
) -> None:
    actor = Actor(f"{role}-1", role)
    if role in WHO_MAY[command]:
        check_permitted(actor, command)
    else:
        with pytest.raises(NotPermitted):
            check_permitted(actor, command)


def test_the_permission_table_grants_what_api_md_grants() -> None:
    assert ALLOWED == WHO_MAY


@pytest.mark.parametrize("command", list(Command))
def test_an_auditor_never_changes_anything(command: Command) -> None:
    with pytest.raises(NotPermitted):
        check_permitted(AUDITOR, command)
