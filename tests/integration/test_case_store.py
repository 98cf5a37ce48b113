"""The case lifecycle on a real store, run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Repository
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.case import Case
from domain.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    IllegalTransition,
    VersionMismatch,
)
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    EducationStatus,
    IntakeDecision,
    Outcome,
    Region,
    Service,
    Status,
    Step,
)
from dossier.bootstrap import build_service
from dossier.settings import Settings
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration
from tests.support.together import all_at_once


def assigned_case(service: CaseService) -> tuple[UUID, UUID]:
    """A case taken in and assigned; returns (case id, consultant id)."""
    case_id = service.register(registration(), by=INTAKE).case.id
    for step in Step:
        service.record_prerequisite(case_id, step, date(2026, 10, 1), None, by=INTAKE)
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    consultant = service.register_consultant(
        "Anna Bakker",
        Region.NOORD_HOLLAND,
        Service.ONDERWIJSCONSULENT,
        30,
        by=COORDINATOR,
    )
    service.assign(case_id, consultant.id, by=COORDINATOR)
    return case_id, consultant.id


def test_a_registered_case_loads_back_with_its_facts(service: CaseService) -> None:
    result = service.register(registration(), by=INTAKE)

    case = service.get_case(result.case.id)

    assert case.status == Status.REGISTERED
    assert case.reference == result.case.reference
    assert case.pupil.get("name") == "Sanne de Vries"
    assert case.samenwerkingsverband == "PO2707"
    assert result.log_position > 0


def test_unknown_case_is_not_found(service: CaseService) -> None:
    with pytest.raises(CaseNotFound):
        service.get_case(uuid4())


def test_a_consultant_id_is_no_case_and_has_no_case_history(
    service: CaseService,
) -> None:
    consultant = service.register_consultant(
        "Carla Smit", Region.UTRECHT, Service.ONDERWIJSCONSULENT, 30, by=COORDINATOR
    )
    with pytest.raises(CaseNotFound):
        service.get_case(consultant.id)
    with pytest.raises(CaseNotFound):
        service.history(consultant.id)


def test_a_case_goes_through_its_whole_life(service: CaseService) -> None:
    case_id, consultant_id = assigned_case(service)
    consultant = consultant_actor(consultant_id)

    service.record_activity(
        case_id,
        ActivityKind.CONTACT,
        date(2026, 11, 2),
        "Gebeld met moeder.",
        ["parent"],
        by=consultant,
    )
    service.suspend(case_id, "Bezwaarprocedure loopt", by=COORDINATOR)
    service.resume(case_id, None, by=COORDINATOR)
    closed = service.close_case(
        case_id,
        Outcome.PLACED_AT_SCHOOL,
        EducationStatus.ATTENDING,
        "Geplaatst op nieuwe school.",
        by=consultant,
    )

    assert closed.case.status == Status.CLOSED
    reloaded = service.get_case(case_id)
    assert reloaded.status == Status.CLOSED
    assert reloaded.version == closed.case.version
    types = [entry.type for entry in service.history(case_id)]
    assert types[-5:] == [
        "Assigned",
        "ActivityRecorded",
        "Suspended",
        "Resumed",
        "Closed",
    ]


def test_a_refused_command_records_nothing(service: CaseService) -> None:
    case_id = service.register(registration(), by=INTAKE).case.id
    before = service.get_case(case_id).version

    with pytest.raises(IllegalTransition):
        service.close_case(
            case_id,
            Outcome.ADVICE_GIVEN,
            EducationStatus.ATTENDING,
            "te vroeg",
            by=COORDINATOR,
        )

    assert service.get_case(case_id).version == before
    assert len(service.history(case_id)) == before


def test_stale_writer_is_refused_with_the_domain_error(service: CaseService) -> None:
    case_id, _ = assigned_case(service)
    seen = service.get_case(case_id).version
    service.suspend(case_id, "eerste schrijver", by=COORDINATOR, expected_version=seen)

    with pytest.raises(VersionMismatch):
        service.withdraw(
            case_id, "tweede schrijver", by=COORDINATOR, expected_version=seen
        )

    history = service.history(case_id)
    assert [e.type for e in history].count("Withdrawn") == 0
    assert history[-1].type == "Suspended"


def test_two_stale_writers_race_one_wins_and_nothing_is_lost(
    settings: Settings, clock: FakeClock
) -> None:
    first = build_service(settings, clock=clock)
    second = build_service(settings, clock=clock)
    try:
        case_id, _consultant_id = assigned_case(first)
        # Both load the same version, both decide, both save: the store lets
        # exactly one through and the other gets the domain's conflict error.
        a = first.get_case(case_id)
        b = second.get_case(case_id)
        a.suspend("via eerste", by=COORDINATOR, now=clock.now())
        b.withdraw("via tweede", by=COORDINATOR, now=clock.now())
        first.save_changes(a)
        with pytest.raises(ConcurrentUpdate):
            second.save_changes(b)
    finally:
        first.close()
        second.close()

    reader = build_service(settings, clock=clock)
    try:
        history = reader.history(case_id)
        versions = [e.version for e in history]
        assert versions == list(range(1, len(history) + 1))
        assert history[-1].type == "Suspended"
        assert reader.get_case(case_id).status == Status.SUSPENDED
    finally:
        reader.close()


def test_racing_commands_on_one_case_are_serialised(service: CaseService) -> None:
    case_id, consultant_id = assigned_case(service)
    start_version = service.get_case(case_id).version
    consultant = consultant_actor(consultant_id)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def record(n: int) -> None:
        barrier.wait()
        for i in range(5):
            try:
                service.record_activity(
                    case_id,
                    ActivityKind.MEETING,
                    date(2026, 11, 2),
                    f"overleg {n}-{i}",
                    [],
                    by=consultant,
                )
                outcomes.append("ok")
            except ConcurrentUpdate:
                outcomes.append("conflict")

    threads = [threading.Thread(target=record, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    history = service.history(case_id)
    recorded = [e for e in history if e.type == "ActivityRecorded"]
    assert len(recorded) == outcomes.count("ok")
    assert len({e.data["summary"] for e in recorded}) == len(recorded)
    assert [e.version for e in history] == list(range(1, len(history) + 1))
    assert service.get_case(case_id).version == start_version + len(recorded)


def test_a_case_reads_as_it_was_at_a_version_and_at_a_moment(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = service.register(registration(), by=INTAKE).case.id
    clock.advance(days=2)
    service.record_prerequisite(
        case_id, Step.SCHOOL_CONVERSATION, date(2026, 11, 1), None, by=INTAKE
    )
    between = clock.advance(days=1)
    clock.advance(days=1)
    service.record_prerequisite(
        case_id, Step.SAMENWERKINGSVERBAND_CONTACT, date(2026, 11, 3), None, by=INTAKE
    )

    assert service.get_case(case_id, version=1).status == Status.REGISTERED
    assert service.get_case(case_id).status == Status.AWAITING_INTAKE
    as_then = service.get_case(case_id, as_of=between)
    assert as_then.version == 2
    assert set(as_then.prerequisites) == {"school_conversation"}
    with pytest.raises(CaseNotFound):
        service.get_case(case_id, as_of=between - timedelta(days=30))


def test_concurrent_registrations_never_share_a_reference(
    service: CaseService, settings: Settings, clock: FakeClock
) -> None:
    # Six service instances stand for six processes (API replicas): only the
    # store can keep their references apart.
    services = [build_service(settings, clock=clock) for _ in range(6)]
    references: list[str] = []
    ids: list[UUID] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    errors: list[BaseException] = []

    def register_some(replica: CaseService) -> None:
        barrier.wait()
        try:
            for _ in range(6):
                result = replica.register(registration(), by=INTAKE)
                with lock:
                    references.append(result.case.reference)
                    ids.append(result.case.id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=register_some, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for replica in services:
        replica.close()

    assert errors == []
    assert len(references) == 36
    assert len(set(references)) == 36
    assert all(ref.startswith("OC-2026-") and len(ref) == 13 for ref in references)
    for ref, case_id in zip(references, ids, strict=True):
        assert service.find_case_id(ref) == case_id


def test_a_replica_draws_the_next_reference_after_another_replica_drew_one(
    service: CaseService, settings: Settings, clock: FakeClock
) -> None:
    # Each process keeps the counter it saved last; a number another process
    # drew since must not be issued twice.
    other = build_service(settings, clock=clock)
    try:
        first = service.register(registration(), by=INTAKE).case.reference
        second = other.register(registration(), by=INTAKE).case.reference
        third = service.register(registration(), by=INTAKE).case.reference
        fourth = service.register(registration(), by=INTAKE).case.reference
    finally:
        other.close()

    numbers = [int(r.rsplit("-", 1)[1]) for r in (first, second, third, fourth)]
    assert numbers == [numbers[0] + i for i in range(4)]


def test_reference_numbers_count_up_within_a_year(service: CaseService) -> None:
    refs = [service.register(registration(), by=INTAKE).case.reference for _ in "abc"]
    numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
    assert numbers == sorted(numbers)
    assert Counter(numbers).most_common(1)[0][1] == 1


def test_a_long_case_is_snapshotted_and_loads_the_same(
    service: CaseService, clock: FakeClock
) -> None:
    case_id, consultant_id = assigned_case(service)
    consultant = consultant_actor(consultant_id)
    for i in range(55):
        service.record_activity(
            case_id,
            ActivityKind.CONTACT,
            date(2026, 11, 2),
            f"contact {i}",
            [],
            by=consultant,
        )
    assert service.snapshots is not None
    snapshots = list(service.snapshots.get(case_id))
    assert snapshots, "a case past 50 events has a snapshot"

    from_snapshot = service.get_case(case_id)
    replayed: Case = Repository(service.events).get(case_id)  # events only
    assert len(from_snapshot.activities) == 55
    assert from_snapshot.activities[-1]["summary"].get() == "contact 54"
    assert from_snapshot.status == replayed.status == Status.IN_MEDIATION
    assert from_snapshot.version == replayed.version
    assert from_snapshot.activities == replayed.activities


def test_processes_starting_together_on_a_new_store_set_it_up_once(
    settings: Settings,
) -> None:
    built, failures = all_at_once(lambda: build_service(settings), 4)
    for service in built:
        service.close()

    assert failures == []
    assert len(built) == 4


def test_a_write_tried_again_after_its_commit_is_answered_not_refused(
    service: CaseService,
) -> None:
    # The library tries a write again when its connection broke; a break after
    # the commit makes the second try meet its own events.
    case_id = service.register(registration(), by=INTAKE).case.id
    recorder = service.recorder
    events = recorder.select_events(case_id)
    first = [service.log_position_of(case_id, e.originator_version) for e in events]

    assert recorder.insert_events(events) == first
    assert len(recorder.select_events(case_id)) == len(events)


def test_another_write_at_a_recorded_version_is_still_a_conflict(
    service: CaseService,
) -> None:
    case_id = service.register(registration(), by=INTAKE).case.id
    recorder = service.recorder
    (event,) = recorder.select_events(case_id)
    other = StoredEvent(
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        topic=event.topic,
        state=bytes(event.state) + b"x",
    )

    with pytest.raises(IntegrityError):
        recorder.insert_events([other])
