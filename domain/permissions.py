"""Who may do what, in which state: one answer for the domain, the API and the pages.

``ALLOWED`` says which roles may give each command (domain.md, "Who uses it");
``WHEN`` says in which statuses a case command may be given (api.md, "Statuses");
``OWN_CASE_ONLY`` names the commands a consultant may give only on a case assigned
to them. ``Case.check_may`` applies all three; ``Case.commands_for`` lists what an
actor may give on a case now, for the pages' buttons. ``READERS`` does the same
for reads.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import NotPermitted
from domain.values import ENDED_STATUSES, OPEN_STATUSES, Actor, Role, Status


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
    PLACE_LEGAL_HOLD = "place_legal_hold"
    LIFT_LEGAL_HOLD = "lift_legal_hold"
    ERASE_PERSONAL_DATA = "erase_personal_data"
    PROPOSE_DESTRUCTION = "propose_destruction"
    REVIEW_DESTRUCTION = "review_destruction"
    APPROVE_DESTRUCTION = "approve_destruction"
    RUN_DESTRUCTION = "run_destruction"
    MANAGE_CONSULTANTS = "manage_consultants"


_INTAKE = frozenset({Role.INTAKE, Role.COORDINATOR})
_COORDINATOR = frozenset({Role.COORDINATOR})
_CASEWORK = frozenset({Role.CONSULTANT, Role.COORDINATOR})
_RECORDS = frozenset({Role.RECORD_MANAGER, Role.PRIVACY_OFFICER})

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
    # A legal hold: whoever learns of a complaint or procedure (a coordinator)
    # or keeps the records (record manager, privacy officer).
    Command.PLACE_LEGAL_HOLD: _RECORDS | _COORDINATOR,
    Command.LIFT_LEGAL_HOLD: _RECORDS | _COORDINATOR,
    # Erasure on request: a coordinator or the privacy officer, for one ended
    # case; the destruction run erases as the system. Auditors change nothing.
    Command.ERASE_PERSONAL_DATA: frozenset(
        {Role.COORDINATOR, Role.PRIVACY_OFFICER, Role.SYSTEM}
    ),
    # Destruction lists (domain/destruction.py): the retention worker (system)
    # or a record manager proposes, the record manager reviews, the privacy
    # officer approves; either of them (or the system) runs an approved list.
    Command.PROPOSE_DESTRUCTION: frozenset({Role.RECORD_MANAGER, Role.SYSTEM}),
    Command.REVIEW_DESTRUCTION: frozenset({Role.RECORD_MANAGER}),
    Command.APPROVE_DESTRUCTION: frozenset({Role.PRIVACY_OFFICER}),
    Command.RUN_DESTRUCTION: _RECORDS | frozenset({Role.SYSTEM}),
    Command.MANAGE_CONSULTANTS: frozenset({Role.COORDINATOR, Role.ADMIN}),
}

_WORKING = frozenset({Status.ASSIGNED, Status.IN_MEDIATION})

# The statuses in which each command on an existing case may be given.
WHEN: dict[Command, frozenset[Status]] = {
    Command.RECORD_PREREQUISITE: frozenset({Status.REGISTERED}),
    Command.WAIVE_PREREQUISITE: frozenset({Status.REGISTERED}),
    Command.DECIDE_INTAKE: frozenset({Status.AWAITING_INTAKE}),
    Command.ASSIGN: frozenset({Status.AWAITING_ASSIGNMENT}) | _WORKING,
    Command.RECORD_ACTIVITY: _WORKING,
    Command.SUSPEND: _WORKING,
    Command.RESUME: frozenset({Status.SUSPENDED}),
    Command.CLOSE: _WORKING,
    Command.WITHDRAW: OPEN_STATUSES,
    Command.REOPEN: frozenset({Status.CLOSED}),
    # A hold may be placed on any case not yet erased (a complaint may come
    # while it runs); Case.check_legal_hold adds whether one is in force.
    Command.PLACE_LEGAL_HOLD: frozenset(Status),
    Command.LIFT_LEGAL_HOLD: frozenset(Status),
    # Erasure needs an ended case: an erased case takes no further command, so
    # an open one would stay open (its clocks running) for ever.
    Command.ERASE_PERSONAL_DATA: ENDED_STATUSES,
}

# The commands on an existing case, in the order a case's life meets them.
CASE_COMMANDS: tuple[Command, ...] = tuple(WHEN)

# A consultant gives these only on the cases assigned to them.
OWN_CASE_ONLY = frozenset({Command.RECORD_ACTIVITY, Command.CLOSE})

# How each command reads in a sentence ("cannot <action>: ...").
ACTIONS: dict[Command, str] = {
    Command.REGISTER: "register a case",
    Command.RECORD_PREREQUISITE: "record a prerequisite",
    Command.WAIVE_PREREQUISITE: "waive a prerequisite",
    Command.DECIDE_INTAKE: "decide intake",
    Command.ASSIGN: "assign a consultant",
    Command.RECORD_ACTIVITY: "record an activity",
    Command.SUSPEND: "suspend the case",
    Command.RESUME: "resume the case",
    Command.CLOSE: "close the case",
    Command.WITHDRAW: "withdraw the case",
    Command.REOPEN: "reopen the case",
    Command.PLACE_LEGAL_HOLD: "place a legal hold",
    Command.LIFT_LEGAL_HOLD: "lift the legal hold",
    Command.ERASE_PERSONAL_DATA: "erase the personal data",
    Command.PROPOSE_DESTRUCTION: "propose a destruction list",
    Command.REVIEW_DESTRUCTION: "review a destruction list",
    Command.APPROVE_DESTRUCTION: "approve a destruction list",
    Command.RUN_DESTRUCTION: "run a destruction list",
    Command.MANAGE_CONSULTANTS: "manage consultants",
}


class Read(StrEnum):
    """What can be read; a consultant reads only the cases assigned to them."""

    READ_CASE = "read_case"
    READ_HISTORY = "read_history"
    LIST_CASES = "list_cases"
    READ_CONSULTANTS = "read_consultants"
    READ_DASHBOARD = "read_dashboard"
    READ_AUDIT = "read_audit"
    READ_DESTRUCTION = "read_destruction"
    READ_OPERATIONS = "read_operations"
    READ_ACCESS_OVERVIEW = "read_access_overview"
    EXPORT_SUBJECT_ACCESS = "export_subject_access"
    EXPORT_PROCESSING_LOG = "export_processing_log"


_STAFF = frozenset(
    {Role.INTAKE, Role.COORDINATOR, Role.CONSULTANT, Role.AUDITOR, Role.ADMIN}
)
# The record manager and privacy officer read cases (to review a list, to
# place a hold), not the work queues' lists of pupils.
_CASE_READERS = _STAFF | _RECORDS

READERS: dict[Read, frozenset[Role]] = {
    Read.READ_CASE: _CASE_READERS,
    Read.READ_HISTORY: frozenset({Role.COORDINATOR, Role.AUDITOR, Role.CONSULTANT}),
    Read.LIST_CASES: _STAFF,
    Read.READ_CONSULTANTS: _STAFF,
    Read.READ_DASHBOARD: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    Read.READ_AUDIT: frozenset({Role.AUDITOR}),
    # Destruction lists and certificates hold no personal data.
    Read.READ_DESTRUCTION: _RECORDS | frozenset({Role.AUDITOR}),
    # The read models' versions, positions and lag: for whoever runs the service.
    Read.READ_OPERATIONS: frozenset({Role.ADMIN}),
    # Who read or changed one case (NEN 7513): its coordinators and the auditor.
    Read.READ_ACCESS_OVERVIEW: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    # Everything held about a pupil, for their request (AVG art. 15).
    Read.EXPORT_SUBJECT_ACCESS: frozenset({Role.COORDINATOR, Role.PRIVACY_OFFICER}),
    # The Logboek Dataverwerkingen of a period (pseudonyms, ids and codes only).
    Read.EXPORT_PROCESSING_LOG: frozenset({Role.AUDITOR, Role.PRIVACY_OFFICER}),
}


def check_permitted(actor: Actor, command: Command) -> None:
    if actor.role not in ALLOWED[command]:
        raise NotPermitted(f"the {actor.role} role may not {ACTIONS[command]}")


def check_may_query(role: Role, query: Read) -> None:
    if role not in READERS[query]:
        raise NotPermitted(f"the {role} role may not {query.replace('_', ' ')}")
