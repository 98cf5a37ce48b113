"""The plumbing of bench/pages.py: the sample case and bench users a dataset
gets, signed-in clients, the pages asked for, the server on its port, the
rounds of requests and the server's own figures from its request log."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from _common import percentile, say, stop_process
from http_load import free_port, start, wait_ready

from domain.values import Role
from dossier.bootstrap import build_read_database
from dossier.settings import Settings
from projections.case_list_view import CaseListView
from projections.state import serving_version
from storage.passwords import PasswordStore
from storage.users import UserStore

BIN = Path(sys.executable).parent
TARGET_P95_MS = 100.0
ROLES = (Role.INTAKE, Role.COORDINATOR, Role.CONSULTANT, Role.AUDITOR)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SIGNED_OUT = "signed out"
PAGE_SIZE = 50  # rows in a work queue's table (web/routes/queue.py)
ABSENT_NAME = "Zoeknaam Nergens"
# A complete registration form (web/registration_form.py's fields); each post
# gets a new idempotency key, as each drawing of the form does.
REGISTRATION = {
    "channel": "web",
    "requester_role": "parent",
    "requester_name": "Aanvrager Pagebench",
    "requester_email": "aanvrager@example.nl",
    "consent_given": "yes",
    "pupil_name": "Leerling Pagebench",
    "pupil_birth_date": "2015-03-14",
    "pupil_pc4": "1011",
    "sector": "po",
    "school_brin": "12AB",
    "samenwerkingsverband": "PO2707",
    "region": "noord-holland",
    "category": "toelating",
    "service": "onderwijsconsulent",
    "receives_education": "no",
    "account": "School weigert toelating.",
}


@dataclass
class Probe:
    """One page (or baseline) as one user asks for it, and its timings."""

    label: str
    who: str  # a role, SIGNED_OUT, "sign-in" (signed out again after) or "api"
    method: str
    path: str
    form: dict[str, str] | None = None
    baseline: bool = False
    fresh_key: bool = False  # a new idempotency key in each post
    target_ms: float = TARGET_P95_MS  # p95 the page must keep to
    client_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)


@dataclass
class Dataset:
    """Where a dataset lives: the environment its processes get, its settings,
    and the directory of their logs."""

    name: str
    env: dict[str, str]
    settings: Settings
    workdir: Path
    facts: dict[str, Any] = field(default_factory=dict)


# --- data: a sample case and the users --------------------------------------------


def sample(settings: Settings) -> dict[str, Any]:
    """A case in mediation with a consultant and a pupil's name (the first by
    id: the same case each run), and how many cases the case list holds.

    The name searched for is that pupil's, unless more than a page of cases
    share it (the bulk loader gives every pupil the same placeholder name):
    then a name no case has, which like a rare name makes the search read
    every row, where the shared one would stop at the first page."""
    db = build_read_database(settings)
    try:
        with db.reading() as tx:
            version = serving_version(tx, "case_list")
            assert version is not None, "the case list is built"
            table = CaseListView.for_version(version).table
            row = tx.fetchone(
                "SELECT case_id, reference, consultant_id, pupil_name, region"
                " FROM {t} WHERE status = %s AND erased = 0"
                " AND consultant_id IS NOT NULL AND pupil_name IS NOT NULL"
                " ORDER BY case_id LIMIT 1",
                ("in_mediation",),
                t=table,
            )
            total = tx.fetchone("SELECT count(*) FROM {t}", t=table)
            mine = tx.fetchone(
                "SELECT count(*) FROM {t} WHERE consultant_id = %s",
                (row[2] if row else "",),
                t=table,
            )
            namesakes = tx.fetchone(
                "SELECT count(*) FROM {t} WHERE pupil_name = %s",
                (row[3] if row else "",),
                t=table,
            )
    finally:
        db.close()
    assert row is not None, "a case in mediation with a consultant"
    keys = ("case_id", "reference", "consultant_id", "pupil_name", "region")
    found: dict[str, Any] = dict(zip(keys, (str(v) for v in row), strict=True))
    found["cases"] = int(total[0]) if total else 0
    found["consultant_cases"] = int(mine[0]) if mine else 0
    found["pupil_namesakes"] = int(namesakes[0]) if namesakes else 0
    if found["pupil_namesakes"] > PAGE_SIZE:
        found["pupil_name"] = ABSENT_NAME
    found["name_searched"] = (
        "a name no case has" if found["pupil_name"] == ABSENT_NAME else "a pupil's name"
    )
    return found


def users(settings: Settings, consultant_id: str) -> tuple[dict[str, Any], str]:
    """A bench user per role with a new password (the consultant linked to the
    sample case's consultant), and a new API token for the coordinator."""
    db = build_read_database(settings)
    try:
        store, passwords = UserStore(db), PasswordStore(db)
        made: dict[str, Any] = {}
        for role in ROLES:
            linked = UUID(consultant_id) if role == Role.CONSULTANT else None
            name = f"bench-pages-{role}" + (f"-{consultant_id[:8]}" if linked else "")
            user = store.named(name) or store.add(name, role, consultant_id=linked)[0]
            password = secrets.token_urlsafe(16)
            passwords.set(user.id, password)
            made[str(role)] = (name, password)
        _, token = store.rotate(made[str(Role.COORDINATOR)][0])
    finally:
        db.close()
    return made, token


# --- clients ------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise RuntimeError("no csrf_token on the page")
    return found.group(1)


def signed_out(base_url: str) -> tuple[httpx.Client, str]:
    """A signed-out visitor holding the sign-in form's cookie and token."""
    client = httpx.Client(base_url=base_url, timeout=60)
    answer = client.get("/inloggen")
    answer.raise_for_status()
    return client, csrf_of(answer.text)


def signed_in(base_url: str, name: str, password: str) -> tuple[httpx.Client, str]:
    """A signed-in client and its session's CSRF token (from the work queue)."""
    client, token = signed_out(base_url)
    data = {"csrf_token": token, "name": name, "password": password}
    answer = client.post("/inloggen", data=data)
    if answer.status_code != 303 or "dossier_session" not in client.cookies:
        raise RuntimeError(f"sign-in of {name}: {answer.status_code}")
    home = client.get("/")
    home.raise_for_status()
    return client, csrf_of(home.text)


def probes(case: dict[str, Any], logins: dict[str, Any]) -> list[Probe]:
    """Every page, as each role that has one of its own; the baselines last."""
    case_path = f"/zaken/{case['case_id']}"
    coordinator = str(Role.COORDINATOR)
    name, password = logins[str(Role.INTAKE)]
    found = [
        Probe("GET /inloggen", SIGNED_OUT, "GET", "/inloggen"),
        Probe(
            "POST /inloggen (argon2)",
            "sign-in",
            "POST",
            "/inloggen",
            {"name": name, "password": password},
        ),
        *(Probe("GET / (werkvoorraad)", str(r), "GET", "/") for r in ROLES),
        Probe(
            "GET /?status&region",
            coordinator,
            "GET",
            f"/?status=in_mediation&region={case['region']}",
        ),
        Probe(
            "POST /zoeken (name)",
            coordinator,
            "POST",
            "/zoeken",
            {"q": case["pupil_name"]},
        ),
        Probe(
            "POST /zoeken (reference)",
            coordinator,
            "POST",
            "/zoeken",
            {"q": case["reference"]},
        ),
        Probe("GET /zaken/{id}", coordinator, "GET", case_path),
        Probe("GET /zaken/{id}", str(Role.CONSULTANT), "GET", case_path),
        Probe("GET /toegankelijkheid", SIGNED_OUT, "GET", "/toegankelijkheid"),
        Probe("GET /healthz", SIGNED_OUT, "GET", "/healthz", baseline=True),
        Probe(
            "GET /api/v1/cases/{id}",
            "api",
            "GET",
            f"/api/v1/cases/{case['case_id']}",
            baseline=True,
        ),
    ]
    return found


# --- one dataset ------------------------------------------------------------------


Clients = dict[str, tuple[httpx.Client, str]]


class Server:
    """`dossier serve` on a fixed port (and `dossier worker` beside it on
    PostgreSQL), restartable on that port so that signed-in clients carry on."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(
        self, log: str = "server", argv: list[str] | None = None, **extra: str
    ) -> None:
        data, dossier = self.data, str(BIN / "dossier")
        if not data.settings.runs_projections_inside and "worker" not in self.procs:
            worker = [dossier, "worker"]
            self.procs["worker"] = start(worker, data.env, data.workdir / "worker.log")
        env = {**data.env, "DOSSIER_PORT": str(self.port), **extra}
        path = data.workdir / f"{log}.log"
        self.procs["server"] = start(argv or [dossier, "serve"], env, path)
        wait_ready(self.base_url, self.procs["server"], path)
        say(f"{data.name}: server ready on {self.base_url}")

    def stop_server(self) -> int | None:
        proc = self.procs.pop("server", None)
        return None if proc is None else stop_process(proc)

    def stop(self) -> None:
        self.stop_server()
        for proc in self.procs.values():
            stop_process(proc)
        self.procs.clear()


def served_extras(clients: Clients) -> list[Probe]:
    """The pages that landed after the first ones, when this server has them
    (not 404): the registration form, its postcode lookup and registering a
    case (each post writes one), and the consultants' list."""

    def served(who: str, path: str) -> bool:
        if clients[who][0].get(path).status_code != 404:
            return True
        say(f"  {path}: not served (404), left out")
        return False

    found = []
    if served("intake", "/aanmelding"):
        lookup = {"pupil_pc4": "1011", "sector": "po"}
        found += [
            Probe("GET /aanmelding", "intake", "GET", "/aanmelding"),
            Probe(
                "POST /aanmelding/suggestie",
                "intake",
                "POST",
                "/aanmelding/suggestie",
                lookup,
            ),
            Probe(
                "POST /aanmelding (registers)",
                "intake",
                "POST",
                "/aanmelding",
                dict(REGISTRATION),
                fresh_key=True,
            ),
        ]
    if served("coordinator", "/consulenten"):
        found.append(Probe("GET /consulenten", "coordinator", "GET", "/consulenten"))
    if served("coordinator", "/dashboard"):
        # The dashboard (issue 12): now p95 <= 150 ms, as of a day <= 500 ms.
        past = (date.today() - timedelta(days=60)).isoformat()
        found += [
            Probe("GET /dashboard", "coordinator", "GET", "/dashboard", target_ms=150),
            Probe(
                "GET /dashboard?day",
                "auditor",
                "GET",
                f"/dashboard?day={past}",
                target_ms=500,
            ),
        ]
    return found


def run_rounds(
    dataset: str,
    chosen: list[Probe],
    clients: Clients,
    warmup: int,
    requests: int,
    errors: list[dict[str, Any]],
) -> dict[str, Probe]:
    """Every probe once per round; the client's time of each after the warm-up.
    Returns the request ids counted, to find the server's figures by."""
    ids: dict[str, Probe] = {}
    rounds = warmup + requests
    say(f"{dataset}: {rounds} rounds of {len(chosen)} requests, one at a time ...")
    for n in range(rounds):
        for i, probe in enumerate(chosen):
            client, token = clients[probe.who]
            request_id = f"pages-{dataset}-{n}-{i}-{secrets.token_hex(3)}"
            form = None if probe.form is None else {"csrf_token": token, **probe.form}
            if form is not None and probe.fresh_key:
                form["idempotency_key"] = secrets.token_urlsafe(24)
            headers = {"X-Request-ID": request_id}
            began = time.perf_counter()
            answer = client.request(
                probe.method, probe.path, data=form, headers=headers
            )
            elapsed = time.perf_counter() - began
            if probe.who == "sign-in":  # signed out again for the next round
                client.cookies.delete("dossier_session")
            if not 200 <= answer.status_code < 400:
                page = f"{probe.label} ({probe.who})"
                status, body = answer.status_code, answer.text[:300]
                errors.append(
                    {"dataset": dataset, "page": page, "status": status, "body": body}
                )
            elif n >= warmup:
                probe.client_ms.append(elapsed * 1000)
                ids[request_id] = probe
        if (n + 1) % 25 == 0:
            say(f"  round {n + 1}/{rounds}")
    return ids


def server_figures(log: Path, ids: dict[str, Probe]) -> None:
    """duration_ms of the server's "request" log lines, by request id."""
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        probe = ids.get(entry.get("request_id", ""))
        if entry.get("event") == "request" and probe is not None:
            probe.server_ms.append(float(entry["duration_ms"]))


def summary(probe: Probe, api: Probe) -> dict[str, Any]:
    """A probe's figures: the client's and the server's, and its p95 against
    the API's p95 for the same case."""

    def figures(values: list[float]) -> dict[str, float | None]:
        ordered = sorted(values)

        def at(p: float) -> float | None:
            value = percentile(ordered, p)
            return None if value is None else round(value, 2)

        return {"p50": at(50), "p95": at(95), "max": at(100)}

    client, api_p95 = figures(probe.client_ms), figures(api.client_ms)["p95"]
    p95 = client["p95"]
    return {
        "page": probe.label,
        "as": probe.who,
        "baseline": probe.baseline,
        "requests": len(probe.client_ms),
        "client_ms": client,
        "server_ms": figures(probe.server_ms),
        "server_lines_found": len(probe.server_ms),
        "p95_over_api_p95": round(p95 / api_p95, 1) if p95 and api_p95 else None,
        "target_p95_ms": None if probe.baseline else probe.target_ms,
        "met": None if probe.baseline or p95 is None else p95 <= probe.target_ms,
    }
