"""The aanmelding form: its fields read as the API's CaseCreate body, the Dutch
message for each way a field can be wrong (schema or domain rule), and the
samenwerkingsverband and region the pupil's postcode area suggests."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from api.schemas import CaseCreate
from domain import regions
from domain.errors import InvalidCaseData
from domain.registration import PC4, Registration, check_consent
from domain.values import Sector
from web.labels import N_, REGION
from web.validation import parse, without_blanks

KEY = re.compile(r"^[A-Za-z0-9_-]{16,100}$")
YES = "yes"
NO = "no"

# The form's field names: the body's path with "_" for "." ("pupil_pc4").
FIELDS = (
    "channel",
    "requester_role",
    "requester_name",
    "requester_email",
    "requester_phone",
    "consent_given",
    "pupil_name",
    "pupil_birth_date",
    "pupil_municipality",
    "pupil_pc4",
    "sector",
    "school_name",
    "school_brin",
    "school_cluster",
    "samenwerkingsverband",
    "region",
    "category",
    "service",
    "at_home_since",
    "receives_education",
    "school_decision_on",
    "account",
)
UPPER = ("school_brin", "samenwerkingsverband")

# (field, kind) -> message; kind "invalid" is each field's fallback.
MESSAGES: dict[tuple[str, str], str] = {
    ("channel", "missing"): N_("Kies hoe de aanmelding binnenkwam"),
    ("requester_role", "missing"): N_("Kies wie de aanmelding doet"),
    ("requester_name", "missing"): N_("Vul de naam van de aanvrager in"),
    ("requester_name", "invalid"): N_(
        "De naam van de aanvrager is te lang (hoogstens 200 tekens)"
    ),
    ("requester_email", "invalid"): N_(
        "Vul een e-mailadres in zoals naam@voorbeeld.nl"
    ),
    ("requester_phone", "invalid"): N_(
        "Vul een telefoonnummer in zoals 0612345678 (alleen cijfers, spaties, "
        "haakjes, + en -)"
    ),
    ("consent_given", "invalid"): N_(
        "Een zaak mag alleen worden aangemeld met toestemming van de ouders "
        "(of van de leerling als die meerderjarig is)"
    ),
    ("pupil_name", "missing"): N_("Vul de naam van de leerling in"),
    ("pupil_name", "invalid"): N_(
        "De naam van de leerling is te lang (hoogstens 200 tekens)"
    ),
    ("pupil_birth_date", "missing"): N_("Vul de geboortedatum van de leerling in"),
    ("pupil_birth_date", "invalid"): N_("Vul een bestaande datum in"),
    ("pupil_birth_date", "future"): N_("De geboortedatum moet in het verleden liggen"),
    ("pupil_birth_date", "too_old"): N_(
        "Deze geboortedatum geeft een leerling ouder dan 30 jaar"
    ),
    ("pupil_municipality", "invalid"): N_(
        "De naam van de gemeente is te lang (hoogstens 100 tekens)"
    ),
    ("pupil_pc4", "invalid"): N_(
        "Vul de 4 cijfers van een Nederlandse postcode in, zoals 1011"
    ),
    ("sector", "missing"): N_("Kies de sector van het onderwijs"),
    ("school_name", "invalid"): N_(
        "De naam van de school is te lang (hoogstens 200 tekens)"
    ),
    ("school_brin", "invalid"): N_(
        "Een BRIN-code is twee cijfers en twee hoofdletters, soms gevolgd door "
        "twee cijfers, zoals 12AB of 12AB01"
    ),
    ("school_cluster", "invalid"): N_("Kies cluster 1, 2, 3 of 4"),
    ("samenwerkingsverband", "invalid"): N_(
        "Vul een officiële code van een samenwerkingsverband in, zoals PO2707 of VO2708"
    ),
    ("samenwerkingsverband", "sector"): N_(
        "Dit samenwerkingsverband hoort niet bij de gekozen sector: primair "
        "onderwijs heeft een PO-code, voortgezet onderwijs een VO-code"
    ),
    ("region", "missing"): N_("Kies de regio"),
    ("category", "missing"): N_("Kies de categorie van het probleem"),
    ("service", "missing"): N_("Kies de gevraagde dienst"),
    ("at_home_since", "missing"): N_(
        "Vul in sinds wanneer de leerling thuiszit (nodig bij een thuiszitter)"
    ),
    ("at_home_since", "invalid"): N_("Vul een bestaande datum in"),
    ("at_home_since", "future"): N_("Deze datum ligt in de toekomst"),
    ("at_home_since", "before_birth"): N_("Deze datum ligt vóór de geboortedatum"),
    ("receives_education", "invalid"): N_("Kies ja of nee"),
    ("school_decision_on", "invalid"): N_("Vul een bestaande datum in"),
    ("school_decision_on", "future"): N_("Deze datum ligt in de toekomst"),
    ("school_decision_on", "before_birth"): N_("Deze datum ligt vóór de geboortedatum"),
    ("school_decision_on", "too_old"): N_("Deze datum ligt meer dan twee jaar terug"),
    ("account", "missing"): N_("Beschrijf kort de vraag of het probleem"),
    ("account", "invalid"): N_("De beschrijving is te lang (hoogstens 10.000 tekens)"),
    ("form", "invalid"): N_(
        "Het formulier bevat tekens die Dossier niet kan bewaren; controleer de "
        "ingevulde tekst"
    ),
    ("form", "sent"): N_(
        "Dit formulier was al verstuurd met andere gegevens. Kijk in de "
        "werkvoorraad of de zaak al bestaat; verstuur het opnieuw om nog een "
        "zaak aan te melden."
    ),
}
FALLBACK = N_("Controleer wat hier is ingevuld")

# How the domain's rules word a reason (InvalidCaseData.reason), and its kind here.
REASONS = (
    ("must lie in the past", "future"),
    ("lies in the future", "future"),
    ("before", "before_birth"),
    ("older than", "too_old"),
    ("more than two years", "too_old"),
    ("is required", "missing"),
    ("must not be empty", "missing"),
    ("does not serve", "sector"),
)


def new_key() -> str:
    """A fresh idempotency key for one drawing of the form."""
    return secrets.token_urlsafe(24)


def kept_key(values: dict[str, str]) -> str:
    """The form's idempotency key as posted, or a new one if it is not one of ours."""
    key = values.get("idempotency_key", "")
    return key if KEY.match(key) else new_key()


def message_of(field_name: str, kind: str) -> str:
    """The (Dutch) message for a field wrong in this way, not yet translated."""
    return MESSAGES.get(
        (field_name, kind), MESSAGES.get((field_name, "invalid"), FALLBACK)
    )


def body(values: dict[str, str]) -> dict[str, Any]:
    """The API's CaseCreate body the form's fields give (blank fields left out,
    so that the schema calls a required one missing)."""

    def v(name: str) -> str | None:
        text = values.get(name, "")
        return (text.upper() if name in UPPER else text) or None

    data: dict[str, Any] = {
        "channel": v("channel"),
        "requester": {
            "role": v("requester_role"),
            "name": v("requester_name"),
            "email": v("requester_email"),
            "phone": v("requester_phone"),
        },
        "consent_given": values.get("consent_given") == YES,
        "pupil": {
            "name": v("pupil_name"),
            "birth_date": v("pupil_birth_date"),
            "municipality": v("pupil_municipality"),
            "pc4": v("pupil_pc4"),
        },
        "school": {
            "name": v("school_name"),
            "brin": v("school_brin"),
            "cluster": v("school_cluster"),
        },
        "sector": v("sector"),
        "samenwerkingsverband": v("samenwerkingsverband"),
        "region": v("region"),
        "category": v("category"),
        "service": v("service"),
        "at_home_since": v("at_home_since"),
        "receives_education": values.get("receives_education", YES) != NO,
        "school_decision_on": v("school_decision_on"),
        "account": v("account"),
    }
    return without_blanks(data)


@dataclass
class Checked:
    """The form read as a body, or the kind of error of each field that is wrong."""

    body: CaseCreate | None
    errors: dict[str, str] = field(default_factory=dict)  # field -> kind


def check(values: dict[str, str]) -> Checked:
    """The schema's checks on every field at once (and the domain's consent rule,
    which needs no other field), as the API's body would meet them."""
    data = body(values)
    errors: dict[str, str] = {}
    try:
        check_consent(data["consent_given"])
    except InvalidCaseData as refused:
        errors.update([domain_error(refused)])
    parsed, invalid = parse(CaseCreate, data)
    for name, kind in invalid.items():
        errors.setdefault(name, kind)
    return Checked(None if errors else parsed, errors)


def domain_error(refused: InvalidCaseData) -> tuple[str, str]:
    """The form field and the kind of error of a domain rule's refusal."""
    name = refused.field.replace(".", "_")
    for words, kind in REASONS:
        if words in refused.reason:
            return name, kind
    return name, "invalid"


# The registration's optional values, by the domain's name of the field: left
# out, the rest can still be checked.
OPTIONAL: dict[str, tuple[str, str | None]] = {
    "requester.email": ("requester", "email"),
    "requester.phone": ("requester", "phone"),
    "pupil.pc4": ("pupil", "pc4"),
    "school.brin": ("school", "brin"),
    "school.cluster": ("school", "cluster"),
    "samenwerkingsverband": ("samenwerkingsverband", None),
    "at_home_since": ("at_home_since", None),
    "school_decision_on": ("school_decision_on", None),
}


def domain_errors(registration: Registration, today: date) -> dict[str, str]:
    """Every rule of the domain's Registration.check the registration breaks, not
    only the first: an optional value that breaks one is left out and the rest
    checked again (a required one ends the search)."""
    errors: dict[str, str] = {}
    checking: Registration | None = registration
    while checking is not None:
        try:
            checking.check(today)
        except InvalidCaseData as refused:
            name, kind = domain_error(refused)
            errors.setdefault(name, kind)
            checking = _left_out(checking, refused.field)
        else:
            checking = None
    return errors


def _left_out(registration: Registration, field_name: str) -> Registration | None:
    if field_name not in OPTIONAL:
        return None
    part, inner = OPTIONAL[field_name]
    if inner is None:
        if getattr(registration, part) is None:
            return None  # required after all (a thuiszitter's day at home)
        left_out: dict[str, Any] = {part: None}
    else:
        left_out = {part: replace(getattr(registration, part), **{inner: None})}
    return replace(registration, **left_out)


@dataclass(frozen=True)
class Hint:
    """What the postcode lookup found, to say beside the fields it filled in."""

    text: str
    values: dict[str, Any]


HINTS = {
    "found": N_(
        "Voorgesteld bij postcode %(pc4)s (%(municipality)s): samenwerkingsverband "
        "%(code)s, regio %(region)s. U kunt dit aanpassen."
    ),
    "no_code": N_(
        "Bij postcode %(pc4)s (%(municipality)s) hoort geen samenwerkingsverband; "
        "vul het zelf in als u het weet."
    ),
    "no_sector": N_(
        "Kies ook de sector: primair en voortgezet onderwijs hebben elk hun eigen "
        "samenwerkingsverband."
    ),
    "unknown": N_(
        "Postcode %(pc4)s staat niet in de indeling van de samenwerkingsverbanden; "
        "controleer de 4 cijfers."
    ),
    "no_pc4": N_("Vul eerst de 4 cijfers van de postcode van de leerling in."),
}


def suggestion(values: dict[str, str]) -> tuple[dict[str, str], Hint]:
    """The fields the postcode area and sector fill in (the municipality only
    when still blank), and the hint to show; nothing typed is cleared."""
    pc4 = values.get("pupil_pc4", "")
    if not pc4:
        return {}, Hint(HINTS["no_pc4"], {})
    area = regions.postcode_areas().get(pc4) if PC4.match(pc4) else None
    if area is None:
        return {}, Hint(HINTS["unknown"], {"pc4": pc4})
    filled: dict[str, str] = {}
    if not values.get("pupil_municipality"):
        filled["pupil_municipality"] = area.municipality
    sector = values.get("sector", "")
    if sector not in tuple(Sector):
        return filled, Hint(HINTS["no_sector"], {})
    found = regions.suggest(pc4, Sector(sector))
    assert found is not None
    said = {"pc4": pc4, "municipality": area.municipality}
    if found.samenwerkingsverband is None or found.region is None:
        return filled, Hint(HINTS["no_code"], said)
    filled["samenwerkingsverband"] = found.samenwerkingsverband
    filled["region"] = str(found.region)
    return filled, Hint(
        HINTS["found"],
        {
            **said,
            "code": found.samenwerkingsverband,
            "region": REGION[found.region],
        },
    )
