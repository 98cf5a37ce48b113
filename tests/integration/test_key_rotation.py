"""Case keys are stored wrapped under a KEK epoch kept outside the database; a
rotation wraps them under a new epoch and destroys expired ones, so a copy of an
erased case's key (WAL, archive, old backup) no longer opens; keys are kept
nowhere past the read that needed them."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from uuid import UUID

import pytest

from domain.service import CaseService
from domain.values import ErasureReason
from dossier.bootstrap import build_service
from dossier.settings import Settings
from storage.kek import KekError, KekFile
from storage.keyrings import StoreKeyRing
from tests.support import processes
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, registration

WINDOW = timedelta(days=35)


def keyring(service: CaseService) -> StoreKeyRing:
    found = service.keyring
    assert isinstance(found, StoreKeyRing)
    return found


def rows(service: CaseService, *case_ids: UUID) -> dict[UUID, tuple[int | None, bytes]]:
    """The key table's rows as stored (what a copy of the database holds)."""
    return keyring(service)._read_rows(list(case_ids))


def withdrawn_and_erased(service: CaseService, case_id: UUID) -> None:
    service.withdraw(case_id, "Ouders trekken in", by=INTAKE)
    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )


def test_a_rotation_wraps_every_key_under_a_new_epoch_and_the_cases_still_open(
    service: CaseService, clock: FakeClock
) -> None:
    ids = [service.register(registration(), by=INTAKE).case.id for _ in range(3)]
    ring = keyring(service)
    before = ring.keks.current().number

    rotation = ring.rotate(clock.now(), WINDOW)

    assert rotation.rewrapped == 3
    assert ring.rows_per_epoch() == {rotation.epoch: 3}
    assert rotation.epoch == before + 1
    for case_id in ids:
        assert service.get_case(case_id).pupil.get("name") == "Sanne de Vries"


def test_an_epoch_is_destroyed_only_after_the_backup_window_and_when_unused(
    service: CaseService, clock: FakeClock
) -> None:
    service.register(registration(), by=INTAKE)
    ring = keyring(service)
    first = ring.keks.current().number
    ring.keks.add_epoch(clock.now())  # retired, its key still wraps a case's

    assert ring.destroy_expired(clock.now() + WINDOW * 2, WINDOW) == []
    rotation = ring.rotate(clock.now(), WINDOW)
    assert ring.keks.key(first) is not None, "inside the backup window"
    assert rotation.destroyed == []

    later = clock.advance(days=36)
    assert ring.destroy_expired(later, WINDOW) == [first, first + 1]
    assert ring.keks.key(first) is None


def test_an_erased_case_s_key_copied_before_erasure_does_not_open_after_rotation(
    service: CaseService, clock: FakeClock
) -> None:
    erased = service.register(registration(), by=INTAKE).case.id
    control = service.register(registration(), by=INTAKE).case.id
    copy = rows(service, erased, control)  # a backup taken before the erasure
    withdrawn_and_erased(service, erased)
    ring = keyring(service)

    ring.rotate(clock.now(), WINDOW)
    ring.destroy_expired(clock.advance(days=36), WINDOW)

    for case_id, (epoch, stored) in copy.items():
        assert epoch is not None
        assert ring.keks.unwrap(case_id, epoch, stored) is None
    assert service.get_case(erased).pupil.erased
    assert service.get_case(control).pupil.get("name") == "Sanne de Vries"


def test_a_plain_key_from_before_wrapping_opens_and_is_wrapped_by_a_rotation(
    service: CaseService, clock: FakeClock
) -> None:
    case_id = service.register(registration(), by=INTAKE).case.id
    ring = keyring(service)
    key = ring.key_for(case_id)
    assert key is not None
    ring._rewrap([(case_id, ring.keks.current().number, None, key)])  # type: ignore[list-item]
    assert rows(service, case_id)[case_id] == (None, key)
    assert service.get_case(case_id).pupil.get("name") == "Sanne de Vries"

    ring.rotate(clock.now(), WINDOW)

    epoch, stored = rows(service, case_id)[case_id]
    assert epoch is not None
    assert stored != key
    assert ring.key_for(case_id) == key


def test_a_store_with_wrapped_keys_does_not_start_without_its_key_file(
    settings: Settings, service: CaseService
) -> None:
    service.register(registration(), by=INTAKE)
    settings.kek_path.rename(settings.kek_path.with_suffix(".moved"))

    with pytest.raises(KekError, match="no key-encryption key file"):
        build_service(settings)


def test_an_erasure_in_another_process_holds_at_once_for_this_one(
    settings: Settings, service: CaseService
) -> None:
    case = service.register(registration(), by=INTAKE).case
    service.withdraw(case.id, "Ouders trekken in", by=INTAKE)
    assert service.get_case(case.id).pupil.get("name") == "Sanne de Vries"

    erased = subprocess.run(
        [
            sys.executable,
            "-m",
            "dossier",
            "case",
            "erase",
            str(case.reference),
            "--reason",
            "data_subject_request",
        ],
        env=processes.environment(settings),
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert erased.returncode == 0, erased.stderr

    assert service.get_case(case.id).pupil.erased
    assert service.get_case(case.id, version=1).pupil.erased
    assert service.history(case.id)[0].data["pupil"] is None


def test_the_key_file_keeps_destroyed_epochs_without_their_key(
    settings: Settings, service: CaseService, clock: FakeClock
) -> None:
    ring = keyring(service)
    first = ring.keks.current().number
    ring.rotate(clock.now(), timedelta(0))

    again = KekFile(settings.kek_path)  # as another process reads it
    assert [e.number for e in again.epochs()] == [first, first + 1]
    assert again.key(first) is None
    assert again.current().number == first + 1
    assert oct(settings.kek_path.stat().st_mode & 0o777) == "0o600"
