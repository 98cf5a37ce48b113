"""Value types of the case domain: enumerations, the actor, personal data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """A user's role; decides what they may do (domain.md, "Who uses it")."""

    INTAKE = "intake"
    COORDINATOR = "coordinator"
    CONSULTANT = "consultant"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PRIVACY_OFFICER = "privacy_officer"
    RECORD_MANAGER = "record_manager"
    SYSTEM = "system"


class Status(StrEnum):
    REGISTERED = "registered"
    AWAITING_INTAKE = "awaiting_intake"
    AWAITING_ASSIGNMENT = "awaiting_assignment"
    ASSIGNED = "assigned"
    IN_MEDIATION = "in_mediation"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    NOT_ADMISSIBLE = "not_admissible"
    REFERRED = "referred"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset(
    {
        Status.REGISTERED,
        Status.AWAITING_INTAKE,
        Status.AWAITING_ASSIGNMENT,
        Status.ASSIGNED,
        Status.IN_MEDIATION,
        Status.SUSPENDED,
    }
)
ENDED_STATUSES = frozenset(
    {Status.CLOSED, Status.NOT_ADMISSIBLE, Status.REFERRED, Status.WITHDRAWN}
)


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    EMAIL = "email"


class RequesterRole(StrEnum):
    PARENT = "parent"
    GUARDIAN = "guardian"
    PUPIL = "pupil"
    SCHOOL = "school"
    SAMENWERKINGSVERBAND = "samenwerkingsverband"
    CARE_PROVIDER = "care_provider"
    LEERPLICHT = "leerplicht"
    OTHER = "other"


class Sector(StrEnum):
    """School sector: po (primary), sbo, so, vo (secondary), vso, mbo."""

    PO = "po"
    SBO = "sbo"
    SO = "so"
    VO = "vo"
    VSO = "vso"
    MBO = "mbo"


class Region(StrEnum):
    """The twelve provinces; a consultant works from one of them."""

    GRONINGEN = "groningen"
    FRIESLAND = "friesland"
    DRENTHE = "drenthe"
    OVERIJSSEL = "overijssel"
    FLEVOLAND = "flevoland"
    GELDERLAND = "gelderland"
    UTRECHT = "utrecht"
    NOORD_HOLLAND = "noord-holland"
    ZUID_HOLLAND = "zuid-holland"
    ZEELAND = "zeeland"
    NOORD_BRABANT = "noord-brabant"
    LIMBURG = "limburg"


class Category(StrEnum):
    THUISZITTER = "thuiszitter"
    TOELATING = "toelating"
    SCHORSING = "schorsing"
    VERWIJDERING = "verwijdering"
    ONDERSTEUNINGSAANBOD = "ondersteuningsaanbod"
    ONDERWIJSZORGARRANGEMENT = "onderwijszorgarrangement"


class Service(StrEnum):
    """The kind of consultant a case needs, and the kind a consultant is."""

    ONDERWIJSCONSULENT = "onderwijsconsulent"
    ONDERWIJSZORGCONSULENT = "onderwijszorgconsulent"


class Step(StrEnum):
    """A prerequisite step before a consultant is engaged (aanmelden)."""

    SCHOOL_CONVERSATION = "school_conversation"
    SAMENWERKINGSVERBAND_CONTACT = "samenwerkingsverband_contact"


class IntakeDecision(StrEnum):
    ADMISSIBLE = "admissible"
    NOT_ADMISSIBLE = "not_admissible"
    REFERRED = "referred"


class ReferredTo(StrEnum):
    SAMENWERKINGSVERBAND = "samenwerkingsverband"
    GESCHILLENCOMMISSIE = "geschillencommissie"
    LEERPLICHT = "leerplicht"
    OTHER = "other"


class ActivityKind(StrEnum):
    CONTACT = "contact"
    MEETING = "meeting"
    ADVICE = "advice"
    AGREEMENT = "agreement"


class Outcome(StrEnum):
    PLACED_AT_SCHOOL = "placed_at_school"
    BACK_AT_SCHOOL = "back_at_school"
    SUPPORT_ARRANGED = "support_arranged"
    CARE_ARRANGEMENT = "care_arrangement"
    ADVICE_GIVEN = "advice_given"
    NO_SOLUTION = "no_solution"
    REFERRED_TO_GPO = "referred_to_gpo"


class EducationStatus(StrEnum):
    ATTENDING = "attending"
    PARTIALLY_ATTENDING = "partially_attending"
    AT_HOME = "at_home"
    EXEMPT = "exempt"
    OTHER = "other"


class ErasureReason(StrEnum):
    """Why personal data was erased: an enumeration, so the record holds none."""

    DATA_SUBJECT_REQUEST = "data_subject_request"
    RETENTION_EXPIRED = "retention_expired"


class HoldReason(StrEnum):
    """Why a case is under legal hold (or kept off a destruction list): a code,
    so the record holds no personal data; a file number may go beside it."""

    COMPLAINT = "complaint"
    OBJECTION = "objection"  # bezwaar
    LEGAL_PROCEDURE = "legal_procedure"
    INSPECTION = "inspection"
    OTHER = "other"


class LiftReason(StrEnum):
    """Why a legal hold was lifted."""

    PROCEDURE_ENDED = "procedure_ended"
    COMPLAINT_SETTLED = "complaint_settled"
    PLACED_IN_ERROR = "placed_in_error"
    OTHER = "other"


@dataclass(frozen=True)
class Actor:
    """Who did something: the user, their role, and the request it came from."""

    user_id: str
    role: Role
    request_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "role": str(self.role),
            "request_id": self.request_id,
        }


SYSTEM_ACTOR = Actor(user_id="system", role=Role.SYSTEM)


@dataclass(frozen=True)
class Personal:
    """Personal data held in an event: sealed under the case's key when stored.

    ``value`` is a JSON-compatible value (a string, or a dict of strings). Once
    the case's key is destroyed, the stored value can no longer be read and the
    event loads with ``Personal.ERASED`` in its place (crypto-shredding).
    """

    value: Any
    erased: bool = False

    def get(self, key: str | None = None) -> Any:
        """The value, or one item of a dict value; None once erased."""
        if self.erased or self.value is None:
            return None
        if key is None:
            return self.value
        return self.value.get(key)


ERASED = Personal(value=None, erased=True)
