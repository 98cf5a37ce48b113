"""Retention and destruction lists on a real store: proposed, reviewed, approved,
run; legal hold keeps a case out; a run killed halfway (SIGKILL of a real
`dossier destruction run`) and run again erases every case exactly once."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.destruction import ListKind, ListState
from domain.errors import DestructionError, IllegalTransition
from domain.service import CaseService
from domain.values import (
    SYSTEM_ACTOR,
    Actor,
    ErasureReason,
    HoldReason,
    LiftReason,
    Role,
)
from dossier.settings import Settings
from projections.case_list import CaseListProjection
from projections.destruction_lists import DestructionListsProjection
from projections.retention import on_open_lists, propose_due
from projections.runner import ProjectionRunner
from storage.db import Database
from tests.support.clock import FakeClock
from tests.support.processes import start
from tests.support.samples import COORDINATOR, INTAKE, registration
from workers.retention import RetentionWorker

RECORD_MANAGER = Actor("records-1", Role.RECORD_MANAGER, "req-records")
PRIVACY_OFFICER = Actor("privacy-1", Role.PRIVACY_OFFICER, "req-privacy")
LONG_AGO = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def ended_cases(service: CaseService, clock: FakeClock, n: int) -> list[UUID]:
    """``n`` cases registered and withdrawn in March 2023 (due after 2 years)."""
    clock.set(LONG_AGO)
    ids = []
    for _ in range(n):
        case_id = service.register(registration(), by=INTAKE).case.id
        service.withdraw(case_id, "Ouders trekken de aanmelding in.", by=INTAKE)
        ids.append(case_id)
    clock.set(NOW)
    return ids


def catch_up(service: CaseService, db: Database) -> None:
    for cls in (CaseListProjection, DestructionListsProjection):
        ProjectionRunner(service, db, cls).catch_up()


def erasures(service: CaseService, case_id: UUID) -> int:
    return sum(1 for e in service.history(case_id) if e.type == "PersonalDataErased")


def test_a_list_proposed_reviewed_approved_and_run_erases_exactly_its_cases(
    service: CaseService, clock: FakeClock, read_db: Database
) -> None:
    due = ended_cases(service, clock, 4)
    held, kept, *listed = due
    service.place_legal_hold(
        held, HoldReason.LEGAL_PROCEDURE, "RB-2026/123", by=COORDINATOR
    )
    recent = service.register(registration(), by=INTAKE).case.id
    service.withdraw(recent, "Ingetrokken.", by=INTAKE)
    still_open = service.register(registration(), by=INTAKE).case.id
    catch_up(service, read_db)

    proposal = propose_due(service, read_db, years=2, by=SYSTEM_ACTOR)

    lst = proposal.destruction_list
    assert lst is not None
    assert set(lst.listed) == {str(c) for c in (kept, *listed)}
    assert [h["case_id"] for h in lst.held] == [str(held)]
    assert lst.held[0]["rule"] == "legal-hold"
    assert lst.rule == {
        "code": "retention-after-end",
        "years": 2,
        "ended_before": "2024-11-02",
    }
    catch_up(service, read_db)
    assert on_open_lists(read_db) == {kept, *listed}
    assert (
        propose_due(service, read_db, years=2, by=SYSTEM_ACTOR).destruction_list is None
    )

    with pytest.raises(DestructionError) as early:
        service.approve_destruction_list(lst.id, by=PRIVACY_OFFICER)
    assert early.value.rule == "list-state"
    with pytest.raises(DestructionError):
        service.run_destruction_list(lst.id, by=RECORD_MANAGER)
    service.remove_from_destruction_list(
        lst.id, kept, HoldReason.COMPLAINT, "kl-2026-014", by=RECORD_MANAGER
    )
    service.finish_destruction_review(lst.id, by=RECORD_MANAGER)
    service.approve_destruction_list(lst.id, by=PRIVACY_OFFICER)
    done = service.run_destruction_list(lst.id, by=RECORD_MANAGER)

    assert done.state == ListState.COMPLETED
    for case_id in listed:
        case = service.get_case(case_id)
        assert case.erased
        assert case.pupil.erased
        assert service.keyring.key_for(case_id) is None
        assert erasures(service, case_id) == 1
    for case_id in (held, kept, recent, still_open):
        assert not service.get_case(case_id).erased
        assert service.keyring.key_for(case_id) is not None
    certificate = done.certificate()
    assert certificate["proposed"]["by"] == "system"
    assert certificate["reviewed"]["by"] == "records-1"
    assert certificate["approved"]["by"] == "privacy-1"
    assert certificate["completed"] is not None
    assert {c["case_id"]: c["outcome"] for c in certificate["cases"]} == {
        str(c): "erased" for c in listed
    }
    assert certificate["removed"][0]["reason"] == "complaint"
    assert certificate["removed"][0]["file_reference"] == "KL-2026-014"
    assert "Sanne" not in repr(certificate)
    assert "Vries" not in repr(certificate)
    # Run again: nothing more happens.
    again = service.run_destruction_list(lst.id, by=SYSTEM_ACTOR)
    assert again.version == done.version
    catch_up(service, read_db)
    assert on_open_lists(read_db) == set()


def test_legal_hold_refuses_erasure_on_request_until_lifted(
    service: CaseService, clock: FakeClock
) -> None:
    (case_id,) = ended_cases(service, clock, 1)
    service.place_legal_hold(case_id, HoldReason.OBJECTION, None, by=PRIVACY_OFFICER)
    with pytest.raises(IllegalTransition) as refused:
        service.erase_personal_data(
            case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=PRIVACY_OFFICER
        )
    assert refused.value.rule == "legal-hold"
    assert "objection" in refused.value.detail

    service.lift_legal_hold(case_id, LiftReason.PROCEDURE_ENDED, None, by=COORDINATOR)
    result = service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=PRIVACY_OFFICER
    )
    assert result.case.erased


def test_an_erasure_on_request_leaves_a_certificate_in_the_log(
    service: CaseService, clock: FakeClock, read_db: Database
) -> None:
    (case_id,) = ended_cases(service, clock, 1)
    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )
    catch_up(service, read_db)
    view = DestructionListsProjection.view_class(
        {b: f"{b}_v1" for b in DestructionListsProjection.tables}
    )
    with read_db.reading() as tx:
        (row,) = view.recent(tx)
    assert (row.kind, row.state, row.erased) == (ListKind.ON_REQUEST, "completed", 1)
    certificate = service.get_destruction_list(UUID(row.list_id)).certificate()
    assert certificate["rule"] == {
        "code": "erasure-on-request",
        "reason": "data_subject_request",
    }
    assert certificate["approved"]["by"] == "coordinator-1"
    assert certificate["cases"][0]["outcome"] == "erased"


def test_the_approver_may_not_be_who_reviewed(
    service: CaseService, clock: FakeClock, read_db: Database
) -> None:
    ended_cases(service, clock, 1)
    catch_up(service, read_db)
    lst = propose_due(service, read_db, years=2, by=SYSTEM_ACTOR).destruction_list
    assert lst is not None
    # A record manager who is also made privacy officer under the same id.
    service.finish_destruction_review(lst.id, by=RECORD_MANAGER)
    with pytest.raises(DestructionError) as refused:
        service.approve_destruction_list(
            lst.id, by=Actor("records-1", Role.PRIVACY_OFFICER)
        )
    assert refused.value.rule == "four-eyes"


def test_a_run_killed_halfway_and_run_again_erases_every_case_exactly_once(
    service: CaseService, clock: FakeClock, read_db: Database, settings: Settings
) -> None:
    cases = ended_cases(service, clock, 300)
    catch_up(service, read_db)
    lst = propose_due(service, read_db, years=2, by=SYSTEM_ACTOR).destruction_list
    assert lst is not None
    assert len(lst.listed) == 300
    service.finish_destruction_review(lst.id, by=RECORD_MANAGER)
    service.approve_destruction_list(lst.id, by=PRIVACY_OFFICER)

    run = start(settings, "-m", "dossier", "destruction", "run", str(lst.id))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and run.poll() is None:
            if len(service.get_destruction_list(lst.id).outcomes) >= 5:
                break
            time.sleep(0.005)
        assert run.poll() is None, "the run ended before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == -signal.SIGKILL
    cut = service.get_destruction_list(lst.id)
    assert cut.state == ListState.APPROVED
    assert 5 <= len(cut.outcomes) < 300

    rerun = start(settings, "-m", "dossier", "destruction", "run", str(lst.id))
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    assert "300 cases erased, 0 skipped" in " ".join(stdout.split())

    done = service.get_destruction_list(lst.id)
    assert done.state == ListState.COMPLETED
    certificate = done.certificate()
    assert [c["outcome"] for c in certificate["cases"]] == ["erased"] * 300
    assert all(erasures(service, c) == 1 for c in cases)
    assert all(service.keyring.key_for(c) is None for c in cases)


def test_the_retention_worker_proposes_once_what_is_due_and_erases_nothing(
    service: CaseService, clock: FakeClock, read_db: Database
) -> None:
    due = ended_cases(service, clock, 2)
    catch_up(service, read_db)
    worker = RetentionWorker(
        service, read_db, years=2, every_seconds=3600, first_after=0.01
    )
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            catch_up(service, read_db)
            if on_open_lists(read_db):
                break
            time.sleep(0.05)
    finally:
        worker.stop()
    assert on_open_lists(read_db) == set(due)
    assert worker.run_once() is None, "the cases wait on the list proposed"
    assert not any(service.get_case(c).erased for c in due)
