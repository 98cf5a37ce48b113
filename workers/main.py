"""Composition root of the worker process: `dossier worker [NAMES]`."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from types import FrameType

import structlog

from dossier.bootstrap import build_read_database, build_service
from dossier.logging import configure as configure_logging
from dossier.settings import Settings
from projections.registry import resolve
from workers.projection_host import ProjectionHost

log = structlog.get_logger(__name__)


def run_worker(
    settings: Settings,
    names: Sequence[str] | None = None,
    *,
    stop: threading.Event | None = None,
    poll_seconds: float = 1.0,
) -> None:
    """Run the named projections until SIGTERM/SIGINT (or ``stop``): the batch in
    hand finishes and commits, then the process exits cleanly."""
    configure_logging(settings.log_format)
    classes = resolve(
        list(names) if names else None, intake_norm_weeks=settings.intake_norm_weeks
    )
    stop = stop or threading.Event()
    service = build_service(settings)
    db = build_read_database(settings)
    host = ProjectionHost(
        service,
        db,
        classes,
        poll_seconds=poll_seconds,
        listen_url=settings.database_url,
    )

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker_stopping", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    host.start()
    log.info("worker_started", projections=[c.name for c in classes])
    try:
        while not stop.wait(timeout=5.0):
            for lag in host.lags():
                if lag.events:
                    log.info(
                        "projection_lag",
                        projection=lag.name,
                        events=lag.events,
                        seconds=round(lag.seconds, 1),
                    )
    finally:
        host.stop()
        db.close()
        service.close()
        log.info("worker_stopped")
