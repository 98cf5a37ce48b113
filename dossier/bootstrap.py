"""Composition root: builds the application service on the configured store."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any, cast

import psycopg
import structlog
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from domain.clock import Clock
from domain.service import CaseService
from dossier.settings import Settings
from storage.chain import ChainedLog
from storage.checkpoints import SigningKey
from storage.db import Database, PostgresDatabase, SQLiteDatabase
from storage.kek import KekError, KekFile
from storage.keyrings import StoreKeyRing, keyring_for
from storage.stores import CasePostgresFactory, CaseSQLiteFactory
from workers.checkpoints import CheckpointWorker
from workers.key_maintenance import KeyMaintenance

log = structlog.get_logger(__name__)


def store_environment(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's settings for the chosen store (its recorder is
    chosen in code: ``infrastructure_for``)."""
    if not settings.uses_postgres:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.sqlite_path),
            "SQLITE_LOCK_TIMEOUT": str(settings.lock_timeout_seconds),
        }
    parts = settings.postgres_parts()
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts["dbname"],
        "POSTGRES_HOST": parts["host"],
        "POSTGRES_PORT": parts["port"],
        "POSTGRES_USER": parts["user"],
        "POSTGRES_PASSWORD": parts["password"],
        "POSTGRES_SCHEMA": settings.database_schema,
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
        # Serialised inserts wait at most this long for the table lock.
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout_seconds),
        "POSTGRES_CONNECT_TIMEOUT": "5",
        # No ping before each use of a pooled connection: it was a fifth of a
        # command's time. The library retries reads and writes that meet a
        # broken connection (10 attempts), the pool drops broken connections
        # and replaces every connection after an hour.
        "POSTGRES_PRE_PING": "n",
        # Never the insert function: it skips the table lock, so readers can
        # pass over events that commit later with lower positions.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }


def build_read_database(settings: Settings) -> Database:
    """The read models' database: the events' own, so writes and tracking commit
    together."""
    if not settings.uses_postgres:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SQLiteDatabase(
            settings.sqlite_path, lock_timeout=settings.lock_timeout_seconds
        )
    assert settings.database_url is not None
    return PostgresDatabase(
        settings.database_url,
        schema=settings.database_schema,
        pool_size=settings.pool_size,
        lock_timeout=settings.lock_timeout_seconds,
    )


def infrastructure_for(
    settings: Settings,
) -> Callable[[Environment], InfrastructureFactory[Any]]:
    """The event store's infrastructure, with Dossier's recorder, for the store."""
    return CasePostgresFactory if settings.uses_postgres else CaseSQLiteFactory


def report_failure(what: str, error: BaseException) -> None:
    """What failed after a command's events were committed: logged (its type
    only: an error's text may hold personal data), never the client's error."""
    log.warning("after_commit_failed", what=what, error_type=type(error).__name__)


def build_service(settings: Settings, *, clock: Clock | None = None) -> CaseService:
    keks = KekFile(settings.kek_path)
    with setting_up(settings):
        service = CaseService(
            store_environment(settings),
            infrastructure=infrastructure_for(settings),
            keyring_factory=partial(keyring_for, keks=keks),
            clock=clock,
            intake_norm_weeks=settings.intake_norm_weeks,
            report_failure=report_failure,
        )
        first_keks(keks, service, settings)
    return service


def first_keks(keks: KekFile, service: CaseService, settings: Settings) -> None:
    """Make the key-encryption key file on a new store; refuse to start on a
    store whose keys are wrapped when the file is missing (a new KEK would make
    every case read as erased)."""
    if keks.path.exists():
        return
    keyring = service.keyring
    assert isinstance(keyring, StoreKeyRing)
    if any(epoch is not None for epoch in keyring.rows_per_epoch()):
        raise KekError(
            f"the store's case keys are wrapped, but there is no key-encryption"
            f" key file at {keks.path}: restore it, or point DOSSIER_KEK_FILE at it"
        )
    keks.ensure(service.clock.now())


@contextmanager
def setting_up(settings: Settings) -> Iterator[None]:
    """One process at a time creates the store's tables and functions: the API
    and a worker starting together on a new PostgreSQL schema would otherwise
    race in the library's CREATE statements ("tuple concurrently updated"), and
    on a new SQLite file in switching it to WAL mode ("database is locked": the
    switch takes the file alone and does not wait for it). SQLite's processes
    share one machine, so a lock file next to the database serves."""
    if not settings.uses_postgres:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with (settings.data_dir / "setup.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return
    assert settings.database_url is not None
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        key = f"dossier:setup:{settings.database_schema}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def chain_checkpoints(
    service: CaseService, settings: Settings
) -> CheckpointWorker | None:
    """The signed checkpoints' schedule for a worker process (None when off)."""
    if not settings.checkpoint_interval_minutes:
        return None
    return CheckpointWorker(
        cast(ChainedLog, service.recorder),
        SigningKey(settings.chain_key_path),
        service.clock,
        every_seconds=settings.checkpoint_interval_minutes * 60,
    )


def key_maintenance(service: CaseService, settings: Settings) -> KeyMaintenance:
    """The KEK schedule for a process that runs the workers (or hosts them)."""
    keyring = service.keyring
    assert isinstance(keyring, StoreKeyRing)
    return KeyMaintenance(
        keyring,
        service.clock,
        rotate_every=timedelta(days=settings.kek_rotation_days),
        backup_window=timedelta(days=settings.backup_retention_days),
    )
