"""What the Case state machine (tests/support/case_machine.py) draws its commands
from: the consultants to assign, the actors, the registrations, hypothesis
strategies for texts, dates, moments and intake decisions, and the status graph's
legal edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from hypothesis import strategies as st

from domain.registration import School
from domain.values import (
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    Actor,
    Category,
    IntakeDecision,
    ReferredTo,
    Role,
    Sector,
    Service,
    Status,
)
from tests.support.samples import (
    AUDITOR,
    COORDINATOR,
    INTAKE,
    consultant_actor,
    registration,
)

REGISTERED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

ONDERWIJS = Service.ONDERWIJSCONSULENT
ZORG = Service.ONDERWIJSZORGCONSULENT


class PoolConsultant:
    def __init__(self, kind: Service, active: bool) -> None:
        self.id: UUID = uuid4()
        self.kind = kind
        self.active = active
        self.actor = consultant_actor(self.id)

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return f"PoolConsultant({self.kind}, {state})"


POOL = (
    PoolConsultant(ONDERWIJS, True),
    PoolConsultant(ONDERWIJS, True),
    PoolConsultant(ZORG, True),
    PoolConsultant(ZORG, True),
    PoolConsultant(ONDERWIJS, False),
)
STRANGER = consultant_actor(uuid4())  # a consultant no case is ever assigned to
ADMIN = Actor("admin-1", Role.ADMIN)
ACTORS = (
    INTAKE,
    COORDINATOR,
    AUDITOR,
    ADMIN,
    SYSTEM_ACTOR,
    STRANGER,
    *(c.actor for c in POOL),
)

REGISTRATIONS = {
    "po": registration(),
    "vo": registration(sector=Sector.VO, samenwerkingsverband="VO2708"),
    "mbo": registration(sector=Sector.MBO, samenwerkingsverband=None),
    "cluster-2": registration(
        sector=Sector.SO, school=School("De Kring", None, 2), samenwerkingsverband=None
    ),
    "no-education": registration(
        category=Category.THUISZITTER,
        at_home_since=date(2026, 8, 20),
        receives_education=False,
    ),
    "zorg": registration(
        service=ZORG, category=Category.ONDERWIJSZORGARRANGEMENT, sector=Sector.SO
    ),
}

WITH_CONSULTANT = frozenset({Status.ASSIGNED, Status.IN_MEDIATION, Status.SUSPENDED})
BEFORE_ASSIGNMENT = frozenset(
    {
        Status.REGISTERED,
        Status.AWAITING_INTAKE,
        Status.AWAITING_ASSIGNMENT,
        Status.NOT_ADMISSIBLE,
        Status.REFERRED,
    }
)

# Every edge of api.md's status graph a successful command may take (a command
# that changes no status, such as a reassignment, stays on the same status).
LEGAL_MOVES: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.REGISTERED, Status.AWAITING_INTAKE),
        (Status.AWAITING_INTAKE, Status.AWAITING_ASSIGNMENT),
        (Status.AWAITING_INTAKE, Status.NOT_ADMISSIBLE),
        (Status.AWAITING_INTAKE, Status.REFERRED),
        (Status.AWAITING_ASSIGNMENT, Status.ASSIGNED),
        (Status.ASSIGNED, Status.IN_MEDIATION),
        (Status.ASSIGNED, Status.SUSPENDED),
        (Status.IN_MEDIATION, Status.SUSPENDED),
        (Status.SUSPENDED, Status.ASSIGNED),
        (Status.SUSPENDED, Status.IN_MEDIATION),
        (Status.ASSIGNED, Status.CLOSED),
        (Status.IN_MEDIATION, Status.CLOSED),
        (Status.CLOSED, Status.AWAITING_ASSIGNMENT),
        *((s, Status.WITHDRAWN) for s in OPEN_STATUSES),
    }
)

minutes = st.integers(min_value=0, max_value=4 * 24 * 60)
actors = st.sampled_from(ACTORS)
# Mostly valid texts; sometimes empty, blank or too long.
texts = st.sampled_from(["Tekst."] * 5 + ["", "   ", "x" * 10_001])
optional_texts = st.one_of(st.none(), texts)
# Days relative to today: mostly past, sometimes in the future, sometimes
# long before the registration.
day_offsets = st.one_of(st.integers(-3, 0), st.integers(-90, 2))

# Intake decisions: half of them shaped as the decision requires, half random.
intakes = st.one_of(
    st.tuples(
        st.just(IntakeDecision.ADMISSIBLE),
        st.sampled_from([None, "Ontvankelijk."]),
        st.none(),
    ),
    st.tuples(st.just(IntakeDecision.NOT_ADMISSIBLE), st.just("Hbo."), st.none()),
    st.tuples(
        st.just(IntakeDecision.REFERRED),
        st.just("Hoort elders."),
        st.sampled_from(ReferredTo),
    ),
    st.tuples(
        st.sampled_from(IntakeDecision),
        optional_texts,
        st.one_of(st.none(), st.sampled_from(ReferredTo)),
    ),
)


WITHDRAWN_OR_CLOSED = frozenset({Status.WITHDRAWN, Status.CLOSED})

# What a life starts with: which registration, how many steps of the happy path
# it takes at once (``CaseCommands.start_life``), which fitting consultant first.
kinds = st.sampled_from(sorted(REGISTRATIONS))
head_starts = st.integers(0, 10)
consultant_picks = st.integers(0, 1)

Intake = tuple[IntakeDecision, str | None, ReferredTo | None]
# The intake a head start takes (admission, unless told), and the status each
# decision reaches; only after an admission does the path go on.
ADMIT: Intake = (IntakeDecision.ADMISSIBLE, None, None)
head_start_intakes = st.sampled_from(
    [
        ADMIT,
        (IntakeDecision.NOT_ADMISSIBLE, "Hbo.", None),
        (IntakeDecision.REFERRED, "Hoort elders.", ReferredTo.SAMENWERKINGSVERBAND),
    ]
)
INTAKE_REACHES = {
    IntakeDecision.ADMISSIBLE: Status.AWAITING_ASSIGNMENT,
    IntakeDecision.NOT_ADMISSIBLE: Status.NOT_ADMISSIBLE,
    IntakeDecision.REFERRED: Status.REFERRED,
}
