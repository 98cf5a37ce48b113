"""A worker process for tests: feeds the probe read model slowly, to be killed."""

from __future__ import annotations

import sys
import time

from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections.runner import ProjectionRunner
from tests.support.probe import ProbeProjection


def main() -> None:
    batch_size, pause = int(sys.argv[1]), float(sys.argv[2])
    settings = Settings()
    service = build_service(settings)
    db = build_read_database(settings)
    runner = ProjectionRunner(service, db, ProbeProjection, batch_size=batch_size)
    print("started", flush=True)
    runner.catch_up(on_batch=lambda _n, _p: time.sleep(pause))
    print("caught-up", flush=True)


if __name__ == "__main__":
    main()
