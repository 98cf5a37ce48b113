"""What the audit trail's field names mean, in Dutch: ``activities.2.summary`` is
"Activiteit 3: samenvatting", for the replay's "what changed" and the Logboek."""

from __future__ import annotations

from collections.abc import Callable

from web.labels import N_, STEP

# A field of the case or the consultant, by its whole name.
FIELDS = {
    "reference": N_("Referentie"),
    "status": N_("Status"),
    "channel": N_("Kanaal"),
    "requester_role": N_("Rol van de aanmelder"),
    "requester": N_("Aanmelder"),
    "consent_given": N_("Toestemming gegeven"),
    "pupil": N_("Leerling"),
    "municipality": N_("Gemeente"),
    "pc4": N_("Postcode (cijfers)"),
    "school_name": N_("School"),
    "brin": N_("BRIN"),
    "cluster": N_("Cluster"),
    "sector": N_("Sector"),
    "samenwerkingsverband": N_("Samenwerkingsverband"),
    "region": N_("Regio"),
    "category": N_("Categorie"),
    "service": N_("Dienst"),
    "at_home_since": N_("Thuis sinds"),
    "receives_education": N_("Krijgt onderwijs"),
    "school_decision_on": N_("Datum besluit school"),
    "account": N_("Toelichting van de aanmelder"),
    "consultant_id": N_("Consulent"),
    "personal_data_erased": N_("Persoonsgegevens gewist"),
    "erasure_reason": N_("Reden van wissen"),
    "prerequisites_rule_version": N_("Versie van de voorwaardenregel"),
    "prerequisites_decision": N_("Besluit over de voorwaarden"),
    "status_before_suspension": N_("Status voor de opschorting"),
    "suspension_reason": N_("Reden van opschorting"),
    "withdrawal_reason": N_("Reden van intrekking"),
    "name": N_("Naam"),
    "kind": N_("Soort"),
    "capacity": N_("Capaciteit"),
    "active": N_("Actief"),
}
# A group of fields (``intake.decision``): the group's name, then the part's.
GROUPS = {
    "intake": N_("Intake"),
    "outcome": N_("Afsluiting"),
    "legal_hold": N_("Juridische blokkade"),
    "prerequisites": N_("Voorwaarde"),
}
# A list's items (``activities.0.kind``): the item's name with its number.
LISTS = {
    "activities": N_("Activiteit %(n)d"),
    "resumptions": N_("Hervatting %(n)d"),
    "reopenings": N_("Heropening %(n)d"),
}
PARTS = {
    "kind": N_("soort"),
    "date": N_("datum"),
    "on": N_("datum"),
    "note": N_("notitie"),
    "reason": N_("reden"),
    "waived_by": N_("vervallen verklaard door"),
    "decision": N_("besluit"),
    "referred_to": N_("verwezen naar"),
    "decided_on": N_("datum besluit"),
    "summary": N_("samenvatting"),
    "parties": N_("betrokkenen"),
    "consultant_id": N_("consulent"),
    "outcome": N_("uitkomst"),
    "education_status": N_("onderwijssituatie"),
    "closed_on": N_("datum afsluiting"),
    "reference": N_("dossiernummer"),
    "placed_on": N_("geplaatst op"),
    "placed_by": N_("geplaatst door"),
    "lifted_reason": N_("reden van opheffen"),
    "lifted_reference": N_("dossiernummer bij opheffen"),
}


def field_name(key: str, t: Callable[..., str]) -> str:
    """The Dutch name of a trail field (translated by ``t``); the key itself
    for a field this does not know."""
    if key in FIELDS:
        return t(FIELDS[key])
    head, _, rest = key.partition(".")
    if head in LISTS:
        number, _, part = rest.partition(".")
        if number.isdigit() and part in PARTS:
            return f"{t(LISTS[head], n=int(number) + 1)}: {t(PARTS[part])}"
    if head == "prerequisites":
        step, _, part = rest.partition(".")
        steps = {str(s): text for s, text in STEP.items()}
        if step in steps and part in PARTS:
            return f"{t(GROUPS[head])} {t(steps[step]).lower()}: {t(PARTS[part])}"
    if head in GROUPS and rest in PARTS:
        return f"{t(GROUPS[head])}: {t(PARTS[rest])}"
    return key


# The kind of value a field holds (web.labels.KINDS), by its whole name or its
# last part, so that the page shows "Afgesloten" for "closed".
VALUE_KINDS = {
    "status": "status",
    "status_before_suspension": "status",
    "channel": "channel",
    "requester_role": "requester_role",
    "sector": "sector",
    "region": "region",
    "category": "category",
    "service": "service",
    "cluster": "cluster",
    "erasure_reason": "erasure_reason",
    "intake.decision": "intake_decision",
    "intake.referred_to": "referred_to",
    "outcome.outcome": "outcome",
    "outcome.education_status": "education_status",
    "legal_hold.reason": "hold_reason",
    "legal_hold.lifted_reason": "lift_reason",
    "kind": "activity",
}


def value_kind(key: str) -> str | None:
    """The labels' kind of a field's values (None: shown as they are)."""
    if key in VALUE_KINDS:
        return VALUE_KINDS[key]
    head, _, rest = key.partition(".")
    if head == "activities" and rest.endswith(".kind"):
        return "activity"
    return None
