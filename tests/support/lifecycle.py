"""Cases for the Case aggregate's unit tests (tests/unit/test_registration.py
and its siblings, one per part of a case's life): a case brought to any status
by valid commands only, the commands themselves, and the check that a refused
command leaves the case exactly as it was."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.case import Case
from domain.errors import (
    DossierError,
)
from domain.values import (
    OPEN_STATUSES,
    ActivityKind,
    Actor,
    EducationStatus,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Service,
    Status,
    Step,
)
from domain.zone import local_date
from tests.support.samples import (
    COORDINATOR,
    INTAKE,
    consultant_actor,
    registration,
)

# Monday 2 November 2026, 10:00 in Amsterdam.
REGISTERED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REGISTERED_ON = date(2026, 11, 2)
REFERENCE = "OC-2026-00001"

CONSULTANT_ID = uuid4()
OTHER_CONSULTANT_ID = uuid4()
CONSULTANT = consultant_actor(CONSULTANT_ID)
OTHER_CONSULTANT = consultant_actor(OTHER_CONSULTANT_ID)
KIND = Service.ONDERWIJSCONSULENT

ALL_STATUSES = tuple(Status)


# --- helpers -------------------------------------------------------------------


def later(case: Case, **delta: float) -> datetime:
    """A moment after the case's last event (an hour on, unless told)."""
    return case.modified_on + timedelta(**(delta or {"hours": 1}))


def new_case(now: datetime = REGISTERED_AT, **changes: Any) -> Case:
    return Case.register(
        case_id=uuid4(),
        reference=REFERENCE,
        registration=registration(**changes),
        by=INTAKE,
        now=now,
    )


def meet_prerequisites(case: Case) -> None:
    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION,
        REGISTERED_ON,
        "Gesprek met de directeur.",
        by=INTAKE,
        now=later(case),
    )
    if case.status == Status.REGISTERED:
        case.record_prerequisite(
            Step.SAMENWERKINGSVERBAND_CONTACT,
            REGISTERED_ON,
            None,
            by=INTAKE,
            now=later(case),
        )


def admit(case: Case) -> None:
    case.decide_intake(
        IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later(case)
    )


def assign(case: Case, consultant_id: UUID = CONSULTANT_ID) -> None:
    case.assign(consultant_id, KIND, True, by=COORDINATOR, now=later(case))


def record_activity(
    case: Case, by: Actor = CONSULTANT, now: datetime | None = None, **changes: Any
) -> None:
    now = now or later(case)
    args: dict[str, Any] = {
        "kind": ActivityKind.CONTACT,
        "on": local_date(now),
        "summary": "Telefonisch contact met moeder.",
        "parties": ["moeder", "school"],
    }
    args.update(changes)
    case.record_activity(**args, by=by, now=now)


def close(case: Case, by: Actor = CONSULTANT) -> None:
    case.close(
        Outcome.PLACED_AT_SCHOOL,
        EducationStatus.ATTENDING,
        "Geplaatst op een andere school.",
        by=by,
        now=later(case),
    )


def case_in(status: Status, **changes: Any) -> Case:
    """A case brought to ``status`` by valid commands only."""
    case = new_case(**changes)
    if status == Status.REGISTERED:
        return case
    meet_prerequisites(case)
    if status == Status.AWAITING_INTAKE:
        return case
    if status == Status.NOT_ADMISSIBLE:
        case.decide_intake(
            IntakeDecision.NOT_ADMISSIBLE,
            "Geschil over het schooladvies.",
            None,
            by=INTAKE,
            now=later(case),
        )
        return case
    if status == Status.REFERRED:
        case.decide_intake(
            IntakeDecision.REFERRED,
            "Eerst naar het samenwerkingsverband.",
            ReferredTo.SAMENWERKINGSVERBAND,
            by=INTAKE,
            now=later(case),
        )
        return case
    admit(case)
    if status == Status.AWAITING_ASSIGNMENT:
        return case
    if status == Status.WITHDRAWN:
        case.withdraw("Ouders trekken de aanmelding in.", by=INTAKE, now=later(case))
        return case
    assign(case)
    if status == Status.ASSIGNED:
        return case
    record_activity(case)
    if status == Status.IN_MEDIATION:
        return case
    if status == Status.SUSPENDED:
        case.suspend("Rechtszaak loopt.", by=COORDINATOR, now=later(case))
        return case
    assert status == Status.CLOSED
    close(case)
    return case


def state(case: Case) -> dict[str, Any]:
    return copy.deepcopy(
        {k: v for k, v in vars(case).items() if k != "_pending_events"}
    )


def assert_refused(
    case: Case,
    error: type[DossierError],
    command: Callable[[], None],
    *,
    rule: str | None = None,
) -> DossierError:
    """The command raises ``error`` and leaves the case exactly as it was."""
    version = case.version
    pending = len(case.pending_events)
    before = state(case)
    with pytest.raises(error) as info:
        command()
    assert case.version == version
    assert len(case.pending_events) == pending
    assert state(case) == before
    if rule is not None:
        assert info.value.rule == rule
    return info.value


def last_event(case: Case) -> Any:
    return case.pending_events[-1]


def event_types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.pending_events]


def fully_worked_case() -> Case:
    """An ended case with personal data in every place an ended case keeps it.

    Only an ended case may be erased. It is withdrawn while suspended, so it
    keeps no suspension reason; it was reopened, so it keeps no outcome (see
    test_case_erasure.py on ended cases' outcome summary and withdrawal reason)."""
    case = new_case()
    case.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, "Notitie.", by=INTAKE, now=later(case)
    )
    case.waive_prerequisite(
        Step.SAMENWERKINGSVERBAND_CONTACT,
        "Onbereikbaar.",
        by=COORDINATOR,
        now=later(case),
    )
    case.decide_intake(
        IntakeDecision.ADMISSIBLE, "Ontvankelijk.", None, by=INTAKE, now=later(case)
    )
    assign(case)
    record_activity(case)
    case.suspend("Rechtszaak.", by=COORDINATOR, now=later(case))
    case.resume("Uitspraak.", by=COORDINATOR, now=later(case))
    close(case)
    case.reopen("Mislukt.", by=COORDINATOR, now=later(case))
    assign(case)
    case.suspend("Weer een rechtszaak.", by=COORDINATOR, now=later(case))
    case.withdraw("Ouders trekken de aanmelding in.", by=INTAKE, now=later(case))
    assert case.has_ended
    return case


COMMANDS: dict[str, Callable[[Case], None]] = {
    "record_prerequisite": lambda c: c.record_prerequisite(
        Step.SCHOOL_CONVERSATION, REGISTERED_ON, None, by=INTAKE, now=later(c)
    ),
    "waive_prerequisite": lambda c: c.waive_prerequisite(
        Step.SCHOOL_CONVERSATION, "Reden.", by=COORDINATOR, now=later(c)
    ),
    "decide_intake": lambda c: c.decide_intake(
        IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later(c)
    ),
    "assign": lambda c: c.assign(
        OTHER_CONSULTANT_ID, KIND, True, by=COORDINATOR, now=later(c)
    ),
    "record_activity": lambda c: record_activity(c, by=COORDINATOR),
    "suspend": lambda c: c.suspend("Reden.", by=COORDINATOR, now=later(c)),
    "resume": lambda c: c.resume(None, by=COORDINATOR, now=later(c)),
    "close": lambda c: close(c, by=COORDINATOR),
    "withdraw": lambda c: c.withdraw("Reden.", by=INTAKE, now=later(c)),
    "reopen": lambda c: c.reopen("Reden.", by=COORDINATOR, now=later(c)),
}

# Which status each command is allowed in (api.md, "Statuses").
ALLOWED_IN: dict[str, frozenset[Status]] = {
    "record_prerequisite": frozenset({Status.REGISTERED}),
    "waive_prerequisite": frozenset({Status.REGISTERED}),
    "decide_intake": frozenset({Status.AWAITING_INTAKE}),
    "assign": frozenset(
        {Status.AWAITING_ASSIGNMENT, Status.ASSIGNED, Status.IN_MEDIATION}
    ),
    "record_activity": frozenset({Status.ASSIGNED, Status.IN_MEDIATION}),
    "suspend": frozenset({Status.ASSIGNED, Status.IN_MEDIATION}),
    "resume": frozenset({Status.SUSPENDED}),
    "close": frozenset({Status.ASSIGNED, Status.IN_MEDIATION}),
    "withdraw": OPEN_STATUSES,
    "reopen": frozenset({Status.CLOSED}),
}
