"""Composition root of the worker process: `dossier worker [NAMES]`."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence

import structlog

from dossier import collector
from dossier.bootstrap import (
    build_read_database,
    build_service,
    chain_checkpoints,
    key_maintenance,
)
from dossier.logging import configure as configure_logging
from dossier.settings import Settings
from projections.registry import resolve
from storage.outage import store_unavailable
from workers.main import run_until_stopped
from workers.projection_host import ProjectionHost
from workers.retention import RetentionWorker

log = structlog.get_logger(__name__)
STARTUP_RETRY_SECONDS = 1.0


def run_worker(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    stop: threading.Event | None = None,
    poll_seconds: float = 1.0,
) -> None:
    """Build the service, the read models' database and a host for the named
    projections (all when none), then run until SIGTERM/SIGINT or ``stop``."""
    configure_logging(settings.log_format)
    classes = resolve(
        list(names) if names else None, intake_norm_weeks=settings.intake_norm_weeks
    )
    stop = stop or threading.Event()
    while True:
        # A worker started while the database is away waits for it, as a
        # running one does (its runners retry), instead of exiting.
        try:
            service = build_service(settings)
            db = build_read_database(settings)
            host = ProjectionHost(
                service,
                db,
                classes,
                poll_seconds=poll_seconds,
                listen_url=settings.database_url,
            )
            break
        except Exception as error:
            if not store_unavailable(error):
                raise
            log.warning("worker_waiting_for_store", error_type=type(error).__name__)
            if stop.wait(STARTUP_RETRY_SECONDS):
                return
    collector.tune()
    keys = key_maintenance(service, settings)
    keys.start()
    checkpoints = chain_checkpoints(service, settings)
    if checkpoints is not None:
        checkpoints.start()
    retention = None
    if settings.retention_interval_hours:
        retention = RetentionWorker(
            service,
            db,
            years=settings.retention_years,
            every_seconds=settings.retention_interval_hours * 3600,
        )
        retention.start()
    try:
        run_until_stopped(host, stop)
    finally:
        if retention is not None:
            retention.stop()
        if checkpoints is not None:
            checkpoints.stop()
        keys.stop()
        db.close()
        service.close()


if __name__ == "__main__":
    # `python -m dossier.worker [NAMES]`: the worker without the CLI around it.
    run_worker(Settings(), sys.argv[1:] or None)
