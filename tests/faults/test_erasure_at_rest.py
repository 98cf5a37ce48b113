"""Erasure at rest, checked as a privacy officer's auditor would: a unique canary in
every personal field of three cases; one erased on request, one by a destruction
list, one kept as the control. Then (a) the database's own dump, (b) every file
of a private PostgreSQL cluster (pg_wal included, after CHECKPOINT, autovacuum
off and no VACUUM) or the SQLite file with its -wal and -shm, and (c) a copy of
those files taken before the erasure, after a key rotation has destroyed the old
epoch: nothing of the erased cases can be read back, while the control case
still opens."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.consultant import Consultant
from domain.service import CaseService
from domain.values import SYSTEM_ACTOR, Actor, ErasureReason, Region, Role, Service
from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections.registry import all_projections
from projections.retention import propose_due
from projections.runner import ProjectionRunner
from storage.db import Database
from storage.kek import KekFile
from storage.keyrings import StoreKeyRing
from tests.support.canaries import canaries, case_full_of_canaries
from tests.support.clock import FakeClock
from tests.support.private_cluster import PrivateCluster
from tests.support.samples import COORDINATOR

RECORD_MANAGER = Actor("records-1", Role.RECORD_MANAGER, "req-records")
PRIVACY_OFFICER = Actor("privacy-1", Role.PRIVACY_OFFICER, "req-privacy")
LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NONCE_BYTES = 12


@dataclass
class Store:
    """A store of the test's own, and where its files are."""

    settings: Settings
    files: Path  # the cluster's data directory, or the SQLite file's directory
    cluster: PrivateCluster | None = None

    def checkpoint(self) -> None:
        """PostgreSQL: CHECKPOINT (dirty pages to the table files). SQLite is
        left as it is: the WAL keeps what it holds until it checkpoints."""
        if self.cluster is not None:
            with psycopg.connect(self.cluster.url, autocommit=True) as conn:
                conn.execute("CHECKPOINT")

    def dump(self) -> bytes:
        """The database's own dump: pg_dump of the cluster, or SQLite's .dump."""
        if self.cluster is not None:
            done = subprocess.run(
                [str(self.cluster.bin / "pg_dump"), "--dbname", self.cluster.url],
                check=True,
                capture_output=True,
                timeout=120,
            )
            return done.stdout
        with closing(sqlite3.connect(self.settings.sqlite_path)) as db:
            return "\n".join(db.iterdump()).encode("utf-8")

    def copy_files(self, to: Path) -> Path:
        shutil.copytree(self.files, to)
        return to


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        settings = Settings(database_url=None, data_dir=data_dir)
        return Store(settings, files=data_dir)
    cluster: PrivateCluster = request.getfixturevalue("cluster")
    schema = f"at_rest_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET autovacuum = off")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f"CREATE SCHEMA {schema}")
    settings = Settings(
        database_url=cluster.url, database_schema=schema, data_dir=data_dir
    )
    return Store(settings, files=cluster.data, cluster=cluster)


@dataclass
class Planted:
    service: CaseService
    read_db: Database
    on_request: UUID
    by_list: UUID
    control: UUID
    canaries: dict[UUID, dict[str, str]]
    keys: dict[UUID, bytes]  # each case's own key, read before the erasure
    wrapped: dict[UUID, tuple[int, bytes]]  # as stored before the erasure

    def erased(self) -> list[UUID]:
        return [self.on_request, self.by_list]


@pytest.fixture
def planted(store: Store) -> Iterator[Planted]:
    """Three cases full of canaries, read models caught up; nothing erased yet.
    The destruction list's case ended long enough ago to be due."""
    clock = FakeClock(LONG_AGO)
    service = build_service(store.settings, clock=clock)
    read_db = build_read_database(store.settings)
    try:
        consultant = service.register_consultant(
            "Bram Visser",
            Region.NOORD_HOLLAND,
            Service.ONDERWIJSCONSULENT,
            30,
            by=COORDINATOR,
        )
        planted: dict[UUID, dict[str, str]] = {}
        by_list = _plant(service, consultant, planted)
        clock.set(NOW)
        on_request = _plant(service, consultant, planted)
        control = _plant(service, consultant, planted)
        catch_up(service, read_db)
        keyring = service.keyring
        assert isinstance(keyring, StoreKeyRing)
        keys = {c: _key(service, c) for c in planted}
        wrapped = keyring._read_rows(list(planted))
        yield Planted(
            service,
            read_db,
            on_request,
            by_list,
            control,
            planted,
            keys,
            {c: (int(e), w) for c, (e, w) in wrapped.items() if e is not None},
        )
    finally:
        read_db.close()
        service.factory.close()


def _plant(
    service: CaseService, consultant: Consultant, into: dict[UUID, dict[str, str]]
) -> UUID:
    c = canaries()
    case_id = case_full_of_canaries(service, consultant, c)
    into[case_id] = c
    return case_id


def _key(service: CaseService, case_id: UUID) -> bytes:
    key = service.keyring.key_for(case_id)
    assert key is not None
    return key


def catch_up(service: CaseService, read_db: Database) -> None:
    for cls in all_projections().values():
        ProjectionRunner(service, read_db, cls).catch_up()


def erase_both(p: Planted) -> None:
    """The one case on request, the other by a destruction list run to its end."""
    service = p.service
    service.erase_personal_data(
        p.on_request, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )
    proposal = propose_due(service, p.read_db, years=2, by=SYSTEM_ACTOR)
    lst = proposal.destruction_list
    assert lst is not None
    assert set(lst.listed) == {str(p.by_list)}
    service.finish_destruction_review(lst.id, by=RECORD_MANAGER)
    service.approve_destruction_list(lst.id, by=PRIVACY_OFFICER)
    service.run_destruction_list(lst.id, by=RECORD_MANAGER)
    catch_up(service, p.read_db)


def found_in(blob: bytes, needles: dict[str, bytes]) -> list[str]:
    return sorted(name for name, needle in needles.items() if needle in blob)


def every_file(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def secrets_of(p: Planted, case_id: UUID) -> dict[str, bytes]:
    """What must not be readable of a case: its canaries and its own key."""
    needles = {f"canary {k}": v.encode() for k, v in p.canaries[case_id].items()}
    needles["case key"] = p.keys[case_id]
    return needles


def test_no_dump_or_file_holds_an_erased_cases_data_or_key(
    store: Store, planted: Planted
) -> None:
    p = planted
    erase_both(p)
    store.checkpoint()

    for case_id in p.erased():
        case = p.service.get_case(case_id)
        assert case.erased
        assert case.pupil.erased
    control = p.service.get_case(p.control)
    assert control.pupil.get("name") == p.canaries[p.control]["pupil"]

    dump = store.dump()
    reference = p.service.get_case(p.control).reference.encode()
    assert reference in dump, "the dump holds the control case"
    for case_id in p.erased():
        assert found_in(dump, secrets_of(p, case_id)) == [], "in the dump"

    searched = []
    control_seen = False
    for path, blob in every_file(store.files):
        searched.append(path.name)
        control_seen = control_seen or reference in blob
        for case_id in p.erased():
            assert found_in(blob, secrets_of(p, case_id)) == [], f"in {path}"
    assert control_seen, "the search reads the files that hold the cases"
    if store.cluster is not None:
        assert any(path.parent.name == "pg_wal" for path, _ in every_file(store.files))
    else:
        assert {"dossier.sqlite-wal", "dossier.sqlite-shm"} <= set(searched), searched


def test_a_copy_from_before_the_erasure_no_longer_opens_once_its_epoch_is_gone(
    store: Store, planted: Planted, tmp_path: Path
) -> None:
    p = planted
    store.checkpoint()
    copy = store.copy_files(tmp_path / "before-erasure")
    erase_both(p)
    keyring = p.service.keyring
    assert isinstance(keyring, StoreKeyRing)
    window = timedelta(days=store.settings.backup_retention_days)
    old_epochs = {epoch for epoch, _ in p.wrapped.values()}

    rotation = keyring.rotate(NOW, window)
    later = NOW + window + timedelta(days=1)
    destroyed = keyring.destroy_expired(later, window)

    assert rotation.rewrapped == 1  # the control's key; the erased ones are gone
    assert old_epochs <= set(destroyed)
    copied = b"".join(blob for _, blob in every_file(copy))
    keks = KekFile(store.settings.kek_path)
    for case_id in p.erased():
        epoch, wrapped = p.wrapped[case_id]
        assert wrapped in copied, "the copy still holds the erased case's wrapped key"
        assert keks.unwrap(case_id, epoch, wrapped) is None
        assert _opens_with_any(keks, case_id, epoch, wrapped) is False
        assert found_in(copied, secrets_of(p, case_id)) == []
    # The control case opens as before, its key now under the new epoch.
    control = p.service.get_case(p.control)
    assert control.pupil.get("name") == p.canaries[p.control]["pupil"]
    assert control.requester.get("name") == p.canaries[p.control]["requester"]


def _opens_with_any(keks: KekFile, case_id: UUID, epoch: int, wrapped: bytes) -> bool:
    """Whether any KEK the system still holds opens this wrapped key, with the
    associated data of the epoch it was made under or of any other."""
    nonce, ciphertext = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
    for kek in keks.epochs():
        if kek.key is None:
            continue
        for number in {epoch, kek.number}:
            aad = case_id.bytes + number.to_bytes(8, "big")
            try:
                AESGCM(kek.key).decrypt(nonce, ciphertext, aad)
            except InvalidTag:
                continue
            return True
    return False
