"""Erasure holds at once, everywhere: reads of a case racing its erasure, on a real
server, with the erasure made by that server or by another process (`dossier
case erase`). Every read that starts after the erasure was answered shows the
personal data as erased: the case now, at its first version, as of a moment, its
history, the audit event feed and the audit trail."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.helpers import CASES, STORES, Api, api_for
from tests.e2e.helpers import server_pool as server_pool  # the pool's fixture
from tests.support import processes

READERS = 3
SECONDS_AFTER = 1.5  # reads go on this long after the erasure was answered


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    return api_for(request)


@dataclass
class Race:
    """Reads of one case in threads of their own, each noted with when it
    started and whether the pupil's name was in the answer."""

    api: Api
    case: dict[str, object]
    name: str
    reads: list[tuple[float, str, bool]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def paths(self) -> list[tuple[str, dict[str, object]]]:
        cid, position = self.case["id"], int(str(self.case["log_position"]))
        moment = datetime.now(UTC).isoformat()
        return [
            (f"{CASES}/{cid}", {}),
            (f"{CASES}/{cid}", {"version": 1}),
            (f"{CASES}/{cid}", {"as_of": moment}),
            (f"{CASES}/{cid}/history", {}),
            ("/api/v1/audit/events", {"after": max(position - 5, 0), "limit": 20}),
            ("/api/v1/audit/trail", {"case_id": cid}),
        ]

    def read(self, who: str) -> None:
        paths = self.paths()
        with self.api.fresh(who) as client:
            i = 0
            while not self.stop.is_set():
                path, params = paths[i % len(paths)]
                i += 1
                started = time.monotonic()
                response = client.get(path, params=params)
                if response.status_code != 200:
                    self.failures.append(f"{path}: {response.status_code}")
                    continue
                kind = path.rsplit("/", 1)[-1] + "?" + ",".join(params)
                self.reads.append((started, kind, self.name in response.text))

    def run(self, erase: Callable[[], None]) -> float:
        """Read while ``erase`` runs; when it was answered (monotonic)."""
        threads = [
            threading.Thread(target=self.read, args=("auditor",))
            for _ in range(READERS)
        ]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            erase()
            answered = time.monotonic()
            time.sleep(SECONDS_AFTER)
        finally:
            self.stop.set()
            for t in threads:
                t.join(timeout=30)
        return answered


def ended_case(api: Api) -> tuple[dict[str, object], str]:
    case = api.case_in("withdrawn")
    name = str(api.case(str(case["id"]))["pupil"]["name"])
    return case, name


def check(race: Race, answered: float) -> None:
    assert race.failures == []
    before = [r for r in race.reads if r[0] < answered]
    after = [r for r in race.reads if r[0] > answered]
    assert any(shown for _, _, shown in before), "the reads ran before the erasure"
    assert len({kind for _, kind, _ in after}) == 6, "every kind read after it"
    leaked = sorted({kind for _, kind, shown in after if shown})
    assert leaked == [], "personal data read after the erasure was answered"


def test_reads_racing_an_erasure_by_the_server_never_show_the_data_after_it(
    api: Api,
) -> None:
    case, name = ended_case(api)
    race = Race(api, case, name)

    def erase() -> None:
        response = api.client("coordinator").post(
            f"{CASES}/{case['id']}/erasure", json={"reason": "data_subject_request"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["erased"] is True

    check(race, race.run(erase))


def test_reads_racing_an_erasure_by_another_process_never_show_the_data_after_it(
    api: Api,
) -> None:
    case, name = ended_case(api)
    race = Race(api, case, name)

    def erase() -> None:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dossier",
                "case",
                "erase",
                str(case["reference"]),
                "--reason",
                "data_subject_request",
            ],
            env=processes.environment(api.server.settings),
            cwd=processes.ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    check(race, race.run(erase))


def test_an_erased_case_read_by_a_client_that_read_it_before_shows_it_erased(
    api: Api,
) -> None:
    """The same keep-alive connection, before and after: nothing is kept for it."""
    case, name = ended_case(api)
    client: httpx.Client = api.client("coordinator")
    assert name in client.get(f"{CASES}/{case['id']}", params={"version": 1}).text
    response = client.post(
        f"{CASES}/{case['id']}/erasure", json={"reason": "data_subject_request"}
    )
    assert response.status_code == 200, response.text
    assert name not in client.get(f"{CASES}/{case['id']}", params={"version": 1}).text
    assert name not in client.get(f"{CASES}/{case['id']}/history").text
