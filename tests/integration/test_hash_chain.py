"""The log's hash chain on both stores: a log tampered with through plain SQL
(a byte flipped in each stored column, in a snapshot; an event deleted, two
reordered, the end cut off) is found by the walk; erasure, bulk loading,
concurrent writers and the backfill of a store from before keep it whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, cast
from uuid import UUID

import psycopg
import pytest

from domain.service import CaseService
from domain.values import ErasureReason
from dossier import bulk
from dossier.bootstrap import build_service
from dossier.settings import Settings
from storage.chain import ChainedLog, SnapshotLog, Walk
from storage.checkpoints import SigningKey
from storage.verification import make_checkpoint, verify_log
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, registration
from tests.support.together import all_at_once
from workers.checkpoints import CheckpointWorker


class Raw:
    """The store's event and snapshot tables through plain SQL, as someone with
    access to the database (not to Dossier) would change them."""

    def __init__(self, settings: Settings, service: CaseService) -> None:
        self.settings = settings
        self.events = service.recorder.events_table_name  # type: ignore[attr-defined]
        assert service.snapshots is not None
        self.snapshots = service.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
        self.postgres = settings.database_url is not None
        self.position = "notification_id" if self.postgres else "rowid"
        if self.postgres:
            schema = settings.database_schema
            self.events = f"{schema}.{self.events}"
            self.snapshots = f"{schema}.{self.snapshots}"

    @contextmanager
    def sql(self) -> Iterator[Any]:
        if self.postgres:
            assert self.settings.database_url is not None
            with psycopg.connect(self.settings.database_url) as conn:
                yield conn
        else:
            with closing(sqlite3.connect(self.settings.sqlite_path)) as conn, conn:
                yield conn

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        if not self.postgres:
            statement = statement.replace("%s", "?")
        with self.sql() as conn:
            cursor = conn.execute(statement, params)
            return list(cursor.fetchall()) if cursor.description else []

    def event(self, position: int) -> dict[str, Any]:
        columns = (
            "originator_id, originator_version, topic, state, event_digest, chain_hash"
        )
        row = self.run(
            f"SELECT {columns} FROM {self.events} WHERE {self.position} = %s",
            (position,),
        )[0]
        return dict(zip(columns.split(", "), row, strict=True))

    def positions(self) -> list[int]:
        rows = self.run(f"SELECT {self.position} FROM {self.events} ORDER BY 1")
        return [int(r[0]) for r in rows]

    def set(self, position: int, column: str, value: Any) -> None:
        if column == "position":
            column = self.position
        self.run(
            f"UPDATE {self.events} SET {column} = %s WHERE {self.position} = %s",
            (value, position),
        )

    def delete(self, position: int) -> None:
        self.run(f"DELETE FROM {self.events} WHERE {self.position} = %s", (position,))


def flipped(value: Any) -> Any:
    """``value`` with one bit of one byte flipped, in the type it is stored as."""
    if isinstance(value, UUID):
        raw = bytearray(value.bytes)
        raw[7] ^= 0x01
        return UUID(bytes=bytes(raw))
    if isinstance(value, int):
        return value ^ (1 << 16)  # far from any neighbour, so no key collides
    if isinstance(value, str):
        return value[:7] + chr(ord(value[7]) ^ 0x01) + value[8:]
    raw = bytearray(value)
    raw[len(raw) // 2] ^= 0x01
    return bytes(raw)


def walk(service: CaseService, checkpoints: Any = ()) -> Walk:
    snapshots = service.snapshots
    assert snapshots is not None
    return verify_log(
        cast(ChainedLog, service.recorder),
        cast(SnapshotLog, snapshots.recorder),
        checkpoints,
    )


def some_cases(service: CaseService, n: int = 12) -> list[UUID]:
    """Cases enough that the year's reference counter is snapshotted too."""
    return [service.register(registration(), by=INTAKE).case.id for _ in range(n)]


@pytest.fixture
def logged(service: CaseService) -> list[UUID]:
    return some_cases(service)


@pytest.fixture
def raw(settings: Settings, service: CaseService) -> Raw:
    return Raw(settings, service)


def test_a_log_written_by_commands_matches_its_chain(
    service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    result = walk(service)

    assert result.broken is None
    assert result.snapshot_breaks == []
    assert result.events == len(raw.positions())
    assert result.head is not None
    assert result.head[0] == service.recorder.max_notification_id()
    assert result.snapshots >= 1
    assert result.unchained == 0


STORED_BYTES = ["originator_id", "originator_version", "topic", "state"]


@pytest.mark.parametrize(
    "column", [*STORED_BYTES, "position", "event_digest", "chain_hash"]
)
def test_a_byte_flipped_in_any_column_of_an_event_is_found_where_it_is(
    service: CaseService, raw: Raw, logged: list[UUID], column: str
) -> None:
    positions = raw.positions()
    target = positions[len(positions) // 2]
    row = raw.event(target)
    value = target if column == "position" else row[column]

    raw.set(target, column, flipped(value))
    found = walk(service).broken

    assert found is not None
    if column == "position":
        # The event moved to the end: the one after its old place breaks first.
        following = positions[positions.index(target) + 1]
        assert found.position == following
        assert "does not follow" in found.what
    else:
        assert found.position == target
        if column != "originator_id":
            assert UUID(found.originator_id) == UUID(str(row["originator_id"]))
        expected = {
            "event_digest": "event_digest column was changed",
            "chain_hash": "does not follow",
        }.get(column, "stored bytes")
        assert expected in found.what


def test_a_byte_flipped_in_a_snapshot_is_found(
    service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    rows = raw.run(
        f"SELECT originator_id, originator_version, state FROM {raw.snapshots}"
    )
    originator, version, state = rows[0]

    raw.run(
        f"UPDATE {raw.snapshots} SET state = %s"
        " WHERE originator_id = %s AND originator_version = %s",
        (flipped(state), originator, version),
    )
    result = walk(service)

    assert result.broken is None, "the log itself is untouched"
    assert [
        (b.originator_id.replace("-", ""), b.version) for b in result.snapshot_breaks
    ] == [(str(originator).replace("-", ""), version)]
    assert "bytes differ" in result.snapshot_breaks[0].what


def test_a_snapshot_of_a_version_the_log_lacks_is_found(
    service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    rows = raw.run(f"SELECT originator_id, originator_version FROM {raw.snapshots}")
    originator, version = rows[0]
    raw.run(
        f"UPDATE {raw.snapshots} SET originator_version = %s"
        " WHERE originator_id = %s AND originator_version = %s",
        (version + 1000, originator, version),
    )

    whats = [b.what for b in walk(service).snapshot_breaks]

    assert any("does not hold" in w for w in whats)


def test_a_deleted_event_is_found_at_the_one_after_it(
    service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    positions = raw.positions()
    gone = positions[5]

    raw.delete(gone)
    found = walk(service).broken

    assert found is not None
    assert found.position == positions[6]
    assert f"does not follow the event at position {positions[4]}" in found.what


def test_two_events_swapped_are_found_at_the_first(
    service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    positions = raw.positions()
    first, second = positions[3], positions[9]
    spare = positions[-1] + 1000

    raw.set(first, "position", spare)
    raw.set(second, "position", first)
    raw.set(spare, "position", second)
    found = walk(service).broken

    assert found is not None
    assert found.position == first


def test_events_cut_off_the_end_are_found_by_a_signed_checkpoint(
    settings: Settings, service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    key = SigningKey(settings.chain_key_path)
    made = make_checkpoint(cast(ChainedLog, service.recorder), key, FakeClock().now())
    assert walk(service, [made]).checkpoints_matched == 1

    raw.delete(raw.positions()[-1])
    without_checkpoint = walk(service)
    found = walk(service, [made]).broken

    assert without_checkpoint.broken is None, "a chain alone cannot see its end cut"
    assert found is not None
    assert found.position == made.position
    assert "log ends at" in found.what


def test_a_log_rewritten_and_rechained_differs_from_the_signed_checkpoint(
    settings: Settings, service: CaseService, raw: Raw, logged: list[UUID]
) -> None:
    log = cast(ChainedLog, service.recorder)
    made = make_checkpoint(log, SigningKey(settings.chain_key_path), FakeClock().now())
    target = raw.positions()[4]
    raw.set(target, "state", flipped(raw.event(target)["state"]))
    # Whoever changed it hashes the chain again from there (no key needed)...
    raw.run(f"UPDATE {raw.events} SET chain_hash = NULL, event_digest = NULL")
    log.backfill_chain()
    assert walk(service).broken is None

    found = walk(service, [made]).broken

    # ... but cannot sign the new head.
    assert found is not None
    assert found.position == made.position
    assert "rewritten" in found.what


def test_erasure_leaves_the_chain_whole(
    service: CaseService, logged: list[UUID]
) -> None:
    case_id = logged[0]
    service.withdraw(case_id, "ouders trekken aanmelding in", by=COORDINATOR)

    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )
    result = walk(service)

    assert result.broken is None
    assert result.snapshot_breaks == []


def test_concurrent_writers_extend_one_chain(service: CaseService) -> None:
    done, failures = all_at_once(
        lambda: service.register(registration(), by=INTAKE), times=8
    )

    assert failures == []
    assert len(done) == 8
    assert walk(service).broken is None


def test_a_bulk_load_is_chained(service: CaseService) -> None:
    some_cases(service, 2)
    bulk.load(service, 30, batch=10, workers=0)
    some_cases(service, 2)

    result = walk(service)

    assert result.broken is None
    assert result.snapshot_breaks == []
    assert result.events > 30 * 5


def test_a_store_from_before_the_chain_is_backfilled_once_and_chained_after(
    settings: Settings, clock: FakeClock, raw: Raw, service: CaseService
) -> None:
    some_cases(service, 12)
    service.factory.close()
    for table, columns in (
        (raw.events, ("event_digest", "chain_hash")),
        (raw.snapshots, ("snapshot_digest",)),
    ):
        for column in columns:
            raw.run(f"ALTER TABLE {table} DROP COLUMN {column}")

    reopened = build_service(settings, clock=clock)  # gains the columns again
    try:
        some_cases(reopened, 2)  # written while the log is not chained yet
        before = walk(reopened)
        log = cast(ChainedLog, reopened.recorder)
        assert reopened.snapshots is not None

        chained = log.backfill_chain()
        digested = cast(SnapshotLog, reopened.snapshots.recorder).backfill_snapshots()
        some_cases(reopened, 1)
        after = walk(reopened)
    finally:
        reopened.factory.close()

    assert before.broken is None
    assert before.unchained == before.events
    assert before.snapshot_breaks
    assert all("without a digest" in b.what for b in before.snapshot_breaks)
    assert chained == before.events
    assert digested >= 1
    assert after.broken is None
    assert after.snapshot_breaks == []
    assert after.unchained == 0
    assert after.events > before.events


def test_the_worker_signs_the_head_when_the_log_moved(
    settings: Settings, service: CaseService, clock: FakeClock
) -> None:
    log = cast(ChainedLog, service.recorder)
    worker = CheckpointWorker(
        log, SigningKey(settings.chain_key_path), clock, every_seconds=3600
    )
    some_cases(service, 1)

    worker.run_once()
    worker.run_once()  # nothing new since
    some_cases(service, 1)
    worker.run_once()

    positions = [c.position for c in log.checkpoints()]
    assert len(positions) == 2
    assert positions[-1] == service.recorder.max_notification_id()
    assert walk(service, log.checkpoints()).checkpoints_matched == 2
