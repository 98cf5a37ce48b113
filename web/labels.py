"""What the pages call the domain's values, in Dutch (translated like any text)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.permissions import Command
from domain.values import (
    ActivityKind,
    Category,
    Channel,
    EducationStatus,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Outcome,
    ReferredTo,
    Region,
    RequesterRole,
    Role,
    Sector,
    Service,
    Status,
    Step,
)


def N_(text: str) -> str:  # noqa: N802 — the name Babel's extractor looks for
    """Marks a text for the catalogue; translated when shown."""
    return text


STATUS = {
    Status.REGISTERED: N_("Aangemeld"),
    Status.AWAITING_INTAKE: N_("Wacht op intake"),
    Status.AWAITING_ASSIGNMENT: N_("Wacht op toewijzing"),
    Status.ASSIGNED: N_("Toegewezen"),
    Status.IN_MEDIATION: N_("In bemiddeling"),
    Status.SUSPENDED: N_("Opgeschort"),
    Status.CLOSED: N_("Afgesloten"),
    Status.NOT_ADMISSIBLE: N_("Niet ontvankelijk"),
    Status.REFERRED: N_("Doorverwezen"),
    Status.WITHDRAWN: N_("Ingetrokken"),
}
ROLE = {
    Role.INTAKE: N_("Intake"),
    Role.COORDINATOR: N_("Coördinator"),
    Role.CONSULTANT: N_("Consulent"),
    Role.AUDITOR: N_("Auditor"),
    Role.ADMIN: N_("Beheerder"),
    Role.PRIVACY_OFFICER: N_("Functionaris gegevensbescherming"),
    Role.RECORD_MANAGER: N_("Archiefbeheerder"),
    Role.SYSTEM: N_("Systeem"),
}
REQUESTER_ROLE = {
    RequesterRole.PARENT: N_("Ouder"),
    RequesterRole.GUARDIAN: N_("Voogd"),
    RequesterRole.PUPIL: N_("Leerling"),
    RequesterRole.SCHOOL: N_("School"),
    RequesterRole.SAMENWERKINGSVERBAND: N_("Samenwerkingsverband"),
    RequesterRole.CARE_PROVIDER: N_("Zorgaanbieder"),
    RequesterRole.LEERPLICHT: N_("Leerplicht"),
    RequesterRole.OTHER: N_("Anders"),
}
CHANNEL = {
    Channel.WEB: N_("Website"),
    Channel.PHONE: N_("Telefoon"),
    Channel.EMAIL: N_("E-mail"),
}
SECTOR = {
    Sector.PO: N_("Primair onderwijs"),
    Sector.SBO: N_("Speciaal basisonderwijs"),
    Sector.SO: N_("Speciaal onderwijs"),
    Sector.VO: N_("Voortgezet onderwijs"),
    Sector.VSO: N_("Voortgezet speciaal onderwijs"),
    Sector.MBO: N_("Middelbaar beroepsonderwijs"),
}
REGION = {
    Region.GRONINGEN: "Groningen",
    Region.FRIESLAND: "Friesland",
    Region.DRENTHE: "Drenthe",
    Region.OVERIJSSEL: "Overijssel",
    Region.FLEVOLAND: "Flevoland",
    Region.GELDERLAND: "Gelderland",
    Region.UTRECHT: "Utrecht",
    Region.NOORD_HOLLAND: "Noord-Holland",
    Region.ZUID_HOLLAND: "Zuid-Holland",
    Region.ZEELAND: "Zeeland",
    Region.NOORD_BRABANT: "Noord-Brabant",
    Region.LIMBURG: "Limburg",
}
CATEGORY = {
    Category.THUISZITTER: N_("Thuiszitter"),
    Category.TOELATING: N_("Toelating"),
    Category.SCHORSING: N_("Schorsing"),
    Category.VERWIJDERING: N_("Verwijdering"),
    Category.ONDERSTEUNINGSAANBOD: N_("Ondersteuningsaanbod"),
    Category.ONDERWIJSZORGARRANGEMENT: N_("Onderwijszorgarrangement"),
}
SERVICE = {
    Service.ONDERWIJSCONSULENT: N_("Onderwijsconsulent"),
    Service.ONDERWIJSZORGCONSULENT: N_("Onderwijszorgconsulent"),
}
STEP = {
    Step.SCHOOL_CONVERSATION: N_("Gesprek met de school"),
    Step.SAMENWERKINGSVERBAND_CONTACT: N_("Contact met het samenwerkingsverband"),
}
INTAKE_DECISION = {
    IntakeDecision.ADMISSIBLE: N_("Ontvankelijk"),
    IntakeDecision.NOT_ADMISSIBLE: N_("Niet ontvankelijk"),
    IntakeDecision.REFERRED: N_("Doorverwezen"),
}
REFERRED_TO = {
    ReferredTo.SAMENWERKINGSVERBAND: N_("Samenwerkingsverband"),
    ReferredTo.GESCHILLENCOMMISSIE: N_("Geschillencommissie passend onderwijs"),
    ReferredTo.LEERPLICHT: N_("Leerplicht"),
    ReferredTo.OTHER: N_("Anders"),
}
ACTIVITY = {
    ActivityKind.CONTACT: N_("Contact"),
    ActivityKind.MEETING: N_("Overleg"),
    ActivityKind.ADVICE: N_("Advies"),
    ActivityKind.AGREEMENT: N_("Afspraak"),
}
OUTCOME = {
    Outcome.PLACED_AT_SCHOOL: N_("Geplaatst op een school"),
    Outcome.BACK_AT_SCHOOL: N_("Terug naar school"),
    Outcome.SUPPORT_ARRANGED: N_("Ondersteuning geregeld"),
    Outcome.CARE_ARRANGEMENT: N_("Onderwijszorgarrangement geregeld"),
    Outcome.ADVICE_GIVEN: N_("Advies gegeven"),
    Outcome.NO_SOLUTION: N_("Geen oplossing"),
    Outcome.REFERRED_TO_GPO: N_("Doorverwezen naar de Geschillencommissie"),
}
EDUCATION_STATUS = {
    EducationStatus.ATTENDING: N_("Gaat naar school"),
    EducationStatus.PARTIALLY_ATTENDING: N_("Gaat deels naar school"),
    EducationStatus.AT_HOME: N_("Zit thuis"),
    EducationStatus.EXEMPT: N_("Vrijgesteld"),
    EducationStatus.OTHER: N_("Anders"),
}
ERASURE_REASON = {
    ErasureReason.DATA_SUBJECT_REQUEST: N_("Verzoek van de betrokkene"),
    ErasureReason.RETENTION_EXPIRED: N_("Bewaartermijn verstreken"),
}
HOLD_REASON = {
    HoldReason.COMPLAINT: N_("Klacht"),
    HoldReason.OBJECTION: N_("Bezwaar"),
    HoldReason.LEGAL_PROCEDURE: N_("Juridische procedure"),
    HoldReason.INSPECTION: N_("Onderzoek door de inspectie"),
    HoldReason.OTHER: N_("Anders"),
}
LIFT_REASON = {
    LiftReason.PROCEDURE_ENDED: N_("Procedure afgerond"),
    LiftReason.COMPLAINT_SETTLED: N_("Klacht afgehandeld"),
    LiftReason.PLACED_IN_ERROR: N_("Ten onrechte geplaatst"),
    LiftReason.OTHER: N_("Anders"),
}
CLUSTER = {
    "1": N_("Cluster 1 (visueel)"),
    "2": N_("Cluster 2 (auditief en communicatief)"),
    "3": N_("Cluster 3 (lichamelijk, verstandelijk, langdurig ziek)"),
    "4": N_("Cluster 4 (gedrag en psychiatrie)"),
}
COMMAND = {
    Command.REGISTER: N_("Aanmelden"),
    Command.RECORD_PREREQUISITE: N_("Voorwaarde vastleggen"),
    Command.WAIVE_PREREQUISITE: N_("Voorwaarde laten vervallen"),
    Command.DECIDE_INTAKE: N_("Intake beslissen"),
    Command.ASSIGN: N_("Consulent toewijzen"),
    Command.RECORD_ACTIVITY: N_("Activiteit vastleggen"),
    Command.SUSPEND: N_("Opschorten"),
    Command.RESUME: N_("Hervatten"),
    Command.CLOSE: N_("Afsluiten"),
    Command.WITHDRAW: N_("Intrekken"),
    Command.REOPEN: N_("Heropenen"),
    Command.PLACE_LEGAL_HOLD: N_("Juridische blokkade plaatsen"),
    Command.LIFT_LEGAL_HOLD: N_("Juridische blokkade opheffen"),
    Command.ERASE_PERSONAL_DATA: N_("Persoonsgegevens wissen"),
    Command.MANAGE_CONSULTANTS: N_("Consulenten beheren"),
}

KINDS: Mapping[str, Mapping[Any, str]] = {
    "status": STATUS,
    "role": ROLE,
    "requester_role": REQUESTER_ROLE,
    "channel": CHANNEL,
    "sector": SECTOR,
    "region": REGION,
    "category": CATEGORY,
    "service": SERVICE,
    "step": STEP,
    "intake_decision": INTAKE_DECISION,
    "referred_to": REFERRED_TO,
    "activity": ACTIVITY,
    "outcome": OUTCOME,
    "education_status": EDUCATION_STATUS,
    "erasure_reason": ERASURE_REASON,
    "hold_reason": HOLD_REASON,
    "lift_reason": LIFT_REASON,
    "command": COMMAND,
    "cluster": CLUSTER,
}
