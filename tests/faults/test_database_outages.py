"""A database outage under load: 503 with Retry-After while it lasts, never a 500,
and the service heals by itself when PostgreSQL is back. Every acknowledged
command is in the event store once; the read models equal a fresh rebuild."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
import pytest

from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections.rebuild import rebuild
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from tests.e2e.conftest import Server, start_server
from tests.e2e.helpers import registration
from tests.support import processes
from tests.support.private_cluster import PrivateCluster

pytestmark = pytest.mark.postgres

CLIENTS = 4
# How long a client keeps trying once the server is back (a bound, not a target:
# the bench script measures the recovery time).
HEAL_SECONDS = 30


@pytest.fixture
def service_on_cluster(
    cluster: PrivateCluster, tmp_path: Path
) -> Iterator[tuple[Server, subprocess.Popen[str], Settings]]:
    settings = Settings(database_url=cluster.url, data_dir=tmp_path / "var")
    server = start_server(settings, embedded=False)
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "dossier.worker"],
        env=processes.environment(settings),
        cwd=processes.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield server, worker, settings
    for process in (server.process, worker):
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@dataclass
class Load:
    """Clients registering cases and listing them until told to stop."""

    server: Server
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: Counter[int] = field(default_factory=Counter)
    acknowledged: list[UUID] = field(default_factory=list)
    retry_after_missing: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> None:
        with self.server.client("intake") as http:
            while not self.stop.is_set():
                try:
                    answer = http.post("/api/v1/cases", json=registration())
                    listed = http.get("/api/v1/cases", params={"limit": 5})
                except httpx.TransportError:
                    time.sleep(0.05)
                    continue
                with self.lock:
                    for response in (answer, listed):
                        self.statuses[response.status_code] += 1
                        if response.status_code == 503 and not response.headers.get(
                            "Retry-After"
                        ):
                            self.retry_after_missing += 1
                    if answer.status_code == 201:
                        self.acknowledged.append(UUID(answer.json()["id"]))
                if answer.status_code == 503:
                    time.sleep(0.1)

    def succeeded_since(self, count: int) -> bool:
        with self.lock:
            return len(self.acknowledged) > count


def wait_for_success(load: Load) -> None:
    """After PostgreSQL is back, a command succeeds again without any restart."""
    with load.lock:
        before = len(load.acknowledged)
    deadline = time.monotonic() + HEAL_SECONDS
    while not load.succeeded_since(before):
        assert time.monotonic() < deadline, "the service did not heal by itself"
        time.sleep(0.05)


def test_restarts_crashes_and_stops_answer_503_and_heal_without_losing_a_command(
    cluster: PrivateCluster,
    service_on_cluster: tuple[Server, subprocess.Popen[str], Settings],
) -> None:
    server, worker, settings = service_on_cluster
    load = Load(server)
    threads = [threading.Thread(target=load.client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        wait_for_success(load)
        cluster.restart("fast")
        cluster.wait_ready()
        wait_for_success(load)
        cluster.restart("immediate")  # a crash: no clean shutdown
        cluster.wait_ready()
        wait_for_success(load)
        cluster.stop("fast")
        time.sleep(3)  # down for a while: the clients see 503s
        cluster.start()
        cluster.wait_ready()
        wait_for_success(load)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert load.statuses[500] == 0, load.statuses
    assert set(load.statuses) <= {200, 201, 503}, load.statuses
    assert load.statuses[503] > 0, "the stop was seen"
    assert load.retry_after_missing == 0
    assert worker.poll() is None, "the worker survived every outage"

    service = build_service(settings)
    db = build_read_database(settings)
    try:
        with psycopg.connect(cluster.url) as conn:
            rows = conn.execute(
                "SELECT originator_id, count(*) FROM dossier_events"
                " WHERE originator_version = 1 GROUP BY originator_id"
            ).fetchall()
        recorded = {UUID(str(r[0])): r[1] for r in rows}
        for case_id in load.acknowledged:
            assert recorded.get(case_id) == 1, "an acknowledged command is kept once"
        for cls in all_projections(settings.intake_norm_weeks).values():
            ProjectionRunner(service, db, cls).catch_up()
            rebuild(service, db, cls)  # compares every row with the live version
    finally:
        db.close()
        service.close()
