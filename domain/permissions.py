"""Which roles may give which command (domain.md, "Who uses it"), for every layer."""

from __future__ import annotations

from enum import StrEnum

from domain.errors import NotPermitted
from domain.values import Actor, Role


class Command(StrEnum):
    REGISTER = "register"
    RECORD_PREREQUISITE = "record_prerequisite"
    WAIVE_PREREQUISITE = "waive_prerequisite"
    DECIDE_INTAKE = "decide_intake"
    ASSIGN = "assign"
    RECORD_ACTIVITY = "record_activity"
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    ERASE_PERSONAL_DATA = "erase_personal_data"
    MANAGE_CONSULTANTS = "manage_consultants"


_INTAKE = frozenset({Role.INTAKE, Role.COORDINATOR})
_COORDINATOR = frozenset({Role.COORDINATOR})
_CASEWORK = frozenset({Role.CONSULTANT, Role.COORDINATOR})

ALLOWED: dict[Command, frozenset[Role]] = {
    Command.REGISTER: _INTAKE,
    Command.RECORD_PREREQUISITE: _INTAKE,
    Command.WAIVE_PREREQUISITE: _COORDINATOR,
    Command.DECIDE_INTAKE: _INTAKE,
    Command.ASSIGN: _COORDINATOR,
    Command.RECORD_ACTIVITY: _CASEWORK,
    Command.SUSPEND: _COORDINATOR,
    Command.RESUME: _COORDINATOR,
    Command.CLOSE: _CASEWORK,
    Command.WITHDRAW: _INTAKE,
    Command.REOPEN: _COORDINATOR,
    # Erasure is the retention worker's (system) or the privacy officer's
    # request carried out by a coordinator; auditors never change anything.
    Command.ERASE_PERSONAL_DATA: frozenset({Role.COORDINATOR, Role.SYSTEM}),
    Command.MANAGE_CONSULTANTS: frozenset({Role.COORDINATOR, Role.ADMIN}),
}


def check_permitted(actor: Actor, command: Command) -> None:
    if actor.role not in ALLOWED[command]:
        raise NotPermitted(f"the {actor.role} role may not {command.replace('_', ' ')}")
