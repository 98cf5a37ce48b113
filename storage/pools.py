"""Pools that reconnect as soon as PostgreSQL is back and give up fast while it is away.

psycopg_pool replaces a broken connection by trying to connect again with an
exponential backoff: 1 s, 2 s, 4 s ... After a 60-second outage the next try
could be half a minute after the server was back, and meanwhile every request
waited the pool's whole timeout for a connection that was not coming. Both pools
here (the read models' and the event store's) differ from the library's in two
ways only:

- a reconnection is tried again after 0.1 s, doubling to at most
  ``RETRY_CAP_SECONDS``, so the first request after the server is back finds a
  connection within about that;
- while the last connection attempt failed (the server is away), a request waits
  at most ``AWAY_WAIT_SECONDS`` for a connection before the pool gives up
  (PoolTimeout, which the API answers with 503), not the whole timeout.

The hooks are psycopg_pool's ``_add_connection`` and ``_connect`` (the second is
the one eventsourcing's own pool overrides); the version is pinned in
requirements.lock and tests/faults/test_pool_recovery.py holds them to it.
"""

from __future__ import annotations

from typing import Any

import eventsourcing.postgres as es_postgres
import psycopg_pool
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool.base import AttemptWithBackoff

RETRY_FIRST_SECONDS = 0.1
RETRY_CAP_SECONDS = 0.5
AWAY_WAIT_SECONDS = 0.5


class QuickRetry(AttemptWithBackoff):
    """A reconnection schedule that starts at 0.1 s and never waits more than
    RETRY_CAP_SECONDS between tries (until the pool's reconnect_timeout)."""

    INITIAL_DELAY = RETRY_FIRST_SECONDS

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, RETRY_CAP_SECONDS)


class _ComesBackQuickly:
    """What both pools add to their library class (a mixin before it)."""

    server_away = False

    def _add_connection(self, attempt: Any, growing: bool = False) -> None:
        if attempt is None:
            attempt = QuickRetry(timeout=self.reconnect_timeout)  # type: ignore[attr-defined]
        super()._add_connection(attempt, growing)  # type: ignore[misc]

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            conn = super()._connect(timeout)  # type: ignore[misc]
        except BaseException:
            self.server_away = True
            raise
        self.server_away = False
        return conn

    def getconn(self, timeout: float | None = None) -> Any:
        if timeout is None and self.server_away:
            timeout = min(AWAY_WAIT_SECONDS, self.timeout)  # type: ignore[attr-defined]
        return super().getconn(timeout)  # type: ignore[misc]


class ReadModelPool(_ComesBackQuickly, psycopg_pool.ConnectionPool):
    """The read models' pool (storage.db.PostgresDatabase)."""


class EventStorePool(
    _ComesBackQuickly, es_postgres.ConnectionPool[Connection[DictRow]]
):
    """The event store's pool, in place of the one eventsourcing's datastore made."""


def replace_datastore_pool(
    datastore: es_postgres.PostgresDatastore, *, connect_seconds: int
) -> None:
    """Give a datastore that has not connected yet an EventStorePool with the
    same settings as the pool it made for itself, and a connect timeout (the
    library sets none: an unreachable host would hold the pool's workers for
    the operating system's TCP timeout)."""
    old = datastore.pool
    if not old.closed:
        raise RuntimeError("the datastore's pool is open already")
    if not isinstance(old.kwargs, dict):
        raise TypeError("the datastore's pool has no connection arguments")
    datastore.pool = EventStorePool(
        old.conninfo,
        connection_class=old.connection_class,
        kwargs={**old.kwargs, "connect_timeout": connect_seconds},
        min_size=old.min_size,
        max_size=old.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        check=es_postgres.ConnectionPool.check_connection
        if datastore.pre_ping
        else None,
        timeout=old.timeout,
        max_waiting=old.max_waiting,
        max_lifetime=old.max_lifetime,
        max_idle=old.max_idle,
        reconnect_timeout=old.reconnect_timeout,
        num_workers=old.num_workers,
        get_password_func=old.get_password_func,
    )
