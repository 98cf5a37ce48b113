"""Both PostgreSQL pools reconnect soon after a long outage (not after psycopg_pool's
growing backoff) and give up fast while the server is away."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg_pool
import pytest

from dossier.bootstrap import build_service
from dossier.settings import Settings
from storage.db import PostgresDatabase
from storage.outage import store_unavailable
from storage.pools import AWAY_WAIT_SECONDS, EventStorePool
from tests.support.private_cluster import PrivateCluster

pytestmark = pytest.mark.postgres

# Long enough that the library's backoff (1, 2, 4 s ...) would have its next try
# 7 s after the server is back; our pools try every 0.5 s at most.
OUTAGE_SECONDS = 8
# A bound on the first connection after the server is back, not a target.
BACK_WITHIN_SECONDS = 3.0


def _through_an_outage(
    cluster: PrivateCluster,
    pool: psycopg_pool.ConnectionPool[Any],
    use: Callable[[], None],
) -> None:
    use()  # the pool has its connections
    cluster.stop("fast")
    try:
        deadline = time.monotonic() + OUTAGE_SECONDS
        failures: list[BaseException] = []
        while time.monotonic() < deadline:
            try:
                use()
            except Exception as error:
                failures.append(error)
            time.sleep(0.25)
        assert failures, "no use failed while the server was away"
        assert all(store_unavailable(error) for error in failures)
        # A connection attempt has failed: requests no longer wait the whole timeout.
        with pytest.raises(psycopg_pool.PoolTimeout, match=f"{AWAY_WAIT_SECONDS:.2f}"):
            pool.getconn()
    finally:
        cluster.start()
        cluster.wait_ready()
    with pool.connection(timeout=BACK_WITHIN_SECONDS) as conn:
        assert conn.execute("SELECT 1").fetchone() is not None


def test_the_read_models_pool_reconnects_soon_after_a_long_outage(
    cluster: PrivateCluster,
) -> None:
    db = PostgresDatabase(cluster.url)
    try:

        def use() -> None:
            with db.transaction() as tx:
                tx.fetchone("SELECT 1")

        _through_an_outage(cluster, db.pool, use)
    finally:
        db.close()


def test_the_event_stores_pool_reconnects_soon_after_a_long_outage(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    service = build_service(
        Settings(database_url=cluster.url, data_dir=tmp_path / "var")
    )
    try:
        datastore = service.recorder.datastore  # type: ignore[attr-defined]
        assert isinstance(datastore.pool, EventStorePool)
        assert datastore.pool.kwargs["connect_timeout"] > 0

        def use() -> None:
            with datastore.get_connection() as conn:
                conn.execute("SELECT 1")

        _through_an_outage(cluster, datastore.pool, use)
    finally:
        service.close()
