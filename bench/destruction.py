"""Destruction run time: N cases ended three years ago, proposed, reviewed,
approved and run as one list; beside it, one case erased on request.

    python bench/destruction.py              # 10,000 cases, PostgreSQL (a fresh
                                             # schema, DOSSIER_BENCH_DATABASE_URL)
    python bench/destruction.py --sqlite     # the same on SQLite in a temp dir
    DOSSIER_BENCH_DESTRUCTION_CASES=1000 python bench/destruction.py

Prints the figures (cases/s); asserts nothing about time.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))

from _common import bench_run  # noqa: E402

from domain.clock import Clock  # noqa: E402
from domain.values import SYSTEM_ACTOR, Actor, ErasureReason, Role  # noqa: E402
from dossier.bootstrap import build_service  # noqa: E402
from dossier.settings import Settings  # noqa: E402
from tests.support.samples import COORDINATOR, INTAKE, registration  # noqa: E402


class SetClock(Clock):
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        self.moment += timedelta(microseconds=1)
        return self.moment


def main() -> None:
    n = int(os.environ.get("DOSSIER_BENCH_DESTRUCTION_CASES", "10000"))
    if "--sqlite" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            measure(Settings(data_dir=Path(tmp) / "var"), n)
    else:
        with bench_run("destruction", keep=False) as run:
            measure(run.settings, n)


def measure(settings: Settings, n: int) -> None:
    clock = SetClock(datetime(2023, 3, 1, 9, tzinfo=UTC))
    service = build_service(settings, clock=clock)
    try:
        started = time.perf_counter()
        ids = []
        for _ in range(n + 1):
            case_id = service.register(registration(), by=INTAKE).case.id
            service.withdraw(case_id, "Ingetrokken.", by=INTAKE)
            ids.append(case_id)
        seeded = time.perf_counter() - started
        clock.moment = datetime.now(tz=UTC)
        single, *listed = ids

        t0 = time.perf_counter()
        service.erase_personal_data(
            single, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
        )
        one = time.perf_counter() - t0

        t0 = time.perf_counter()
        lst = service.propose_destruction(listed, years=2, by=SYSTEM_ACTOR)
        proposed = time.perf_counter() - t0
        service.finish_destruction_review(
            lst.id, by=Actor("records-1", Role.RECORD_MANAGER)
        )
        service.approve_destruction_list(
            lst.id, by=Actor("privacy-1", Role.PRIVACY_OFFICER)
        )
        t0 = time.perf_counter()
        done = service.run_destruction_list(lst.id, by=SYSTEM_ACTOR)
        ran = time.perf_counter() - t0
        assert len(done.outcomes) == n
    finally:
        service.close()
    store = "PostgreSQL" if settings.uses_postgres else "SQLite"
    print(f"destruction bench on {store}, {n} cases (seeded in {seeded:.1f} s)")
    print(f"  erasure on request (1 case, baseline): {one * 1000:8.1f} ms")
    print(
        f"  propose ({n} candidates checked):     {proposed:8.2f} s"
        f"  {n / proposed:8.0f} cases/s"
    )
    print(
        f"  run ({n} cases erased):                {ran:8.2f} s  {n / ran:8.0f} cases/s"
    )
    print(f"  run per case:                          {ran / n * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
