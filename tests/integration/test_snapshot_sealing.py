"""A snapshot's personal values sealed together as one value, on both stores:
nothing plain in the row, the same case as a replay, older snapshots still
read, and nothing readable after erasure."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import Mapper

from domain.case import Case
from domain.sealing import mapping
from domain.sealing_mapper import MAGIC
from domain.service import CaseService
from domain.values import ActivityKind, ErasureReason
from tests.integration.test_case_store import assigned_case
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor

NOTES = 60


def long_case(service: CaseService) -> UUID:
    """A case in mediation with more activities than a snapshot interval."""
    case_id, consultant_id = assigned_case(service)
    for i in range(NOTES):
        service.record_activity(
            case_id,
            ActivityKind.CONTACT,
            date(2026, 11, 2),
            f"gesprek-notitie-{i:03d}",
            [],
            by=consultant_actor(consultant_id),
        )
    return case_id


def snapshot_rows(service: CaseService, case_id: UUID) -> list[bytes]:
    assert service.snapshots is not None
    rows = service.snapshots.recorder.select_events(case_id)
    assert rows, "a case past the snapshot interval has a snapshot"
    return [bytes(row.state) for row in rows]


def test_a_long_cases_snapshot_holds_its_personal_values_as_one_sealed_value(
    service: CaseService,
) -> None:
    case_id = long_case(service)

    for state in snapshot_rows(service, case_id):
        assert state.startswith(MAGIC)
        assert b"gesprek-notitie" not in state
        assert b'"sealed"' not in state, "no value sealed on its own"
    from_snapshot = service.get_case(case_id)
    replayed: Case = Repository(service.events).get(case_id)
    assert from_snapshot.activities == replayed.activities
    assert from_snapshot.activities[-1]["summary"].get() == "gesprek-notitie-059"
    assert from_snapshot.pupil == replayed.pupil


def test_a_snapshot_sealed_value_by_value_still_loads(service: CaseService) -> None:
    case_id = long_case(service)
    assert service.snapshots is not None
    snapshot = next(iter(service.snapshots.get(case_id)))
    # As snapshots were written before: each personal value sealed on its own.
    with mapping(case_id):
        older = Mapper.to_stored_event(service.mapper, snapshot)
    assert not bytes(older.state).startswith(MAGIC)
    assert b'"sealed"' in bytes(older.state)

    loaded = service.mapper.to_domain_event(older)

    assert vars(loaded) == vars(snapshot)


def test_after_erasure_a_snapshots_personal_values_read_as_erased(
    service: CaseService,
) -> None:
    case_id = long_case(service)
    service.withdraw(case_id, "ouders trekken zich terug", by=INTAKE)
    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )

    case = service.get_case(case_id)
    assert case.erased
    assert case.pupil.erased
    assert len(case.activities) == NOTES
    assert all(a["summary"].erased for a in case.activities)
    assert case.version == Repository(service.events).get(case_id).version
