"""What the pages say in words: events in a case's timeline, deadline clocks,
and refusals (a domain rule, a field the form got wrong), in Dutch."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from domain.errors import (
    ConcurrentUpdate,
    DossierError,
    IllegalTransition,
    InvalidCaseData,
    NotPermitted,
    VersionMismatch,
)
from web.labels import N_

EVENTS = {
    "Registered": N_("Aangemeld"),
    "PrerequisiteRecorded": N_("Voorwaarde vastgelegd"),
    "PrerequisiteWaived": N_("Voorwaarde vervallen"),
    "PrerequisitesMet": N_("Voorwaarden vervuld; wacht op intake"),
    "IntakeDecided": N_("Intake beslist"),
    "Assigned": N_("Consulent toegewezen"),
    "ActivityRecorded": N_("Activiteit vastgelegd"),
    "Suspended": N_("Opgeschort"),
    "Resumed": N_("Hervat"),
    "Closed": N_("Afgesloten"),
    "Withdrawn": N_("Ingetrokken"),
    "Reopened": N_("Heropend"),
    "LegalHoldPlaced": N_("Juridische blokkade geplaatst"),
    "LegalHoldLifted": N_("Juridische blokkade opgeheven"),
    "PersonalDataErased": N_("Persoonsgegevens gewist"),
}
CONSULTANT_EVENTS = {
    "Consultant.Registered": N_("Consulent aangemaakt"),
    "Consultant.Updated": N_("Consulent gewijzigd"),
}
# The audit trail's kinds of item, and what a read of personal data was for.
TRAIL_KINDS = {"change": N_("Wijziging"), "read": N_("Inzage")}
READS = {"retrieve": N_("Gegevens ingezien"), "list": N_("Lijst ingezien")}
PURPOSES = {
    "case_page": N_("Zaakpagina"),
    "case_replay": N_("Terugkijken"),
    "case_list": N_("Lijst van zaken"),
    "case_detail": N_("API: de zaak"),
    "case_history": N_("API: de geschiedenis van de zaak"),
    "event_feed": N_("API: de gebeurtenissen"),
    "audit_trail": N_("Logboek met waarden"),
    "subject_access": N_("Inzageverzoek (AVG art. 15)"),
}
CLOCKS = {
    "intake": N_("Intake"),
    "first_contact": N_("Eerste contact"),
    "thuiszitter_3_months": N_("Drie maanden thuis"),
    "gpo_window": N_("Termijn Geschillencommissie"),
}
CLOCK_STATES = {
    "running": N_("loopt"),
    "paused": N_("gepauzeerd"),
    "at_risk": N_("dreigt te verlopen"),
    "met": N_("gehaald"),
    "missed": N_("verlopen"),
    "ended": N_("beëindigd met de zaak"),
}
# A first contact that never came before the case ended, said as such.
ENDED_WITHOUT_CONTACT = N_("beëindigd zonder contact")
RULES = {
    "not-assigned-consultant": N_(
        "Alleen de toegewezen consulent mag dit bij deze zaak."
    ),
    "personal-data-erased": N_("De persoonsgegevens van deze zaak zijn gewist."),
    "consultant-kind-mismatch": N_(
        "Deze consulent is van een andere soort dan de dienst van de zaak."
    ),
    "consultant-inactive": N_("Deze consulent is niet meer actief."),
    "case-still-open": N_("Wissen kan pas als de zaak is afgesloten of ingetrokken."),
    "legal-hold": N_(
        "Deze zaak staat onder een juridische blokkade: hef die eerst op."
    ),
    "already-erased": N_("De persoonsgegevens zijn al gewist."),
    "already-assigned": N_("De zaak is al aan deze consulent toegewezen."),
    "illegal-transition": N_("Dit kan niet in de huidige status van de zaak."),
    "not-permitted": N_("Uw rol mag dit niet."),
    "concurrent-update": N_(
        "Iemand anders heeft de zaak intussen gewijzigd. U ziet nu de actuele "
        "zaak; uw wijziging is niet opgeslagen."
    ),
}
FIELD_PROBLEMS = {
    "missing": N_("Vul dit veld in"),
    "string_too_short": N_("Vul dit veld in"),
    "string_too_long": N_("Dit is te lang"),
    "enum": N_("Kies een van de mogelijkheden"),
    "uuid_parsing": N_("Kies een van de mogelijkheden"),
    "date_from_datetime_parsing": N_("Vul een geldige datum in"),
    "date_parsing": N_("Vul een geldige datum in"),
    "lies in the future": N_("Deze datum ligt in de toekomst"),
    "lies before the case was registered": N_("Deze datum ligt vóór de aanmelding"),
    "required": N_("Vul dit veld in"),
    "only when referred": N_("Alleen invullen bij doorverwijzen"),
    "file number": N_(
        "Vul een dossiernummer in: hoofdletters, cijfers en . / -, met minstens "
        "één cijfer (zoals KL-2026-014), geen namen"
    ),
    "other": N_("Deze waarde klopt niet"),
}


def trail_action(item: dict[str, Any]) -> str:
    """What an audit trail item did, in words (a catalogue id)."""
    if item["kind"] == "read":
        return READS.get(str(item["action"]), str(item["action"]))
    event_type = str(item["event_type"])
    if event_type in CONSULTANT_EVENTS:
        return CONSULTANT_EVENTS[event_type]
    name = event_type.rpartition(".")[2]
    return EVENTS.get(name, event_type)


def refusal(error: DossierError) -> str:
    """The Dutch text (a catalogue id) of a domain refusal."""
    if isinstance(error, ConcurrentUpdate | VersionMismatch):
        return RULES["concurrent-update"]
    if error.rule in RULES:
        return RULES[error.rule]
    if isinstance(error, IllegalTransition):
        return RULES["illegal-transition"]
    if isinstance(error, NotPermitted):
        return RULES["not-permitted"]
    return FIELD_PROBLEMS["other"]


def field_problem(error: InvalidCaseData) -> tuple[str, str]:
    """The form field a domain data error is about, and its Dutch text id."""
    field = error.field.split(".")[-1]
    if error.reason.startswith("is required"):
        return field, FIELD_PROBLEMS["required"]
    if error.reason.startswith("is only given"):
        return field, FIELD_PROBLEMS["only when referred"]
    if error.reason.startswith("must be a file number"):
        return field, FIELD_PROBLEMS["file number"]
    return field, FIELD_PROBLEMS.get(error.reason, FIELD_PROBLEMS["other"])


def field_problems(error: ValidationError) -> dict[str, str]:
    """Each invalid field of a form body, with its Dutch text id."""
    found: dict[str, str] = {}
    for item in error.errors():
        location: Any = item.get("loc", ())
        field = str(location[-1]) if location else "form"
        kind = str(item.get("type", "other"))
        found.setdefault(field, FIELD_PROBLEMS.get(kind, FIELD_PROBLEMS["other"]))
    return found
