"""Dossier on several processes (docs/scaling.md): three `dossier serve` and two
`python -m dossier.worker` on one PostgreSQL schema, eight clients sending
commands round-robin to the three (a tenth of them twice, to two servers, with
one Idempotency-Key), one worker killed midway. Every acknowledged command is in
its case's history once, with the version and log position its answer gave, and
every read model holds each event exactly once: as a replay of the log says, and
equal to a fresh rebuild, row for row."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.case import Case
from domain.consultant import Consultant
from domain.service import CaseService
from domain.values import Role
from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections import state
from projections.audit_trail import AuditTrailProjection
from projections.rebuild import rebuild
from projections.registry import all_projections
from storage.db import Database
from tests.e2e.conftest import Server, start_server
from tests.e2e.helpers import CASES, CLOSURE, CONSULTANTS, activity, registration
from tests.support import processes
from tests.support.http_api import staff_tokens, today
from tests.support.stores import drop_schema, store_settings

pytestmark = pytest.mark.postgres

SERVERS = 3
WORKERS = 2
CLIENTS = 8
CONSULTANTS_COUNT = 3
LOAD_SECONDS = 14.0
# Each process holds up to 3 x POOL_SIZE connections (the event store's pool
# grows to twice its size, the read models' to its size; a worker adds one
# for LISTEN): about 35 for the five, on a shared server that allows 100.
POOL_SIZE = 2
# Bounds, never targets: how long the read models may take to reach the head.
CATCH_UP_SECONDS = 60.0
# A command answered 503 (or not at all) is sent again with the same
# Idempotency-Key, to the next server, this many times.
RETRIES = 3
# The share of commands sent a second time, unprompted, with the same key.
SENT_TWICE = 0.1
LOG_TAIL_LINES = 40

ENDED = {"closed", "withdrawn", "not_admissible", "referred"}
OPEN_WORK = {"assigned", "in_mediation", "suspended"}
# The events a command may record, in order (prerequisites: the step, then
# PrerequisitesMet when it was the last one the rule asks for).
EVENTS_OF = {
    "register": ("Registered",),
    "prerequisites": ("PrerequisiteRecorded", "PrerequisitesMet"),
    "intake": ("IntakeDecided",),
    "assignment": ("Assigned",),
    "activities": ("ActivityRecorded",),
    "suspension": ("Suspended",),
    "resumption": ("Resumed",),
    "closure": ("Closed",),
    "withdrawal": ("Withdrawn",),
}


# --- the processes --------------------------------------------------------------------


@dataclass
class Deployment:
    """The servers and workers of one test, on one PostgreSQL schema."""

    settings: Settings
    tokens: dict[str, str]
    servers: list[Server] = field(default_factory=list)
    workers: list[subprocess.Popen[str]] = field(default_factory=list)
    _worker_logs: int = 0

    @property
    def environment(self) -> dict[str, str]:
        return {"DOSSIER_POOL_SIZE": str(POOL_SIZE), "DOSSIER_POLL_SECONDS": "0.2"}

    def start(self) -> None:
        """Every server and worker at once, as a deployment starts them (each
        server started is kept, to be stopped, even when another fails)."""
        for _ in range(WORKERS):
            self.start_worker()
        with ThreadPoolExecutor(SERVERS) as pool:
            futures = [
                pool.submit(
                    start_server,
                    self.settings,
                    embedded=False,
                    environment=self.environment,
                    tokens=self.tokens,
                )
                for _ in range(SERVERS)
            ]
        self.servers = [f.result() for f in futures if f.exception() is None]
        for future in futures:
            if (error := future.exception()) is not None:
                raise error

    def start_worker(self) -> subprocess.Popen[str]:
        """A `python -m dossier.worker` of every read model, logging to a file."""
        self._worker_logs += 1
        path = self.settings.data_dir / f"worker-{self._worker_logs}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        env = processes.environment(self.settings) | self.environment
        with path.open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "dossier.worker"],
                env=env,
                cwd=processes.ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        stop_all(self.workers)

    def stop(self) -> None:
        stop_all([*self.workers, *(s.process for s in self.servers)])

    def logs(self) -> list[Path]:
        return sorted(self.settings.data_dir.glob("*.log"))

    def errors_logged(self) -> list[str]:
        """Every line of the processes' logs that reports an error."""
        return [
            f"{path.name}: {line}"
            for path in self.logs()
            for line in path.read_text(errors="replace").splitlines()
            if "[error" in line or "Traceback" in line
        ]

    def tails(self) -> str:
        parts = []
        for path in self.logs():
            lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            parts.append(
                f"--- {path.name} (last {len(lines)} lines)\n" + "\n".join(lines)
            )
        return "\n".join(parts)


def stop_all(running: list[subprocess.Popen[str]]) -> None:
    """SIGTERM to every process still running, then SIGKILL to any that lingers."""
    for process in running:
        if process.poll() is None:
            process.terminate()
    for process in running:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    settings = store_settings(
        "postgres", tmp_path / "var", request, "scale", pool_size=POOL_SIZE
    )
    running = Deployment(settings, staff_tokens(settings))
    try:
        with logs_shown_on_failure(running):
            running.start()
        yield running
    finally:
        running.stop()
        drop_schema(settings)


@contextmanager
def logs_shown_on_failure(deployment: Deployment) -> Iterator[None]:
    """On failure, print the tail of every server's and worker's log (pytest shows
    it with the failure)."""
    try:
        yield
    except BaseException:
        print(deployment.tails())
        raise


# --- the load -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    """A command answered 2xx: a promise that its events are in the log."""

    case_id: str
    command: str
    before: int  # the case's version the client had been told before
    version: int
    position: int


@dataclass
class OwnCase:
    """A case as the client that registered it was last told."""

    id: str
    version: int
    status: str
    thuiszitter: bool
    steps: list[str] = field(default_factory=list)
    consultant: str | None = None
    activities: int = 0


@dataclass
class Tally:
    """What every client saw, shared between their threads."""

    acks: list[Ack] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    retried: int = 0
    sent_twice: int = 0
    unanswered: int = 0
    unknown_registrations: int = 0
    uncertain_cases: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One client thread: registers cases and takes the ones it registered a step
    further, each request to the next of the servers, with If-Match and an
    Idempotency-Key."""

    def __init__(
        self,
        n: int,
        servers: list[Server],
        tokens: dict[str, str],
        consultants: dict[str, str],
        tally: Tally,
    ) -> None:
        self.rng = random.Random(n)
        self.turn = n
        self.tokens = tokens
        self.consultants = consultants  # consultant id -> token
        self.tally = tally
        self.http = [httpx.Client(base_url=s.url, timeout=30) for s in servers]
        self.cases: list[OwnCase] = []

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                open_cases = [c for c in self.cases if c.status not in ENDED]
                if len(open_cases) < 3 or self.rng.random() < 0.2:
                    self.register()
                else:
                    self.advance(self.rng.choice(open_cases))
        finally:
            for http in self.http:
                http.close()

    # --- requests -------------------------------------------------------------------

    def send(
        self,
        path: str,
        body: dict[str, Any],
        token: str,
        version: int | None = None,
    ) -> httpx.Response | None:
        """POST a command with an Idempotency-Key of its own (and If-Match when
        ``version`` is given). Now and then, as a client whose answer got lost
        would, the same request again to the next server: it must get the first
        answer back, recorded once."""
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        first = self.post(path, body, headers)
        if first is not None and first.is_success and self.rng.random() < SENT_TWICE:
            again = self.post(path, body, headers)
            with self.tally.lock:
                self.tally.sent_twice += 1
                if again is None or not replays(first, again):
                    answer = "none" if again is None else again.text[:300]
                    self.tally.unexpected.append(
                        f"{path} sent twice: {first.text[:300]}, then {answer}"
                    )
        return first

    def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response | None:
        """POST to the next server; on 503 or no answer the same request (the same
        Idempotency-Key) to the next one again. None: given up unanswered."""
        for attempt in range(RETRIES + 1):
            if attempt:
                with self.tally.lock:
                    self.tally.retried += 1
                time.sleep(0.1 * attempt)
            try:
                response = self.next_server().post(path, json=body, headers=headers)
            except httpx.TransportError:
                continue
            with self.tally.lock:
                self.tally.statuses[response.status_code] += 1
            if response.status_code != 503:
                return response
        with self.tally.lock:
            self.tally.unanswered += 1
        return None

    def next_server(self) -> httpx.Client:
        self.turn += 1
        return self.http[self.turn % len(self.http)]

    def reread(self, case: OwnCase) -> None:
        """After a refusal or no answer: the case as the log has it now."""
        response: httpx.Response | None = None
        for _ in range(RETRIES + 1):
            try:
                response = self.next_server().get(
                    f"{CASES}/{case.id}",
                    headers={"Authorization": f"Bearer {self.tokens['coordinator']}"},
                )
            except httpx.TransportError:
                continue
            if response.status_code == 200:
                body = response.json()
                case.version, case.status = body["version"], body["status"]
                case.consultant = body["consultant_id"]
                return
        answer = "no answer" if response is None else response.text[:300]
        raise AssertionError(f"case {case.id} could not be read: {answer}")

    # --- the case's life ------------------------------------------------------------

    def register(self) -> None:
        thuiszitter = self.rng.random() < 0.25
        changes: dict[str, Any] = {}
        if thuiszitter:
            changes = {
                "category": "thuiszitter",
                "at_home_since": (today() - timedelta(days=20)).isoformat(),
                "receives_education": False,
            }
        response = self.send(CASES, registration(**changes), self.tokens["intake"])
        if response is None:
            with self.tally.lock:
                self.tally.unknown_registrations += 1
            return
        if response.status_code != 201:
            self.refused("register", response)
            return
        body = response.json()
        case = OwnCase(body["id"], 0, "registered", thuiszitter)
        self.acknowledged(case, "register", body)
        self.cases.append(case)

    def advance(self, case: OwnCase) -> None:
        """The next step the case's status allows."""
        intake, coordinator = self.tokens["intake"], self.tokens["coordinator"]
        choice = self.rng.random()
        command: str
        body: dict[str, Any]
        token: str
        if case.status == "registered":
            if choice < 0.05:
                command, body = "withdrawal", {"reason": "Ouders trekken in"}
            else:
                step = (
                    "samenwerkingsverband_contact"
                    if "school_conversation" in case.steps
                    else "school_conversation"
                )
                case.steps.append(step)
                command, body = "prerequisites", {"step": step, "date": today_iso()}
            token = intake
        elif case.status == "awaiting_intake":
            token, command = intake, "intake"
            body = (
                {"decision": "not_admissible", "reason": "Geen onderwijsvraag"}
                if choice < 0.1
                else {"decision": "admissible"}
            )
        elif case.status == "awaiting_assignment":
            token, command = coordinator, "assignment"
            body = {"consultant_id": self.rng.choice(sorted(self.consultants))}
        elif case.status == "suspended":
            token, command, body = coordinator, "resumption", {"reason": "Uitspraak"}
        elif case.status in ("assigned", "in_mediation"):
            token = self.consultant_token(case)
            if case.status == "in_mediation" and case.activities >= 2 and choice < 0.3:
                command, body = "closure", CLOSURE
            elif case.status == "in_mediation" and choice < 0.45:
                token, command = coordinator, "suspension"
                body = {"reason": "Procedure bij de rechter"}
            else:
                command, body = "activities", activity("Gesprek over de voortgang")
        else:
            raise AssertionError(f"no step from {case.status}")
        response = self.send(f"{CASES}/{case.id}/{command}", body, token, case.version)
        if response is None:
            # Given up unanswered: it may or may not have been recorded.
            with self.tally.lock:
                self.tally.uncertain_cases.add(case.id)
            self.reread(case)
            return
        if response.status_code != 200:
            self.refused(command, response)
            self.reread(case)
            return
        self.acknowledged(case, command, response.json())
        if command == "activities":
            case.activities += 1

    def consultant_token(self, case: OwnCase) -> str:
        assert case.consultant is not None
        return self.consultants[case.consultant]

    def acknowledged(self, case: OwnCase, command: str, body: dict[str, Any]) -> None:
        ack = Ack(case.id, command, case.version, body["version"], body["log_position"])
        case.version, case.status = body["version"], body["status"]
        case.consultant = body["consultant_id"]
        with self.tally.lock:
            self.tally.acks.append(ack)

    def refused(self, command: str, response: httpx.Response) -> None:
        """409 (a concurrent update) and 412 are answers a client must expect;
        anything else is not."""
        if response.status_code not in (409, 412):
            with self.tally.lock:
                self.tally.unexpected.append(
                    f"{command}: {response.status_code} {response.text[:300]}"
                )


def replays(first: httpx.Response, again: httpx.Response) -> bool:
    """Whether ``again`` is the first answer given back (Idempotency-Key)."""
    keep = ("id", "version", "log_position", "status")
    return (
        again.status_code == first.status_code
        and again.headers.get("Idempotent-Replayed") == "true"
        and {k: again.json()[k] for k in keep} == {k: first.json()[k] for k in keep}
    )


def today_iso() -> str:
    return today().isoformat()


def make_consultants(server: Server, count: int) -> dict[str, str]:
    """Consultants registered by a coordinator, each with a user of their own: id to
    token."""
    made: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {server.tokens['coordinator']}"}
    for n in range(count):
        response = httpx.post(
            server.url + CONSULTANTS,
            json={
                "name": f"Consulent {n} {uuid.uuid4().hex[:6]}",
                "region": "noord-holland",
                "kind": "onderwijsconsulent",
                "capacity": 100,
            },
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 201, response.text
        consultant_id = response.json()["id"]
        made[consultant_id] = server.add_user(
            f"user-{consultant_id}", Role.CONSULTANT, consultant_id=UUID(consultant_id)
        )
    return made


def run_load(
    clients: list[Client], stop: threading.Event, errors: list[BaseException]
) -> list[threading.Thread]:
    """Each client in a thread of its own until ``stop``; what a thread raises is
    kept in ``errors``."""

    def run(client: Client) -> None:
        try:
            client.run(stop)
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
            stop.set()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    return threads


# --- what the log and the read models hold ------------------------------------------


@dataclass(frozen=True)
class Logged:
    """One event in the store."""

    position: int
    version: int
    type: str


def read_log(service: CaseService) -> list[Notification]:
    """Every event in the store, in log order."""
    found: list[Notification] = []
    while batch := service.recorder.select_notifications(
        start=found[-1].id + 1 if found else 1, limit=1000
    ):
        found.extend(batch)
    return found


def by_aggregate(log: list[Notification], prefix: str) -> dict[str, list[Logged]]:
    """The events of each aggregate whose topics start with ``prefix``, in version
    order."""
    events: dict[str, list[Logged]] = {}
    for n in log:
        if n.topic.startswith(prefix):
            events.setdefault(str(n.originator_id), []).append(
                Logged(n.id, n.originator_version, n.topic.rsplit(".", 1)[-1])
            )
    for history in events.values():
        history.sort(key=lambda e: e.version)
    return events


def wait_for_read_models(db: Database, position: int, why: str) -> None:
    """Until every read model's serving version has processed ``position``."""
    names = set(all_projections())
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        serving = {
            name: at
            for name, _, at, status in state.positions(db)
            if status == state.SERVING
        }
        behind = {
            n: serving.get(n) for n in sorted(names) if serving.get(n, -1) < position
        }
        if not behind:
            return
        assert time.monotonic() < deadline, (
            f"{why}: read models still behind position {position}"
            f" after {CATCH_UP_SECONDS:.0f} s: {behind}"
        )
        time.sleep(0.1)


def assert_no_command_lost(
    acks: list[Ack], cases: dict[str, list[Logged]], tally: Tally
) -> None:
    """Every acknowledged command's events are in its case's history, at the
    versions and the position its answer gave; a case whose every command was
    answered has no event that no client was told of."""
    seen: set[tuple[str, int]] = set()
    last: dict[str, int] = {}
    for ack in sorted(acks, key=lambda a: (a.case_id, a.version)):
        history = cases.get(ack.case_id, [])
        assert [e.version for e in history] == list(range(1, len(history) + 1)), (
            f"case {ack.case_id}: versions {[e.version for e in history]}"
        )
        recorded = [e.type for e in history[ack.before : ack.version]]
        expected = list(EVENTS_OF[ack.command][: ack.version - ack.before])
        assert recorded == expected, (
            f"{ack}: the log has {recorded} at versions"
            f" {ack.before + 1} to {ack.version}, not {expected}"
        )
        assert history[ack.version - 1].position == ack.position, (
            f"{ack}: the log has it at position {history[ack.version - 1].position}"
        )
        assert (ack.case_id, ack.version) not in seen, f"{ack} acknowledged twice"
        seen.add((ack.case_id, ack.version))
        if ack.case_id not in tally.uncertain_cases:
            assert ack.before == last.get(ack.case_id, 0), (
                f"{ack}: the version before was {last.get(ack.case_id, 0)}"
            )
        last[ack.case_id] = ack.version
    for case_id, version in last.items():
        if case_id not in tally.uncertain_cases:
            assert len(cases[case_id]) == version, (
                f"case {case_id}: {len(cases[case_id])} events, {version} acknowledged"
            )
    registered = {a.case_id for a in acks if a.command == "register"}
    assert registered <= set(cases)
    assert len(set(cases) - registered) <= tally.unknown_registrations


def api_get(server: Server, path: str, role: str, **params: Any) -> Any:
    response = httpx.get(
        server.url + path,
        params=params,
        headers={"Authorization": f"Bearer {server.tokens[role]}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def listed_cases(server: Server, min_position: int) -> list[dict[str, Any]]:
    """Every row of the case list, page by page."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, "min_position": min_position}
        if cursor is not None:
            params["cursor"] = cursor
        page = api_get(server, CASES, "coordinator", **params)
        rows.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def audit_entries(db: Database) -> list[tuple[int, str, int]]:
    """(position, resource id, resource version) of every audit trail entry."""
    with db.reading() as tx:
        version = state.serving_version(tx, AuditTrailProjection.name)
        assert version is not None
        rows = tx.fetchall(
            "SELECT position, resource_id, resource_version FROM {t}",
            t=AuditTrailProjection(version).table("audit_entries"),
        )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


# --- the test -------------------------------------------------------------------------


def test_three_servers_two_workers_one_killed_keep_every_command_apply_events_once(
    deployment: Deployment,
) -> None:
    settings = deployment.settings
    service = build_service(settings)
    db = build_read_database(settings)
    try:
        with logs_shown_on_failure(deployment):
            check_under_load(deployment, service, db)
    finally:
        db.close()
        service.close()


def check_under_load(
    deployment: Deployment, service: CaseService, db: Database
) -> None:
    """The load with a worker killed midway, then every check of the module's
    docstring; ``service`` and ``db`` read the store directly."""
    servers = deployment.servers
    consultants = make_consultants(servers[0], CONSULTANTS_COUNT)
    tally = Tally()
    stop = threading.Event()
    errors: list[BaseException] = []
    clients = [
        Client(n, servers, deployment.tokens, consultants, tally)
        for n in range(CLIENTS)
    ]
    started = time.monotonic()
    threads = run_load(clients, stop, errors)
    killed = deployment.workers[0]
    try:
        time.sleep(LOAD_SECONDS / 2)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        at_kill = service.recorder.max_notification_id() or 0
        time.sleep(1.0)
        head = service.recorder.max_notification_id() or 0
        assert head > at_kill, "the load went on after the kill"
        # The other worker alone carries every read model past what was
        # written after the kill ...
        wait_for_read_models(db, head, "one worker killed")
        # ... and a new one joins it.
        deployment.start_worker()
        time.sleep(max(0.0, started + LOAD_SECONDS - time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client hung"
    if errors:
        raise errors[0]

    head = service.recorder.max_notification_id() or 0
    wait_for_read_models(db, head, "after the load")
    assert killed.returncode == -signal.SIGKILL
    for process in [*deployment.workers[1:], *(s.process for s in servers)]:
        assert process.poll() is None, f"process {process.args} exited"
    assert not tally.unexpected, tally.unexpected
    assert tally.statuses[500] == 0, tally.statuses
    assert set(tally.statuses) <= {200, 201, 409, 412, 503}, tally.statuses
    print(
        f"{len(tally.acks)} commands acknowledged in {LOAD_SECONDS:.0f} s,"
        f" answers {dict(tally.statuses)}, {tally.sent_twice} sent twice,"
        f" {tally.retried} sent again after a 503 or no answer,"
        f" {tally.unanswered} given up, log head {head}"
    )

    log = read_log(service)
    assert [n.id for n in log][-1] == head
    cases = by_aggregate(log, get_topic(Case) + ".")
    consultant_events = by_aggregate(log, get_topic(Consultant) + ".")
    assert_no_command_lost(tally.acks, cases, tally)

    # The case list: one row per case, as a replay of the case has it.
    replayed = {case_id: service.get_case(UUID(case_id)) for case_id in cases}
    rows = listed_cases(servers[1], head)
    assert sorted(r["id"] for r in rows) == sorted(cases)
    for row in rows:
        case = replayed[row["id"]]
        assert (row["status"], row["version"]) == (case.status, case.version), row

    # The dashboard and the workload count as the replayed cases do.
    statuses = Counter(str(c.status) for c in replayed.values())
    figures = api_get(servers[2], "/api/v1/dashboard", "coordinator", min_position=head)
    assert figures["registered"] == len(cases)
    assert {s: n for s, n in figures["by_status"].items() if n} == dict(statuses)
    open_work = Counter(
        str(c.consultant_id) for c in replayed.values() if c.status in OPEN_WORK
    )
    per_consultant = {
        c["consultant_id"]: c["open"]
        for c in figures["open_per_consultant"]
        if c["open"]
    }
    assert per_consultant == dict(open_work)
    workload = api_get(servers[0], CONSULTANTS, "coordinator", min_position=head)
    assert {c["id"]: c["open_cases"] for c in workload if c["open_cases"]} == dict(
        open_work
    )

    # The audit trail: one entry per event of a case or a consultant, no more.
    entries = audit_entries(db)
    audited = sorted(
        e.position for h in [*cases.values(), *consultant_events.values()] for e in h
    )
    assert sorted(e[0] for e in entries) == audited
    versions: dict[str, list[int]] = {}
    for _, resource_id, version in sorted(entries):
        versions.setdefault(resource_id, []).append(version)
    for resource_id, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), (resource_id, seen)

    # Every read model equals a fresh rebuild from the log, row for row.
    deployment.stop_workers()
    for projection in all_projections(service.intake_norm_weeks).values():
        rebuild(service, db, projection)  # RebuildMismatch when a row differs

    # No process met an error on the way (a batch that failed and was retried
    # would not show in the rows).
    assert not deployment.errors_logged(), deployment.errors_logged()
