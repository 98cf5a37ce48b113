"""A case as it stood at a moment (get_case(as_of=...)) equals the replay of
every event up to the first recorded later: for short cases (replayed whole) and
long ones (loaded from a snapshot at the version found by timestamps), at and
between event timestamps, around snapshot boundaries, before registration, and
after the case's personal data was erased. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import bisect
import copy
import itertools
import random
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Repository

from domain.case import Case
from domain.errors import CaseNotFound
from domain.reads import AS_OF_REPLAY_UP_TO
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    EducationStatus,
    ErasureReason,
    IntakeDecision,
    Outcome,
    Region,
    Service,
    Status,
    Step,
)
from domain.zone import local_date
from dossier.bootstrap import build_service
from dossier.settings import Settings
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration

SNAPSHOT_INTERVAL = CaseService.snapshotting_intervals[Case]
ONE_US = timedelta(microseconds=1)


def state(case: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(case).items() if k != "_pending_events"}


def replayed(service: CaseService, case_id: UUID) -> list[tuple[datetime, Any]]:
    """(timestamp, state after it) of every event, replaying each from the
    first without snapshots: the meaning of 'as of'."""
    out = []
    case = None
    for event in service.events.get(case_id):
        case = event.mutate(case)  # type: ignore[attr-defined]
        out.append((event.timestamp, copy.deepcopy(state(case))))  # type: ignore[attr-defined]
    return out


def expected_at(history: list[tuple[datetime, Any]], moment: datetime) -> Any:
    """The state after the last event recorded at or before ``moment``, None
    before the first (replay stops at the first event recorded later)."""
    stamps = [t for t, _ in history]
    assert stamps == sorted(stamps)
    version = bisect.bisect_right(stamps, moment)
    return history[version - 1][1] if version else None


def moments(history: list[tuple[datetime, Any]], rng: random.Random) -> list[datetime]:
    """Every event's timestamp, a microsecond either side, a moment between each
    two events, random moments, and moments around each snapshot boundary."""
    stamps = [t for t, _ in history]
    chosen = set()
    for t in stamps:
        chosen.update({t, t - ONE_US, t + ONE_US})
    for a, b in itertools.pairwise(stamps):
        chosen.add(a + (b - a) / 2)
    span = stamps[-1] - stamps[0]
    chosen.update(stamps[0] + span * rng.random() for _ in range(50))
    for boundary in range(SNAPSHOT_INTERVAL, len(stamps) + 1, SNAPSHOT_INTERVAL):
        for version in (boundary - 1, boundary, boundary + 1):
            if version <= len(stamps):
                t = stamps[version - 1]
                chosen.update({t, t - ONE_US, t + ONE_US})
    chosen.update({stamps[0] - timedelta(days=1), stamps[-1] + timedelta(days=1)})
    return sorted(chosen)


def assert_as_of_equals_replay(
    service: CaseService, case_id: UUID, rng: random.Random
) -> int:
    history = replayed(service, case_id)
    checked = 0
    for moment in moments(history, rng):
        expected = expected_at(history, moment)
        if expected is None:
            with pytest.raises(CaseNotFound):
                service.get_case(case_id, as_of=moment)
        else:
            got = service.get_case(case_id, as_of=moment)
            assert state(got) == expected, f"as of {moment.isoformat()}"
        checked += 1
    return checked


def long_case(
    service: CaseService, clock: FakeClock, events: int, rng: random.Random
) -> UUID:
    """A case of at least ``events`` events, the clock moving irregularly: often
    not at all (two events of one command share a timestamp), often by minutes,
    sometimes by days; with suspensions, a reassignment, and closing."""

    def tick() -> None:
        clock.advance(seconds=rng.choice([0, 0, 1, 60, 600, 3600, 3600 * 5, 86400 * 3]))

    consultants = [
        service.register_consultant(
            name, Region.NOORD_HOLLAND, Service.ONDERWIJSCONSULENT, 30, by=COORDINATOR
        ).id
        for name in ("Anna Bakker", "Bram Visser")
    ]
    case_id = service.register(registration(), by=INTAKE).case.id
    for step in Step:  # the second also triggers PrerequisitesMet, same moment
        tick()
        service.record_prerequisite(case_id, step, date(2026, 11, 2), "ok", by=INTAKE)
    tick()
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    tick()
    current = consultants[0]
    version = service.assign(case_id, current, by=COORDINATOR).case.version
    while version < events - 1:
        tick()
        if version % 23 == 0:
            service.suspend(case_id, f"wachten {version}", by=COORDINATOR)
            tick()
            version = service.resume(case_id, None, by=COORDINATOR).case.version
        elif version % 70 == 0:
            current = consultants[1] if current == consultants[0] else consultants[0]
            version = service.assign(case_id, current, by=COORDINATOR).case.version
        else:
            version = service.record_activity(
                case_id,
                ActivityKind.CONTACT,
                local_date(clock.now()),
                f"contact {version}",
                ["ouders"],
                by=consultant_actor(current),
            ).case.version
    tick()
    service.close_case(
        case_id,
        Outcome.BACK_AT_SCHOOL,
        EducationStatus.ATTENDING,
        "terug op school",
        by=COORDINATOR,
    )
    return case_id


def test_a_long_case_as_of_any_moment_equals_the_replay(
    service: CaseService, clock: FakeClock
) -> None:
    rng = random.Random(11)
    case_id = long_case(service, clock, 3 * SNAPSHOT_INTERVAL + 17, rng)
    assert service.snapshots is not None
    assert len(list(service.snapshots.get(case_id))) == 3
    assert service.get_case(case_id).version > AS_OF_REPLAY_UP_TO

    checked = assert_as_of_equals_replay(service, case_id, rng)

    assert checked > 3 * 180


def test_a_short_case_as_of_any_moment_equals_the_replay(
    service: CaseService, clock: FakeClock
) -> None:
    rng = random.Random(12)
    case_id = long_case(service, clock, 30, rng)
    assert service.get_case(case_id).version <= AS_OF_REPLAY_UP_TO

    assert_as_of_equals_replay(service, case_id, rng)


def test_as_of_reads_the_same_as_a_version_and_as_the_library_replay(
    service: CaseService, clock: FakeClock
) -> None:
    rng = random.Random(13)
    case_id = long_case(service, clock, 2 * SNAPSHOT_INTERVAL + 5, rng)
    library: Repository[UUID] = Repository(service.events)  # no snapshots
    for event in service.events.get(case_id):
        version = event.originator_version
        at = service.get_case(case_id, as_of=event.timestamp)  # type: ignore[attr-defined]
        # Two events of one command share a moment: as of it, both happened.
        assert at.version >= version
        assert state(at) == state(library.get(case_id, version=at.version))
        assert state(service.get_case(case_id, version=version)) == state(
            library.get(case_id, version=version)
        )


def test_before_registration_and_for_what_is_no_case_there_is_no_case(
    service: CaseService, clock: FakeClock
) -> None:
    rng = random.Random(14)
    case_id = long_case(service, clock, AS_OF_REPLAY_UP_TO + 10, rng)
    registered_at = service.get_case(case_id).created_on
    consultant = service.register_consultant(
        "Carla Smit", Region.UTRECHT, Service.ONDERWIJSCONSULENT, 30, by=COORDINATOR
    )

    for moment in (registered_at - ONE_US, registered_at - timedelta(days=400)):
        with pytest.raises(CaseNotFound):
            service.get_case(case_id, as_of=moment)
    assert service.get_case(case_id, as_of=registered_at).version == 1
    for other in (consultant.id, uuid4()):
        with pytest.raises(CaseNotFound):
            service.get_case(other, as_of=clock.now())


def test_as_of_after_erasure_equals_the_replay_of_the_erased_events(
    settings: Settings, service: CaseService, clock: FakeClock
) -> None:
    rng = random.Random(15)
    case_id = long_case(service, clock, 2 * SNAPSHOT_INTERVAL + 5, rng)
    before_erasure = clock.advance(days=1)
    clock.advance(days=1)
    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )

    # A fresh process: no key cached, the snapshots' sealed values cannot open.
    reader = build_service(settings, clock=clock)
    try:
        history = replayed(reader, case_id)
        assert history[-1][1]["erased"]
        assert_as_of_equals_replay(reader, case_id, rng)
        then = reader.get_case(case_id, as_of=before_erasure)
        assert then.status == Status.CLOSED
        assert not then.erased
        assert then.pupil.erased  # its key is gone: the value cannot be read
        assert all(a["summary"].erased for a in then.activities)
        assert then.prerequisites["school_conversation"]["date"] == date(2026, 11, 2)
        now = reader.get_case(case_id, as_of=clock.now())
        assert now.erased
    finally:
        reader.close()
