"""The demo's reference tables: who works where, fictitious people and schools,
the case mix, the words recorded, and how often each branch of a case's life
is taken. Long because it is data, one table after another."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TypeVar

from domain.values import (
    ActivityKind,
    Actor,
    Category,
    Channel,
    EducationStatus,
    Outcome,
    ReferredTo,
    Region,
    RequesterRole,
    Role,
    Sector,
    Step,
)

T = TypeVar("T")

# --- who works where -----------------------------------------------------------------

# Inhabitants in thousands (CBS, 1 January 2024): consultants and cases are spread
# over the provinces in proportion to these.
POPULATION: dict[Region, int] = {
    Region.ZUID_HOLLAND: 3826,
    Region.NOORD_HOLLAND: 2952,
    Region.NOORD_BRABANT: 2626,
    Region.GELDERLAND: 2133,
    Region.UTRECHT: 1401,
    Region.OVERIJSSEL: 1185,
    Region.LIMBURG: 1118,
    Region.FRIESLAND: 659,
    Region.GRONINGEN: 596,
    Region.DRENTHE: 501,
    Region.FLEVOLAND: 441,
    Region.ZEELAND: 391,
}
# 8 of the 49 consultants are onderwijszorgconsulent (domain.md).
ZORG_SHARE = 8 / 49
CAPACITY = (25, 40)

INTAKE_WORKERS = tuple(Actor(f"intake-{n}", Role.INTAKE) for n in range(1, 5))
COORDINATORS = tuple(Actor(f"coordinator-{n}", Role.COORDINATOR) for n in range(1, 4))

# --- fictitious people ---------------------------------------------------------------

CHILD_NAMES = (
    "Daan", "Sem", "Lucas", "Levi", "Finn", "Noah", "Milan", "Luuk", "Bram",
    "Jesse", "Thijs", "Mohammed", "Adam", "Julian", "Ilias", "Ayoub", "Stijn",
    "Ruben", "Emma", "Julia", "Mila", "Tess", "Sophie", "Zoë", "Sara", "Nora",
    "Yara", "Eva", "Lotte", "Noor", "Liv", "Fenna", "Saar", "Anouk", "Fleur",
    "Isa", "Lieke", "Jasmijn", "Amira", "Nina",
)  # fmt: skip
ADULT_NAMES = (
    "Jan", "Peter", "Mark", "Kees", "Erik", "Martijn", "Dennis", "Bas", "Sander",
    "Ahmed", "Mustafa", "Richard", "Jeroen", "Wouter", "Hanneke", "Marieke",
    "Esther", "Linda", "Sandra", "Petra", "Ingrid", "Fatima", "Monique", "Judith",
    "Karin", "Anja", "Miriam", "Saskia", "Nicole", "Yvonne",
)  # fmt: skip
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker",
    "Janssen", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos",
    "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
    "Dijkstra", "Smits", "de Graaf", "van der Meer", "Yilmaz", "El Amrani", "Kaya",
    "Bouzid", "Pinas", "Koster", "Postma", "Kuipers", "Willems", "Verhoeven",
)  # fmt: skip
SCHOOL_NAMES = (
    "De Regenboog", "Het Kompas", "De Wegwijzer", "De Springplank", "De Horizon",
    "Het Anker", "De Zonnebloem", "De Vlinder", "Het Baken", "De Brug",
    "De Sleutel", "De Klimop", "De Fontein", "Het Palet", "De Windroos",
)  # fmt: skip
SCHOOL_KINDS: dict[Sector, tuple[str, ...]] = {
    Sector.PO: ("Basisschool", "OBS", "CBS", "RKBS"),
    Sector.SBO: ("SBO",),
    Sector.SO: ("SO", "School voor speciaal onderwijs"),
    Sector.VO: ("College", "Lyceum", "Scholengemeenschap"),
    Sector.VSO: ("VSO",),
    Sector.MBO: ("ROC", "MBO College"),
}
# Addresses and numbers that reach no one: the reserved example domains (RFC
# 2606), and 06-00 mobile numbers, a block that is not issued.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# --- the case mix --------------------------------------------------------------------

SECTORS: dict[Sector, float] = {
    Sector.PO: 40,
    Sector.VO: 30,
    Sector.SO: 8,
    Sector.VSO: 9,
    Sector.SBO: 6,
    Sector.MBO: 7,
}
AGES: dict[Sector, tuple[int, int]] = {  # the pupil's age at registration
    Sector.PO: (4, 12),
    Sector.SBO: (6, 13),
    Sector.SO: (4, 13),
    Sector.VO: (12, 18),
    Sector.VSO: (12, 20),
    Sector.MBO: (16, 23),
}
CATEGORIES: dict[Category, float] = {
    Category.THUISZITTER: 30,
    Category.ONDERSTEUNINGSAANBOD: 20,
    Category.TOELATING: 17,
    Category.VERWIJDERING: 13,
    Category.SCHORSING: 10,
    Category.ONDERWIJSZORGARRANGEMENT: 10,
}
REQUESTERS: dict[RequesterRole, float] = {
    RequesterRole.PARENT: 70,
    RequesterRole.SCHOOL: 10,
    RequesterRole.GUARDIAN: 5,
    RequesterRole.SAMENWERKINGSVERBAND: 4,
    RequesterRole.LEERPLICHT: 4,
    RequesterRole.PUPIL: 3,
    RequesterRole.CARE_PROVIDER: 3,
    RequesterRole.OTHER: 1,
}
CHANNELS: dict[Channel, float] = {Channel.WEB: 55, Channel.PHONE: 35, Channel.EMAIL: 10}
CLUSTERS: dict[int, float] = {1: 5, 2: 15, 3: 35, 4: 45}
# Fewer registrations in the summer and Christmas holidays, more after them.
MONTH_WEIGHT = (1.0, 0.9, 1.1, 1.0, 0.9, 1.1, 0.6, 0.5, 1.2, 1.1, 1.2, 0.8)

ACCOUNTS: dict[Category, tuple[str, ...]] = {
    Category.THUISZITTER: (
        "Leerling zit al maanden thuis zonder passend onderwijsaanbod.",
        "Na een lange ziekteperiode is terugkeer naar school niet gelukt.",
        "School en ouders verschillen van mening over wat de leerling nodig heeft.",
    ),
    Category.ONDERSTEUNINGSAANBOD: (
        "Ouders vinden de extra ondersteuning op school onvoldoende.",
        "Het ontwikkelingsperspectiefplan wordt niet uitgevoerd zoals afgesproken.",
    ),
    Category.TOELATING: (
        "School weigert toelating na verhuizing van het gezin.",
        "Geen school gevonden die de benodigde ondersteuning kan bieden.",
    ),
    Category.SCHORSING: (
        "Leerling is na een incident voor een week geschorst.",
        "Herhaalde schorsingen; ouders zien geen perspectief meer.",
    ),
    Category.VERWIJDERING: (
        "School is voornemens de leerling te verwijderen.",
        "Verwijderingsbesluit genomen zonder dat een andere school is gevonden.",
    ),
    Category.ONDERWIJSZORGARRANGEMENT: (
        "Zorg onder schooltijd is nodig om onderwijs te kunnen volgen.",
        "Verpleegkundige zorg op school is niet geregeld.",
    ),
}
NOT_ADMISSIBLE = (
    "Er loopt een juridische procedure.",
    "Het geschil gaat over doubleren.",
    "Het geschil gaat over het schooladvies.",
    "Verzuim zonder schoolgerelateerde oorzaak.",
    "De student volgt hoger onderwijs.",
)
REFERRED: dict[ReferredTo, tuple[float, str]] = {
    ReferredTo.SAMENWERKINGSVERBAND: (40, "Eerst het samenwerkingsverband inzetten."),
    ReferredTo.GESCHILLENCOMMISSIE: (30, "Besluit genomen; GPO is de juiste weg."),
    ReferredTo.LEERPLICHT: (20, "Leerplicht is al betrokken en neemt het op."),
    ReferredTo.OTHER: (10, "Vraag hoort bij de jeugdhulp van de gemeente."),
}
PREREQUISITE_NOTES = (
    "Gesprek met intern begeleider en ouders.",
    "Gesprek met de directie.",
    "Overleg met de zorgcoördinator.",
    None,
)
WAIVER_REASONS: dict[Step, tuple[str, ...]] = {
    Step.SCHOOL_CONVERSATION: ("School weigert een gesprek met de ouders.",),
    Step.SAMENWERKINGSVERBAND_CONTACT: (
        "Samenwerkingsverband niet bereikbaar; spoed vanwege thuiszitten.",
        "Samenwerkingsverband is zelf partij in het geschil.",
    ),
}
FIRST_CONTACT = "Telefonisch kennismakingsgesprek met de aanmelder."
REQUESTER_PARTY: dict[RequesterRole, str] = {
    RequesterRole.PUPIL: "leerling",
    RequesterRole.SCHOOL: "school",
    RequesterRole.SAMENWERKINGSVERBAND: "samenwerkingsverband",
    RequesterRole.LEERPLICHT: "leerplicht",
    RequesterRole.CARE_PROVIDER: "jeugdhulp",
}
ACTIVITIES: dict[ActivityKind, tuple[str, ...]] = {
    ActivityKind.CONTACT: (
        "Contact met de ouders over de voortgang.",
        "Contact met de school over de stand van zaken.",
        "Contact met het samenwerkingsverband.",
    ),
    ActivityKind.MEETING: (
        "Overleg met ouders en school.",
        "Multidisciplinair overleg met school, samenwerkingsverband en jeugdhulp.",
    ),
    ActivityKind.ADVICE: (
        "Advies gegeven over de mogelijkheden binnen passend onderwijs.",
        "Advies over de procedure bij de Geschillencommissie.",
    ),
    ActivityKind.AGREEMENT: (
        "Afspraken gemaakt over een plaatsing en de ondersteuning.",
        "Afspraken over een gefaseerde terugkeer naar school.",
    ),
}
PARTIES = (
    "ouders",
    "school",
    "samenwerkingsverband",
    "leerplicht",
    "jeugdhulp",
    "leerling",
    "gemeente",
)
SUSPEND_REASONS = (
    "Procedure bij de Geschillencommissie passend onderwijs loopt.",
    "Bezwaarprocedure tegen het besluit van de school loopt.",
    "Wachten op onderzoek naar de ondersteuningsbehoefte.",
    "Ouders vragen bedenktijd.",
)
WITHDRAW_REASONS = (
    "Ouders en school hebben samen een oplossing gevonden.",
    "Ouders zien af van bemiddeling.",
    "Het gezin is verhuisd.",
)
REOPEN_REASONS = (
    "Afspraken worden niet nagekomen; ouders vragen opnieuw bemiddeling.",
    "De plaatsing is alsnog mislukt.",
)
OUTCOMES: dict[Category, dict[Outcome, float]] = {
    Category.THUISZITTER: {
        Outcome.PLACED_AT_SCHOOL: 35,
        Outcome.BACK_AT_SCHOOL: 20,
        Outcome.SUPPORT_ARRANGED: 15,
        Outcome.CARE_ARRANGEMENT: 5,
        Outcome.ADVICE_GIVEN: 10,
        Outcome.NO_SOLUTION: 12,
        Outcome.REFERRED_TO_GPO: 3,
    },
    Category.TOELATING: {
        Outcome.PLACED_AT_SCHOOL: 50,
        Outcome.BACK_AT_SCHOOL: 5,
        Outcome.ADVICE_GIVEN: 20,
        Outcome.NO_SOLUTION: 10,
        Outcome.REFERRED_TO_GPO: 15,
    },
    Category.SCHORSING: {
        Outcome.BACK_AT_SCHOOL: 55,
        Outcome.SUPPORT_ARRANGED: 15,
        Outcome.ADVICE_GIVEN: 20,
        Outcome.NO_SOLUTION: 5,
        Outcome.REFERRED_TO_GPO: 5,
    },
    Category.VERWIJDERING: {
        Outcome.PLACED_AT_SCHOOL: 35,
        Outcome.BACK_AT_SCHOOL: 25,
        Outcome.ADVICE_GIVEN: 15,
        Outcome.NO_SOLUTION: 10,
        Outcome.REFERRED_TO_GPO: 15,
    },
    Category.ONDERSTEUNINGSAANBOD: {
        Outcome.SUPPORT_ARRANGED: 55,
        Outcome.ADVICE_GIVEN: 25,
        Outcome.NO_SOLUTION: 10,
        Outcome.REFERRED_TO_GPO: 10,
    },
    Category.ONDERWIJSZORGARRANGEMENT: {
        Outcome.CARE_ARRANGEMENT: 65,
        Outcome.SUPPORT_ARRANGED: 10,
        Outcome.ADVICE_GIVEN: 15,
        Outcome.NO_SOLUTION: 10,
    },
}
_SETTLED: dict[EducationStatus, float] = {
    EducationStatus.ATTENDING: 80,
    EducationStatus.PARTIALLY_ATTENDING: 20,
}
EDUCATION_AT_CLOSING: dict[Outcome, dict[EducationStatus, float]] = {
    Outcome.PLACED_AT_SCHOOL: _SETTLED,
    Outcome.BACK_AT_SCHOOL: _SETTLED,
    Outcome.SUPPORT_ARRANGED: _SETTLED,
    Outcome.CARE_ARRANGEMENT: _SETTLED,
    Outcome.ADVICE_GIVEN: {
        EducationStatus.ATTENDING: 60,
        EducationStatus.PARTIALLY_ATTENDING: 25,
        EducationStatus.AT_HOME: 15,
    },
    Outcome.NO_SOLUTION: {
        EducationStatus.AT_HOME: 60,
        EducationStatus.PARTIALLY_ATTENDING: 30,
        EducationStatus.EXEMPT: 10,
    },
    Outcome.REFERRED_TO_GPO: {
        EducationStatus.ATTENDING: 50,
        EducationStatus.PARTIALLY_ATTENDING: 30,
        EducationStatus.AT_HOME: 20,
    },
}
CLOSING_SUMMARIES: dict[Outcome, str] = {
    Outcome.PLACED_AT_SCHOOL: "Leerling is geplaatst op een passende school.",
    Outcome.BACK_AT_SCHOOL: "Leerling is terug op de eigen school.",
    Outcome.SUPPORT_ARRANGED: "De ondersteuning is geregeld en vastgelegd.",
    Outcome.CARE_ARRANGEMENT: "Het onderwijszorgarrangement is rond.",
    Outcome.ADVICE_GIVEN: "Advies gegeven; partijen gaan zelf verder.",
    Outcome.NO_SOLUTION: "Geen oplossing bereikt.",
    Outcome.REFERRED_TO_GPO: "Ouders leggen het geschil voor aan de GPO.",
}

# How often the branches of a case's life are taken.
P_INADMISSIBLE = 0.07
P_REFERRED = 0.07
P_WITHDRAWN = 0.05
P_SUSPENDED = 0.10
P_REASSIGNED = 0.04
P_REOPENED = 0.03
P_WAIVE_SCHOOL = 0.03
P_WAIVE_SWV = 0.08


def pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    """One key of ``weights``, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]
