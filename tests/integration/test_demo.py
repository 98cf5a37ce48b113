"""The demo seeder on both stores: legal lives, unique references, the right
consultants, past and ordered timestamps, and the same data for the same seed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.case import Case
from domain.service import CaseService
from domain.values import Service, Status
from dossier.bootstrap import build_service
from dossier.demo import DemoSummary, SettableClock, seed
from dossier.settings import Settings

CASES = 60
CONSULTANTS = 8

S = Status
# Every move a case may make, one event at a time (an event that leaves the
# status as it is, such as a recorded prerequisite or activity, is a move too).
LEGAL_MOVES: dict[Status | None, set[Status]] = {
    None: {S.REGISTERED},
    S.REGISTERED: {S.REGISTERED, S.AWAITING_INTAKE, S.WITHDRAWN},
    S.AWAITING_INTAKE: {
        S.AWAITING_ASSIGNMENT,
        S.NOT_ADMISSIBLE,
        S.REFERRED,
        S.WITHDRAWN,
    },
    S.AWAITING_ASSIGNMENT: {S.ASSIGNED, S.WITHDRAWN},
    S.ASSIGNED: {S.ASSIGNED, S.IN_MEDIATION, S.SUSPENDED, S.CLOSED, S.WITHDRAWN},
    S.IN_MEDIATION: {S.IN_MEDIATION, S.SUSPENDED, S.CLOSED, S.WITHDRAWN},
    S.SUSPENDED: {S.ASSIGNED, S.IN_MEDIATION, S.WITHDRAWN},
    S.CLOSED: {S.AWAITING_ASSIGNMENT},
    S.NOT_ADMISSIBLE: set(),
    S.REFERRED: set(),
    S.WITHDRAWN: set(),
}
REFERENCE = re.compile(r"^OC-\d{4}-\d{5}$")


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
def demo_service(settings: Settings, clock: SettableClock) -> Iterator[CaseService]:
    app = build_service(settings, clock=clock)
    yield app
    app.factory.close()


@pytest.fixture
def end() -> datetime:
    """A fixed end for the seeding, so that two seedings can be compared."""
    return datetime.now(tz=UTC).replace(microsecond=0) - timedelta(days=1)


@dataclass
class Seeded:
    summary: DemoSummary
    cases: dict[UUID, list[Any]]  # case id -> its events, in order


def seed_and_read(
    service: CaseService, clock: SettableClock, end: datetime, seed_: int = 7
) -> Seeded:
    """Seed a small demo and read back exactly the cases it recorded."""
    before = service.recorder.max_notification_id() or 0
    summary = seed(
        service,
        clock,
        cases=CASES,
        consultants=CONSULTANTS,
        seed=seed_,
        end=end,
    )
    notifications = service.recorder.select_notifications(
        start=before + 1, limit=100_000
    )
    case_ids = [
        n.originator_id for n in notifications if n.topic.endswith("Case.Registered")
    ]
    cases = {
        UUID(str(case_id)): list(service.events.get(UUID(str(case_id))))
        for case_id in case_ids
    }
    return Seeded(summary, cases)


def statuses(events: list[Any]) -> list[Status]:
    """The case's status after each of its events."""
    after: list[Status] = []
    case: Case | None = None
    for event in events:
        case = event.mutate(case)
        assert isinstance(case, Case)
        after.append(Status(case.status))
    return after


def test_a_seeded_year_keeps_every_rule(
    demo_service: CaseService, clock: SettableClock, end: datetime
) -> None:
    seeded = seed_and_read(demo_service, clock, end)

    check_every_move_is_legal(seeded)
    check_references_are_unique(demo_service, seeded)
    check_consultants_are_of_the_right_kind(demo_service, seeded)
    check_timestamps_are_past_and_in_order(seeded, end)


def check_every_move_is_legal(seeded: Seeded) -> None:
    assert len(seeded.cases) == CASES
    final: Counter[str] = Counter()
    for case_id, events in seeded.cases.items():
        previous: Status | None = None
        for status in statuses(events):
            assert status in LEGAL_MOVES[previous], f"{case_id}: {previous} -> {status}"
            previous = status
        final[str(previous)] += 1
    assert dict(final) == seeded.summary.by_status
    # A small year still shows both open and ended cases.
    assert set(final) & {str(s) for s in (S.CLOSED, S.NOT_ADMISSIBLE, S.WITHDRAWN)}
    assert set(final) & {str(s) for s in (S.REGISTERED, S.AWAITING_INTAKE)}


def check_references_are_unique(demo_service: CaseService, seeded: Seeded) -> None:
    references = [demo_service.get_case(case_id).reference for case_id in seeded.cases]
    assert len(set(references)) == len(references) == CASES
    assert all(REFERENCE.match(r) for r in references)
    for reference, case_id in zip(references, seeded.cases, strict=True):
        assert demo_service.find_case_id(reference) == case_id


def check_consultants_are_of_the_right_kind(
    demo_service: CaseService, seeded: Seeded
) -> None:
    zorg_cases = 0
    for case_id in seeded.cases:
        case = demo_service.get_case(case_id)
        if case.category == "onderwijszorgarrangement":
            zorg_cases += 1
            assert case.service == Service.ONDERWIJSZORGCONSULENT
        for assignment in case.assignments:
            consultant = demo_service.get_consultant(assignment["consultant_id"])
            assert consultant.kind == case.service, case.reference
            assert consultant.active
        # A consultant acts only on a case assigned to them.
        for activity in case.activities:
            assert activity["consultant_id"] in {
                a["consultant_id"] for a in case.assignments
            }
    assert zorg_cases > 0


def check_timestamps_are_past_and_in_order(seeded: Seeded, end: datetime) -> None:
    now = datetime.now(tz=UTC)
    for case_id, events in seeded.cases.items():
        moments = [e.timestamp for e in events]
        assert all(m.tzinfo is not None for m in moments)
        assert max(moments) <= end <= now, case_id
        assert moments == sorted(moments), case_id
        assert min(moments) >= end - timedelta(days=366), case_id


def test_the_same_seed_gives_the_same_data(
    demo_service: CaseService, clock: SettableClock, end: datetime
) -> None:
    first = seed_and_read(demo_service, clock, end, seed_=11)
    second = seed_and_read(demo_service, clock, end, seed_=11)
    other = seed_and_read(demo_service, clock, end, seed_=12)

    assert second.summary.by_status == first.summary.by_status
    assert second.summary.by_region == first.summary.by_region
    # Case by case, the same events at the same moments.
    assert fingerprint(second) == fingerprint(first)
    assert other.summary.by_region != first.summary.by_region


def fingerprint(seeded: Seeded) -> list[tuple[Any, ...]]:
    return [
        tuple((type(e).__name__, e.timestamp) for e in events)
        for events in seeded.cases.values()
    ]


def test_the_clock_refuses_the_future_and_naive_moments() -> None:
    clock = SettableClock()
    with pytest.raises(ValueError, match="future"):
        clock.set(datetime.now(tz=UTC) + timedelta(minutes=1))
    with pytest.raises(ValueError, match="timezone"):
        clock.set(datetime(2026, 1, 5, 9, 0))
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    clock.set(moment)
    assert clock.now() == moment
