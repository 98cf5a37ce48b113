"""When the database is away: which errors say so, and healing the pools afterwards.

An outage (connection refused, reset, the server shutting down, a lock or
statement timeout, SQLite busy) is not the client's fault and not a bug: the API
answers it with 503 and Retry-After. The pools keep their idle connections
unchecked (a ping before every use cost a fifth of a command), so after the first
sign of an outage every idle connection is checked at once, in the background,
and the dead ones replaced: the next request after the server is back succeeds.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable

import eventsourcing.persistence as es
import psycopg
import psycopg_pool
import structlog

log = structlog.get_logger(__name__)

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    es.OperationalError,
    es.InterfaceError,
    # Connection lost or refused, the server shutting down or starting, a lock
    # or statement timeout: all of them psycopg's OperationalError.
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
    ConnectionError,
)

# SQLite's primary result codes that mean "not now", not "wrong": BUSY, LOCKED,
# IOERR, FULL, CANTOPEN.
_SQLITE_UNAVAILABLE = {5, 6, 10, 13, 14}


def _chain(error: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def store_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached
    or cannot answer now."""
    for e in _chain(error):
        if isinstance(e, sqlite3.OperationalError):
            code = getattr(e, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in _SQLITE_UNAVAILABLE:
                return True
            continue
        if isinstance(e, _UNAVAILABLE):
            return True
    return False


class Healer:
    """Checks every pool's idle connections once after an outage was seen; one
    check at a time, however many requests report the outage meanwhile."""

    def __init__(self, checks: Iterable[Callable[[], None]]) -> None:
        self.checks = list(checks)
        self._running = threading.Lock()

    def outage_seen(self) -> None:
        if not self._running.acquire(blocking=False):
            return
        threading.Thread(target=self._heal, name="pool-healer", daemon=True).start()

    def _heal(self) -> None:
        try:
            for check in self.checks:
                try:
                    check()
                except Exception as error:  # the server may still be away
                    log.info("pool_check_failed", error_type=type(error).__name__)
        finally:
            self._running.release()


def table_missing(error: BaseException) -> bool:
    """Whether ``error`` says a table does not exist (yet): a read model that no
    worker has set up so far."""
    for e in _chain(error):
        if isinstance(e, psycopg.errors.UndefinedTable):
            return True
        # SQLite gives this only its generic code; its message is the one sign.
        if isinstance(e, sqlite3.OperationalError) and str(e).startswith(
            "no such table"
        ):
            return True
    return False
