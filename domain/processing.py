"""The bureau's register of processing activities (AVG art. 30) and which one each
read or change of personal data serves, for the access log (Logboek
Dataverwerkingen): a small fixed register, one activity per request.

Every read is logged with a purpose code (``case_page``, ``audit_trail``, ...)
and every change with its command (``assign``, ``erase_personal_data``, ...);
``activity_for`` maps the code, and for the reads every role shares (a case, the
case list) the reader's role, to one activity. An unknown code is a
programming error (``KeyError``): a test walks every route that logs reads.

The data subject is named in the log only by a pseudonym: an HMAC of the case
id under the store's search secret (domain-separated from the blind index's
use of the same secret), never a name.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.permissions import Command
from domain.values import Role

REGISTER_URI = "urn:dossier:verwerkingsactiviteit:"
SUBJECT_ID_TYPE = "urn:dossier:betrokkene:zaakpseudoniem"
_SUBJECT_DOMAIN = b"dossier:data-subject:v1:"


class Activity(StrEnum):
    """A processing activity of the register."""

    INTAKE = "intake"
    CASEWORK = "casework"
    QUALITY_AUDIT = "quality_audit"
    ERASURE = "erasure"
    DATA_SUBJECT_RIGHTS = "data_subject_rights"


@dataclass(frozen=True)
class ProcessingActivity:
    """One entry of the register: its code, name and purpose (in Dutch, as the
    register is kept), and who in the bureau carries it out."""

    activity: Activity
    name: str
    purpose: str
    roles: frozenset[Role]

    @property
    def uri(self) -> str:
        """The activity's id in the log (``dpl.core.processing_activity_id``)."""
        return REGISTER_URI + self.activity.value


REGISTER: dict[Activity, ProcessingActivity] = {
    a.activity: a
    for a in (
        ProcessingActivity(
            Activity.INTAKE,
            "Aanmelding en intake",
            "Een aanmelding vastleggen, de voorwaarden nagaan en beslissen of de "
            "zaak in behandeling wordt genomen.",
            frozenset({Role.INTAKE, Role.COORDINATOR}),
        ),
        ProcessingActivity(
            Activity.CASEWORK,
            "Behandeling van de zaak",
            "De zaak toewijzen, bemiddelen en adviseren, activiteiten vastleggen, "
            "opschorten, hervatten en afsluiten.",
            frozenset({Role.COORDINATOR, Role.CONSULTANT, Role.ADMIN}),
        ),
        ProcessingActivity(
            Activity.QUALITY_AUDIT,
            "Kwaliteitscontrole en verantwoording",
            "Terugkijken wat er met een zaak gebeurde en wie de gegevens inzag "
            "of wijzigde (NEN 7513).",
            frozenset({Role.AUDITOR, Role.COORDINATOR}),
        ),
        ProcessingActivity(
            Activity.ERASURE,
            "Bewaren en vernietigen",
            "Een juridische blokkade plaatsen of opheffen, persoonsgegevens wissen "
            "na een verzoek of na afloop van de bewaartermijn.",
            frozenset(
                {
                    Role.COORDINATOR,
                    Role.PRIVACY_OFFICER,
                    Role.RECORD_MANAGER,
                    Role.SYSTEM,
                }
            ),
        ),
        ProcessingActivity(
            Activity.DATA_SUBJECT_RIGHTS,
            "Rechten van betrokkenen",
            "Een inzageverzoek van leerling of ouders beantwoorden (AVG artikel 15).",
            frozenset({Role.COORDINATOR, Role.PRIVACY_OFFICER}),
        ),
    )
}

# What each read's purpose code serves.
READ_PURPOSES: dict[str, Activity] = {
    "case_page": Activity.CASEWORK,
    "case_detail": Activity.CASEWORK,
    "case_list": Activity.CASEWORK,
    "case_history": Activity.CASEWORK,
    "case_replay": Activity.QUALITY_AUDIT,
    "audit_trail": Activity.QUALITY_AUDIT,
    "event_feed": Activity.QUALITY_AUDIT,
    "subject_access": Activity.DATA_SUBJECT_RIGHTS,
}
# The reads every role makes (a case, the list): the reader's role says what for.
SHARED_READS = frozenset({"case_page", "case_detail", "case_list", "case_history"})
ROLE_ACTIVITY: dict[Role, Activity] = {
    Role.INTAKE: Activity.INTAKE,
    Role.AUDITOR: Activity.QUALITY_AUDIT,
    Role.PRIVACY_OFFICER: Activity.ERASURE,
    Role.RECORD_MANAGER: Activity.ERASURE,
}

# What each command (a change) serves.
COMMAND_ACTIVITY: dict[Command, Activity] = {
    Command.REGISTER: Activity.INTAKE,
    Command.RECORD_PREREQUISITE: Activity.INTAKE,
    Command.WAIVE_PREREQUISITE: Activity.INTAKE,
    Command.DECIDE_INTAKE: Activity.INTAKE,
    Command.WITHDRAW: Activity.INTAKE,
    Command.ASSIGN: Activity.CASEWORK,
    Command.RECORD_ACTIVITY: Activity.CASEWORK,
    Command.SUSPEND: Activity.CASEWORK,
    Command.RESUME: Activity.CASEWORK,
    Command.CLOSE: Activity.CASEWORK,
    Command.REOPEN: Activity.CASEWORK,
    Command.PLACE_LEGAL_HOLD: Activity.ERASURE,
    Command.LIFT_LEGAL_HOLD: Activity.ERASURE,
    Command.ERASE_PERSONAL_DATA: Activity.ERASURE,
    Command.PROPOSE_DESTRUCTION: Activity.ERASURE,
    Command.REVIEW_DESTRUCTION: Activity.ERASURE,
    Command.APPROVE_DESTRUCTION: Activity.ERASURE,
    Command.RUN_DESTRUCTION: Activity.ERASURE,
    Command.MANAGE_CONSULTANTS: Activity.CASEWORK,
}


COMMANDS = frozenset(c.value for c in COMMAND_ACTIVITY)

# What each case event (a change, as the audit trail records it) serves.
EVENT_ACTIVITY: dict[str, Activity] = {
    "Registered": Activity.INTAKE,
    "PrerequisiteRecorded": Activity.INTAKE,
    "PrerequisiteWaived": Activity.INTAKE,
    "PrerequisitesMet": Activity.INTAKE,
    "IntakeDecided": Activity.INTAKE,
    "Withdrawn": Activity.INTAKE,
    "Assigned": Activity.CASEWORK,
    "ActivityRecorded": Activity.CASEWORK,
    "Suspended": Activity.CASEWORK,
    "Resumed": Activity.CASEWORK,
    "Closed": Activity.CASEWORK,
    "Reopened": Activity.CASEWORK,
    "LegalHoldPlaced": Activity.ERASURE,
    "LegalHoldLifted": Activity.ERASURE,
    "PersonalDataErased": Activity.ERASURE,
}


def activity_for(purpose: str, role: Role | str) -> Activity:
    """The one activity a read with ``purpose`` (or a change by a command of that
    name) by ``role`` serves. KeyError for a code the register does not know."""
    if purpose in READ_PURPOSES:
        if purpose in SHARED_READS:
            return ROLE_ACTIVITY.get(Role(role), READ_PURPOSES[purpose])
        return READ_PURPOSES[purpose]
    if purpose not in COMMANDS:
        raise KeyError(f"{purpose!r} is not in the processing register")
    return COMMAND_ACTIVITY[Command(purpose)]


def is_known_purpose(purpose: str) -> bool:
    return purpose in READ_PURPOSES or purpose in COMMANDS


def subject_pseudonym(secret: bytes, case_id: UUID) -> str:
    """The data subject's reference in the log: the same for every access to one
    case, unlinkable to the case without the secret, and never a name."""
    return hmac.new(secret, _SUBJECT_DOMAIN + case_id.bytes, hashlib.sha256).hexdigest()
