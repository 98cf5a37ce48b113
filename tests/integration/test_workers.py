"""Worker processes on a real store: killed mid catch-up, stopped by SIGTERM,
woken by saves; no event lost or applied twice."""

from __future__ import annotations

import signal
import threading
import time
from typing import ClassVar

from domain.service import CaseService
from dossier.settings import Settings
from projections.case_list import CaseListProjection
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from projections.state import positions
from storage.db import Database, Tx
from tests.integration.test_projection_runner import all_positions, probe_positions
from tests.support import processes
from tests.support.probe import ProbeProjection
from tests.support.samples import INTAKE, registration
from workers.projection_host import ProjectionHost


def tracked_position(db: Database, name: str) -> int:
    return max((p for n, _, p, s in positions(db) if n == name), default=0)


def test_a_worker_killed_mid_catch_up_resumes_exactly_once(
    service: CaseService, settings: Settings, read_db: Database
) -> None:
    for _ in range(40):
        service.register(registration(), by=INTAKE)
    head = service.recorder.max_notification_id() or 0
    ProjectionRunner(service, read_db, ProbeProjection)  # creates its tables

    worker = processes.start(settings, "-m", "tests.support.probe_worker", "4", "0.05")
    deadline = time.monotonic() + 30
    while tracked_position(read_db, "probe") < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    stopped_at = tracked_position(read_db, "probe")
    assert 0 < stopped_at < head, "killed in the middle of the catch-up"

    restarted = ProjectionRunner(service, read_db, ProbeProjection, batch_size=9)
    assert restarted.position == stopped_at
    restarted.catch_up()

    assert probe_positions(read_db, 1) == all_positions(service)
    fresh = rebuild(service, read_db, ProbeProjection)  # compares every row
    assert fresh.rows == len(all_positions(service))


def test_sigterm_lets_the_worker_finish_its_batch_and_exit_cleanly(
    service: CaseService, settings: Settings, read_db: Database
) -> None:
    for _ in range(5):
        service.register(registration(), by=INTAKE)
    worker = processes.start(settings, "-m", "dossier.worker", "case_list")
    deadline = time.monotonic() + 30
    head = service.recorder.max_notification_id() or 0
    while tracked_position(read_db, "case_list") < head:
        assert time.monotonic() < deadline, worker.stderr
        time.sleep(0.05)

    worker.send_signal(signal.SIGTERM)
    code = worker.wait(timeout=20)
    out, err = worker.communicate()

    assert code == 0, err
    assert "worker_stopped" in out + err
    assert "Traceback" not in err


def test_in_process_host_is_woken_by_saves_and_serves_read_your_writes(
    service: CaseService, read_db: Database
) -> None:
    host = ProjectionHost(service, read_db, [CaseListProjection], poll_seconds=30)
    host.start()
    try:
        time.sleep(0.1)
        started = time.monotonic()
        position = service.register(registration(), by=INTAKE).log_position
        # poll_seconds is 30: only the save's wake-up can make this quick.
        assert host.wait_for(position, timeout=10)
        assert time.monotonic() - started < 10
        assert host.lags()[0].events == 0
    finally:
        host.stop()


class PausingProbe(ProbeProjection):
    """The probe with a long pause between batches, counting its batches."""

    batch_interval_seconds = 5.0
    batches: ClassVar[list[int]] = []

    def begin_batch(self, tx: Tx) -> None:
        type(self).batches.append(1)
        super().begin_batch(tx)


def test_saves_that_keep_coming_reach_a_pausing_read_model_in_few_batches_exactly_once(
    service: CaseService, read_db: Database
) -> None:
    PausingProbe.batches.clear()
    host = ProjectionHost(service, read_db, [PausingProbe], poll_seconds=30)
    host.start()
    try:
        saves = 10
        for _ in range(saves):
            head = service.register(registration(), by=INTAKE).log_position
            time.sleep(0.05)  # time enough to take each save on its own
        deadline = time.monotonic() + 60
        while tracked_position(read_db, PausingProbe.name) < head:
            assert time.monotonic() < deadline, "the probe never reached the head"
            time.sleep(0.05)
    finally:
        host.stop()

    assert probe_positions(read_db, 1) == all_positions(service)
    # One transaction for whatever arrived during each pause (the first save at
    # once, the others after the pause), not one per save.
    assert len(PausingProbe.batches) <= 3


def test_waiting_for_a_position_cuts_a_read_models_pause_short(
    service: CaseService, read_db: Database
) -> None:
    class LongPause(ProbeProjection):
        batch_interval_seconds = 600.0

    host = ProjectionHost(service, read_db, [LongPause], poll_seconds=30)
    host.start()
    try:
        first = service.register(registration(), by=INTAKE).log_position
        assert host.wait_for(first, timeout=20)
        second = service.register(registration(), by=INTAKE).log_position
        # Within the 600 s pause after the first batch: only the waiter's
        # hurry can bring the second save in now.
        assert host.wait_for(second, timeout=20)
    finally:
        host.stop()


def test_a_serving_runner_follows_a_rebuild_to_the_new_version(
    service: CaseService, read_db: Database
) -> None:
    service.register(registration(), by=INTAKE)
    live = ProjectionRunner(service, read_db, CaseListProjection)
    live.catch_up()
    rebuild(service, read_db, CaseListProjection)
    service.register(registration(), by=INTAKE)

    stop, wakeup = threading.Event(), threading.Event()
    thread = threading.Thread(target=live.run, args=(stop, wakeup))
    thread.start()
    try:
        assert live.wait_for(service.recorder.max_notification_id() or 0, 10)
    finally:
        stop.set()
        wakeup.set()
        thread.join()
    assert live.version == 2
