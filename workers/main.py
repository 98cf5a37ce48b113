"""The worker process's loop: run a projection host until told to stop, logging lag."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog

from storage.outage import store_unavailable
from workers.projection_host import ProjectionHost

log = structlog.get_logger(__name__)


def run_until_stopped(
    host: ProjectionHost, stop: threading.Event | None = None
) -> None:
    """Run the host's projections until SIGTERM/SIGINT (or ``stop``): the batch in
    hand finishes and commits, then the loop returns (the caller closes what it
    opened)."""
    stop = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker_stopping", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    host.start()
    log.info("worker_started", projections=list(host.runners))
    try:
        while not stop.wait(timeout=5.0):
            try:
                lags = host.lags()
            except Exception as error:
                # The runners wait out an outage on their own; so does the report.
                if not store_unavailable(error):
                    raise
                log.warning("projection_lag_unknown", error_type=type(error).__name__)
                continue
            for lag in lags:
                if lag.events:
                    log.info(
                        "projection_lag",
                        projection=lag.name,
                        events=lag.events,
                        seconds=round(lag.seconds, 1),
                    )
    finally:
        host.stop()
        log.info("worker_stopped")
