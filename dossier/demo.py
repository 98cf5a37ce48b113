"""Demo data: a realistic year of casework, recorded through the real CaseService.

Every case is planned first (what happens to it and when, from registration to
closing), then all cases' commands are given in one global time order with the
clock set to each command's moment. Giving them through the service's commands,
never by writing events, means every rule of the domain is honoured; giving
them in time order means reference numbers follow registration order, the log
reads like a real year, and each consultant's workload at the moment of an
assignment is what it really was then.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.calendar import WorkingDayCalendar
from domain.case import local_date
from domain.clock import Clock
from domain.prerequisites import required_steps
from domain.regions import postcode_areas, region_of_code, suggest
from domain.registration import Pupil, Registration, Requester, School
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    Actor,
    Category,
    Channel,
    EducationStatus,
    IntakeDecision,
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

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
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


# --- the clock -----------------------------------------------------------------------


class SettableClock(Clock):
    """A clock that reads what the seeder set, so events get past timestamps.

    It refuses a moment later than the real now: demo data must never claim to
    have happened in the future.
    """

    def __init__(self, moment: datetime | None = None) -> None:
        self._moment = datetime.now(tz=UTC) if moment is None else _utc(moment)

    def now(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        moment = _utc(moment)
        if moment > datetime.now(tz=UTC):
            raise ValueError(f"{moment.isoformat()} lies in the future")
        self._moment = moment


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment must carry its timezone")
    return moment.astimezone(UTC)


# --- the summary ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """What a seeding recorded: counts only, never personal data."""

    cases: int
    consultants: int
    by_status: dict[str, int]
    by_region: dict[str, int]
    by_category: dict[str, int]
    events: int
    seconds: float
    first_registration: datetime | None
    end: datetime


# --- planning ------------------------------------------------------------------------


@dataclass
class _Consultant:
    index: int
    id: UUID
    region: Region
    kind: Service
    capacity: int
    open_cases: int = 0

    @property
    def actor(self) -> Actor:
        return Actor(str(self.id), Role.CONSULTANT)


@dataclass
class _Case:
    """One case being seeded: its plan's state as the commands are given."""

    index: int
    registration: Registration
    case_id: UUID | None = None
    consultant: _Consultant | None = None
    status: Status | None = None
    steps_left: int = 0


Action = Callable[["_Seeder", _Case], None]


@dataclass(order=True)
class _PlannedStep:
    at: datetime
    case: int
    seq: int
    action: Action = field(compare=False)


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _allocate(total: int, weights: dict[Region, int]) -> dict[Region, int]:
    """``total`` split in proportion to ``weights`` (largest remainder)."""
    whole = sum(weights.values())
    shares = {r: total * w / whole for r, w in weights.items()}
    counts = {r: int(s) for r, s in shares.items()}
    by_remainder = sorted(weights, key=lambda r: counts[r] - shares[r])
    for r in by_remainder[: total - sum(counts.values())]:
        counts[r] += 1
    return counts


class _Planner:
    """Draws registrations and the moments of every later command."""

    def __init__(self, rng: random.Random, calendar: WorkingDayCalendar) -> None:
        self.rng = rng
        self.calendar = calendar
        by_region: dict[Region, list[str]] = {r: [] for r in Region}
        for area in postcode_areas().values():
            # Areas without a code (the Europoort port area) have no pupils.
            if area.po_swv and area.vo_swv:
                by_region[region_of_code(area.po_swv)].append(area.pc4)
        self.pc4_by_region = by_region

    # moments

    def working_day(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def moment_on(self, day: date, after: datetime | None = None) -> datetime:
        """A moment in office hours on ``day`` (Amsterdam), later than ``after``."""
        minutes = 8 * 60 + 30 + self.rng.randint(0, 9 * 60)
        local = datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)
        moment = (local + timedelta(minutes=minutes)).astimezone(UTC)
        if after is not None and moment <= after:
            moment = after + timedelta(minutes=self.rng.randint(5, 90))
        return moment

    def days_later(self, after: datetime, low: int, high: int) -> datetime:
        """Some calendar days later, on a working day."""
        day = local_date(after) + timedelta(days=self.rng.randint(low, high))
        return self.moment_on(self.working_day(day), after)

    def working_days_later(self, after: datetime, n: int) -> datetime:
        day = self.calendar.add_working_days(local_date(after), n)
        assert day is not None  # without pauses there is always a day
        return self.moment_on(day, after)

    def registration_days(self, start: date, end: date, count: int) -> list[date]:
        """Working days in [start, end), drawn with the season's weights."""
        days = []
        day = start
        while day < end:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        weights = [MONTH_WEIGHT[d.month - 1] for d in days]
        return sorted(self.rng.choices(days, weights=weights, k=count))

    # registrations

    def person(self, names: Sequence[str], last: str | None = None) -> str:
        return f"{self.rng.choice(names)} {last or self.rng.choice(LAST_NAMES)}"

    def registration(self, today: date) -> Registration:
        rng = self.rng
        sector = _pick(rng, SECTORS)
        category = _pick(rng, CATEGORIES)
        service = (
            Service.ONDERWIJSZORGCONSULENT
            if category == Category.ONDERWIJSZORGARRANGEMENT
            else Service.ONDERWIJSCONSULENT
        )
        region = _pick(rng, POPULATION)
        pc4 = rng.choice(self.pc4_by_region[region])
        suggestion = suggest(pc4, sector)
        assert suggestion is not None
        assert suggestion.region is not None
        low, high = AGES[sector]
        age = rng.randint(low, high)
        birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
        family = rng.choice(LAST_NAMES)
        pupil = Pupil(
            name=self.person(CHILD_NAMES, family),
            birth_date=birth,
            municipality=suggestion.municipality,
            pc4=pc4,
        )
        return Registration(
            channel=_pick(rng, CHANNELS),
            requester=self.requester(family, age),
            consent_given=True,
            pupil=pupil,
            school=self.school(sector),
            sector=sector,
            # mbo has no samenwerkingsverband of its own (domain.md).
            samenwerkingsverband=(
                None if sector == Sector.MBO else suggestion.samenwerkingsverband
            ),
            region=suggestion.region,
            category=category,
            service=service,
            at_home_since=self.at_home_since(category, today),
            receives_education=not (
                category == Category.THUISZITTER and rng.random() < 0.55
            ),
            account=rng.choice(ACCOUNTS[category]),
            school_decision_on=self.school_decision(category, today),
        )

    def requester(self, family: str, pupil_age: int) -> Requester:
        rng = self.rng
        role = _pick(rng, REQUESTERS)
        if role == RequesterRole.PUPIL and pupil_age < 16:
            role = RequesterRole.PARENT  # a young child does not register itself
        if role == RequesterRole.PUPIL:
            name = self.person(CHILD_NAMES, family)
        elif role in (RequesterRole.PARENT, RequesterRole.GUARDIAN):
            name = self.person(ADULT_NAMES, family if rng.random() < 0.7 else None)
        else:
            name = self.person(ADULT_NAMES)
        handle = "".join(c for c in name.lower() if c.isalpha() or c == " ")
        email = (
            f"{handle.replace(' ', '.')}@{rng.choice(EMAIL_DOMAINS)}"
            if rng.random() < 0.8
            else None
        )
        phone = f"06-00{rng.randint(0, 999_999):06d}" if rng.random() < 0.7 else None
        return Requester(role=role, name=name, email=email, phone=phone)

    def school(self, sector: Sector) -> School:
        rng = self.rng
        kind = rng.choice(SCHOOL_KINDS[sector])
        base = rng.choice(SCHOOL_NAMES)
        name = f"{base} {kind}" if kind in ("College", "Lyceum") else f"{kind} {base}"
        brin = None
        if rng.random() < 0.85:
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXZ") for _ in range(2))
            brin = f"{rng.randint(0, 99):02d}{letters}"
        cluster = _pick(rng, CLUSTERS) if sector in (Sector.SO, Sector.VSO) else None
        return School(name=name, brin=brin, cluster=cluster)

    def at_home_since(self, category: Category, today: date) -> date | None:
        rng = self.rng
        if category == Category.THUISZITTER:
            # At home for more than 4 weeks: most for one or two months, some
            # for half a year or more.
            low, high = rng.choices(((29, 60), (61, 180), (181, 365)), (6, 3, 1))[0]
            days = rng.randint(low, high)
        elif category == Category.SCHORSING and rng.random() < 0.4:
            days = rng.randint(1, 14)
        elif category == Category.VERWIJDERING and rng.random() < 0.3:
            days = rng.randint(7, 90)
        else:
            return None
        return today - timedelta(days=days)

    def school_decision(self, category: Category, today: date) -> date | None:
        chance = {
            Category.TOELATING: 0.5,
            Category.VERWIJDERING: 0.6,
            Category.SCHORSING: 0.3,
        }.get(category, 0.0)
        if self.rng.random() >= chance:
            return None
        return today - timedelta(days=self.rng.randint(3, 40))

    # a case's life

    def plan(
        self, registered_at: datetime, r: Registration
    ) -> list[tuple[datetime, Action]]:
        """Every command of one case, with its moment, in order; ends when the
        case does. The caller drops what lies after the seeding's end."""
        rng = self.rng
        steps: list[tuple[datetime, Action]] = [(registered_at, _register)]
        t = registered_at

        # Prerequisites: recorded by intake days to weeks after registration.
        required = required_steps(r.sector, r.school.cluster, r.receives_education)
        order = [Step.SCHOOL_CONVERSATION, Step.SAMENWERKINGSVERBAND_CONTACT]
        for i, step in enumerate(s for s in order if s in required):
            if i == 0:
                n = rng.randint(0, 5) if rng.random() < 0.7 else rng.randint(5, 25)
            else:
                n = rng.randint(0, 10)
            t = self.working_days_later(t, n) if n else self.moment_on(local_date(t), t)
            waive = P_WAIVE_SCHOOL if step == Step.SCHOOL_CONVERSATION else P_WAIVE_SWV
            if rng.random() < waive:
                steps.append((t, _waive(step, rng.choice(WAIVER_REASONS[step]))))
            else:
                if rng.random() < 0.75:  # mostly before the aanmelding
                    on = local_date(registered_at) - timedelta(days=rng.randint(3, 60))
                else:
                    span = (local_date(t) - local_date(registered_at)).days
                    on = local_date(registered_at) + timedelta(rng.randint(0, span))
                steps.append(
                    (t, _prerequisite(step, on, rng.choice(PREREQUISITE_NOTES)))
                )

        # Intake: the telephone intake after a wait of 6 to 7 weeks.
        wait = registered_at + timedelta(days=rng.triangular(18, 60, 40))
        t = self.moment_on(self.working_day(local_date(max(wait, t))), t)
        draw = rng.random()
        if draw < P_INADMISSIBLE:
            steps.append(
                (t, _intake(IntakeDecision.NOT_ADMISSIBLE, rng.choice(NOT_ADMISSIBLE)))
            )
            return self.maybe_withdrawn(steps)
        if draw < P_INADMISSIBLE + P_REFERRED:
            to = _pick(rng, {k: w for k, (w, _) in REFERRED.items()})
            steps.append((t, _intake(IntakeDecision.REFERRED, REFERRED[to][1], to)))
            return self.maybe_withdrawn(steps)
        steps.append((t, _intake(IntakeDecision.ADMISSIBLE)))

        # Assignment: thuiszitters go first in the region's queue.
        thuiszitter = r.category == Category.THUISZITTER
        t = self.working_days_later(
            t, rng.randint(1, 5) if thuiszitter else rng.randint(2, 15)
        )
        steps.append((t, _assign))
        t = self.mediation(steps, t, r.category)

        if rng.random() < P_REOPENED:
            t = self.days_later(t, 10, 60)
            steps.append((t, _reopen(rng.choice(REOPEN_REASONS))))
            t = self.working_days_later(t, rng.randint(2, 10))
            steps.append((t, _assign))
            self.mediation(steps, t, r.category, short=True)
            return steps
        return self.maybe_withdrawn(steps)

    def mediation(
        self,
        steps: list[tuple[datetime, Action]],
        t: datetime,
        category: Category,
        *,
        short: bool = False,
    ) -> datetime:
        """First contact, further activities, perhaps a suspension or a
        reassignment, and the closing; returns the closing's moment."""
        rng = self.rng
        # First contact: the norm is 5 working days; most make it, some do not.
        n = rng.choices(range(1, 11), weights=(20, 20, 18, 14, 10, 6, 4, 3, 3, 2))[0]
        t = self.working_days_later(t, n)
        steps.append((t, _activity(ActivityKind.CONTACT, first=True)))
        more = rng.randint(1, 3) if short else rng.randint(2, 8)
        suspend_after = rng.randint(1, more) if rng.random() < P_SUSPENDED else None
        reassign_after = 1 if not short and rng.random() < P_REASSIGNED else None
        for i in range(1, more + 1):
            if i == reassign_after:
                t = self.days_later(t, 5, 30)
                steps.append((t, _assign))
            t = self.days_later(t, 3, 21)
            last = i == more
            if last:
                kind = (
                    ActivityKind.AGREEMENT
                    if rng.random() < 0.6
                    else ActivityKind.ADVICE
                )
            else:
                kind = rng.choice(
                    (ActivityKind.CONTACT, ActivityKind.MEETING, ActivityKind.ADVICE)
                )
            steps.append((t, _activity(kind)))
            if i == suspend_after:
                t = self.days_later(t, 1, 5)
                steps.append((t, _suspend(rng.choice(SUSPEND_REASONS))))
                t = self.days_later(t, 14, 90)
                steps.append((t, _resume))
        t = self.days_later(t, 1, 14)
        outcome = _pick(rng, OUTCOMES[category])
        steps.append((t, _close(outcome, _pick(rng, EDUCATION_AT_CLOSING[outcome]))))
        return t

    def maybe_withdrawn(
        self, steps: list[tuple[datetime, Action]]
    ) -> list[tuple[datetime, Action]]:
        """Now and then the requester withdraws, at any point before the end."""
        if len(steps) < 2 or self.rng.random() >= P_WITHDRAWN:
            return steps
        cut = self.rng.randint(1, len(steps) - 1)
        before, after = steps[cut - 1][0], steps[cut][0]
        between = before + (after - before) * self.rng.uniform(0.2, 0.9)
        at = self.moment_on(self.working_day(local_date(between)), before)
        if not before < at < after:  # no office hours left in between
            at = before + (after - before) / 2
        return [*steps[:cut], (at, _withdraw(self.rng.choice(WITHDRAW_REASONS)))]


# --- the commands, given when their moment comes -------------------------------------


class _Seeder:
    def __init__(
        self,
        service: CaseService,
        rng: random.Random,
        consultants: list[_Consultant],
    ) -> None:
        self.service = service
        self.rng = rng
        self.consultants = consultants

    def intake_worker(self) -> Actor:
        return self.rng.choice(INTAKE_WORKERS)

    def coordinator(self) -> Actor:
        return self.rng.choice(COORDINATORS)

    def choose_consultant(self, case: _Case) -> _Consultant | None:
        """The least loaded (against capacity) active consultant of the right kind
        in the case's region; any region when there is none there."""
        r = case.registration
        kind = [
            c
            for c in self.consultants
            if c.kind == r.service and c is not case.consultant
        ]
        local = [c for c in kind if c.region == r.region]
        candidates = local or kind
        if not candidates:
            return None
        return min(
            candidates, key=lambda c: (c.open_cases / max(c.capacity, 1), c.index)
        )


def _case_id(case: _Case) -> UUID:
    assert case.case_id is not None, "the case is registered first"
    return case.case_id


def _register(s: _Seeder, case: _Case) -> None:
    result = s.service.register(case.registration, by=s.intake_worker())
    case.case_id = result.case.id
    case.status = result.case.status


def _prerequisite(step: Step, on: date, note: str | None) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        result = s.service.record_prerequisite(
            _case_id(case), step, on, note, by=s.intake_worker()
        )
        case.status = result.case.status

    return act


def _waive(step: Step, reason: str) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        result = s.service.waive_prerequisite(
            _case_id(case), step, reason, by=s.coordinator()
        )
        case.status = result.case.status

    return act


def _intake(
    decision: IntakeDecision, reason: str | None = None, to: ReferredTo | None = None
) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        result = s.service.decide_intake(
            _case_id(case), decision, reason, to, by=s.intake_worker()
        )
        case.status = result.case.status

    return act


def _assign(s: _Seeder, case: _Case) -> None:
    chosen = s.choose_consultant(case)
    if chosen is None:
        return  # a reassignment with nobody else of the kind: the case stays put
    result = s.service.assign(_case_id(case), chosen.id, by=s.coordinator())
    if case.consultant is not None:
        case.consultant.open_cases -= 1
    chosen.open_cases += 1
    case.consultant = chosen
    case.status = result.case.status


def _consultant(case: _Case) -> _Consultant:
    assert case.consultant is not None, "the case is assigned first"
    return case.consultant


def _activity(kind: ActivityKind, *, first: bool = False) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        now = s.service.clock.now()
        if first:  # the consultant's first contact is with the requester
            role = case.registration.requester.role
            summary, parties = FIRST_CONTACT, [REQUESTER_PARTY.get(role, "ouders")]
        else:
            summary = s.rng.choice(ACTIVITIES[kind])
            parties = s.rng.sample(PARTIES, s.rng.randint(1, 3))
        result = s.service.record_activity(
            _case_id(case),
            kind,
            local_date(now),
            summary,
            parties,
            by=_consultant(case).actor,
        )
        case.status = result.case.status

    return act


def _suspend(reason: str) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        result = s.service.suspend(_case_id(case), reason, by=s.coordinator())
        case.status = result.case.status

    return act


def _resume(s: _Seeder, case: _Case) -> None:
    result = s.service.resume(_case_id(case), None, by=s.coordinator())
    case.status = result.case.status


def _close(outcome: Outcome, education: EducationStatus) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        consultant = _consultant(case)
        result = s.service.close_case(
            _case_id(case),
            outcome,
            education,
            CLOSING_SUMMARIES[outcome],
            by=consultant.actor,  # the consultant proposes closure with an outcome
        )
        consultant.open_cases -= 1
        case.status = result.case.status

    return act


def _withdraw(reason: str) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        result = s.service.withdraw(_case_id(case), reason, by=s.intake_worker())
        if case.consultant is not None:
            case.consultant.open_cases -= 1
            case.consultant = None
        case.status = result.case.status

    return act


def _reopen(reason: str) -> Action:
    def act(s: _Seeder, case: _Case) -> None:
        result = s.service.reopen(_case_id(case), reason, by=s.coordinator())
        case.consultant = None  # the reopened case waits for a new assignment
        case.status = result.case.status

    return act


# --- the seeder ----------------------------------------------------------------------


def seed(
    service: CaseService,
    clock: SettableClock,
    *,
    cases: int = 1600,
    consultants: int = 49,
    seed: int = 2026,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Record ``consultants`` consultants and ``cases`` cases registered over the
    12 months before ``end`` (default: now), each taken as far as it would have
    got by then. ``service`` must have been built with ``clock``.

    ``progress`` is called with the number of cases fully recorded so far.
    The same ``seed`` and ``end`` give the same data.
    """
    if cases < 1:
        raise ValueError("cases must be at least 1")
    if consultants < 2:
        raise ValueError("consultants must be at least 2 (one of each kind)")
    if service.clock is not clock:
        raise ValueError("the service must be built with the seeder's clock")
    started = time.monotonic()
    end = datetime.now(tz=UTC) if end is None else _utc(end)
    if end > datetime.now(tz=UTC):
        raise ValueError("end lies in the future")
    # Not for secrets: a seeded generator, so that a seed gives the same data.
    rng = random.Random(seed)  # noqa: S311
    calendar = service.calendar
    planner = _Planner(rng, calendar)
    events_before = service.recorder.max_notification_id() or 0

    first_day = local_date(end) - timedelta(days=365)
    team = _register_consultants(
        service,
        clock,
        planner,
        consultants,
        planner.moment_on(planner.working_day(first_day - timedelta(days=30))),
    )

    # Plan every case, then give all commands in time order.
    planned: list[_PlannedStep] = []
    seeded: list[_Case] = []
    for index, day in enumerate(
        planner.registration_days(first_day, local_date(end), cases)
    ):
        registered_at = planner.moment_on(day)
        registration = planner.registration(day)
        steps = [
            (at, a) for at, a in planner.plan(registered_at, registration) if at <= end
        ]
        case = _Case(index, registration, steps_left=len(steps))
        seeded.append(case)
        planned.extend(
            _PlannedStep(at, index, seq, action)
            for seq, (at, action) in enumerate(steps)
        )
    planned.sort()

    seeder = _Seeder(service, rng, team)
    done = 0
    for step in planned:
        case = seeded[step.case]
        clock.set(step.at)
        step.action(seeder, case)
        case.steps_left -= 1
        if case.steps_left == 0:
            done += 1
            if progress is not None:
                progress(done)

    events_after = service.recorder.max_notification_id() or 0
    return DemoSummary(
        cases=len(seeded),
        consultants=len(team),
        by_status=dict(Counter(str(c.status) for c in seeded).most_common()),
        by_region=dict(
            Counter(str(c.registration.region) for c in seeded).most_common()
        ),
        by_category=dict(
            Counter(str(c.registration.category) for c in seeded).most_common()
        ),
        events=events_after - events_before,
        seconds=time.monotonic() - started,
        first_registration=planned[0].at if planned else None,
        end=end,
    )


def _register_consultants(
    service: CaseService,
    clock: SettableClock,
    planner: _Planner,
    total: int,
    at: datetime,
) -> list[_Consultant]:
    """``total`` consultants over the provinces by population; about 8 in 49 are
    onderwijszorgconsulent, one each in the largest provinces that have two or more."""
    rng = planner.rng
    per_region = _allocate(total, POPULATION)
    zorg_total = max(1, round(total * ZORG_SHARE))
    zorg_regions = [r for r in POPULATION if per_region[r] >= 2] or [
        r for r in POPULATION if per_region[r] >= 1
    ]
    zorg: Counter[Region] = Counter(
        zorg_regions[i % len(zorg_regions)] for i in range(zorg_total)
    )
    team: list[_Consultant] = []
    for region in POPULATION:
        for n in range(per_region[region]):
            kind = (
                Service.ONDERWIJSZORGCONSULENT
                if n < zorg[region]
                else Service.ONDERWIJSCONSULENT
            )
            capacity = rng.randint(*CAPACITY)
            clock.set(at + timedelta(minutes=len(team)))
            consultant = service.register_consultant(
                planner.person(ADULT_NAMES),
                region,
                kind,
                capacity,
                by=rng.choice(COORDINATORS),
            )
            team.append(_Consultant(len(team), consultant.id, region, kind, capacity))
    return team
