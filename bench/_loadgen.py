"""The load generator of bench/http_load.py, run as a process of its own: N async
clients (httpx) give a weighted mix of requests to `dossier serve` for a fixed
time and write every latency, status and command log position as JSON.

    python bench/_loadgen.py CONFIG.json RESULT.json

Each client is a closed loop (one request in flight, the next as soon as it is
answered). The mix's kinds: ``command`` (registrations and lifecycle commands),
``list`` (the case list with filters), ``detail``, ``dashboard``, ``history`` and
``as_of`` (a case, or now and then the dashboard, as it stood at a moment).

Commands: each client registers cases of its own and drives them through the
prerequisites, intake (admissible), assignment and activities, sending
``If-Match`` with the ETag of its last answer, and now and then closes one; it
also records activities on older (stored) cases in mediation, without If-Match
(another client may touch the same case: a 409 there is counted, not an error).

Requests started in the warm-up are not recorded. Latency percentiles count 2xx
answers only; 409 and 412 are counted as conflicts, other 4xx as rejected, 5xx
and transport failures as errors. Only the standard library and httpx: the
figures of this process's own CPU use come back too (it shares the machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LIST_STATUSES = [
    "registered",
    "awaiting_intake",
    "awaiting_assignment",
    "assigned",
    "in_mediation",
    "closed",
]
CATEGORIES = [
    "thuiszitter",
    "toelating",
    "schorsing",
    "verwijdering",
    "ondersteuningsaanbod",
    "onderwijszorgarrangement",
]
SECTORS = ["po", "sbo", "so", "vo", "vso", "mbo"]
FIRST_NAMES = ["Sanne", "Daan", "Noor", "Sem", "Julia", "Finn", "Emma", "Lucas"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer"]
ACTIVITY_KINDS = ["contact", "meeting", "advice", "agreement"]
OUTCOMES = ["placed_at_school", "back_at_school", "support_arranged", "advice_given"]
STEPS = ["school_conversation", "samenwerkingsverband_contact"]


@dataclass
class KindStats:
    """What one kind of request saw: 2xx latencies (s) and every status."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)


@dataclass
class OwnCase:
    """A case this client registered and is taking towards mediation."""

    case_id: str
    service: str
    version: int
    status: str = "registered"
    steps_done: set[str] = field(default_factory=set)
    activities_left: int = 0

    def follow(
        self, data: dict[str, Any], response: httpx.Response, rng: random.Random
    ) -> None:
        """Take the case's state from a command's answer."""
        self.version = int(response.headers.get("ETag", '"0"').strip('"'))
        if self.status != "assigned" and data["status"] == "assigned":
            self.activities_left = rng.randint(2, 6)
        self.status = str(data["status"])
        self.steps_done = {str(p["step"]) for p in data.get("prerequisites", [])}


class Recorder:
    """Shared by the clients of this process (one event loop: no locks)."""

    def __init__(self, measure_from: float, measure_until: float) -> None:
        self.measure_from = measure_from
        self.measure_until = measure_until
        self.kinds: dict[str, KindStats] = defaultdict(KindStats)
        # (monotonic time the answer was read, its X-Log-Position, kind)
        self.commands: list[tuple[float, int, str]] = []
        self.last_done = measure_from

    def record(
        self, kind: str, began: float, done: float, response: httpx.Response | None
    ) -> None:
        if not self.measure_from <= began < self.measure_until:
            return
        self.last_done = max(self.last_done, done)
        stats = self.kinds[kind]
        if response is None:
            stats.statuses["transport"] += 1
            return
        status = response.status_code
        stats.statuses[str(status)] += 1
        if 200 <= status < 300:
            stats.latencies.append(done - began)
            position = response.headers.get("X-Log-Position")
            if kind.startswith("command:") and position is not None:
                self.commands.append((done, int(position), kind))
        elif str(status) not in stats.examples:
            stats.examples[str(status)] = response.text[:400]


class Client:
    """One closed-loop client: picks a kind by weight, sends it, records it."""

    def __init__(
        self, index: int, config: dict[str, Any], http: httpx.AsyncClient, rec: Recorder
    ) -> None:
        self.config = config
        self.http = http
        self.rec = rec
        self.rng = random.Random(int(config.get("seed", 1)) * 1000 + index)
        self.tokens: dict[str, str] = config["tokens"]
        self.cases: list[dict[str, Any]] = config["cases"]
        self.mediation: list[str] = config["mediation_cases"]
        self.consultants: dict[str, list[str]] = config["consultants"]
        self.regions: list[str] = config["regions"]
        self.school_years: list[str] = config["school_years"]
        self.fresh: list[str] = []  # ids this client registered (read them too)
        self.own: list[OwnCase] = []
        mix: dict[str, float] = config["mix"]
        self.kinds = [k for k, w in mix.items() if w > 0]
        self.weights = [mix[k] for k in self.kinds]

    # --- plumbing ---

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}

    async def send(
        self,
        kind: str,
        method: str,
        path: str,
        role: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        if_match: int | None = None,
    ) -> httpx.Response | None:
        extra = {"If-Match": f'"{if_match}"'} if if_match is not None else {}
        began = time.monotonic()
        try:
            response = await self.http.request(
                method,
                path,
                params=params,
                json=body,
                headers=self.headers(role, **extra),
            )
        except httpx.HTTPError as error:
            done = time.monotonic()
            self.rec.record(kind, began, done, None)
            example = f"{type(error).__name__}: {error}"
            self.rec.kinds[kind].examples.setdefault("transport", example[:400])
            return None
        self.rec.record(kind, began, time.monotonic(), response)
        return response

    def today(self) -> str:
        return datetime.now(AMSTERDAM).date().isoformat()

    def sample_case(self) -> dict[str, Any]:
        return self.rng.choice(self.cases)

    def some_case_id(self) -> str:
        if self.fresh and self.rng.random() < 0.2:
            return self.rng.choice(self.fresh)
        return str(self.sample_case()["id"])

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            kind = self.rng.choices(self.kinds, self.weights)[0]
            await getattr(self, f"do_{kind}")()

    # --- reads ---

    async def do_detail(self) -> None:
        role = "coordinator" if self.rng.random() < 0.7 else "intake"
        await self.send("detail", "GET", f"/api/v1/cases/{self.some_case_id()}", role)

    async def do_history(self) -> None:
        role = "auditor" if self.rng.random() < 0.5 else "coordinator"
        path = f"/api/v1/cases/{self.some_case_id()}/history"
        await self.send("history", "GET", path, role)

    async def do_as_of(self) -> None:
        rng = self.rng
        now = time.time()
        if rng.random() < float(self.config.get("as_of_dashboard_share", 0.2)):
            moment = now - rng.uniform(0, 365 * 86400)
            params = {"as_of": _rfc3339(moment)}
            if rng.random() < 0.5:
                params["region"] = rng.choice(self.regions)
            await self.send(
                "as_of_dashboard", "GET", "/api/v1/dashboard", "auditor", params=params
            )
            return
        case = self.sample_case()
        moment = rng.uniform(float(case["registered_at"]), now)
        path = f"/api/v1/cases/{case['id']}"
        await self.send(
            "as_of_case", "GET", path, "auditor", params={"as_of": _rfc3339(moment)}
        )

    async def do_dashboard(self) -> None:
        rng = self.rng
        params = {"school_year": self.school_years[0 if rng.random() < 0.7 else -1]}
        if rng.random() < 0.5:
            params["region"] = rng.choice(self.regions)
        role = "coordinator" if rng.random() < 0.8 else "auditor"
        await self.send("dashboard", "GET", "/api/v1/dashboard", role, params=params)

    async def do_list(self) -> None:
        rng = self.rng
        case = self.sample_case()
        pick = rng.random()
        params: dict[str, str]
        if pick < 0.3:
            params = {
                "status": rng.choice(LIST_STATUSES),
                "region": rng.choice(self.regions),
            }
        elif pick < 0.45:
            params = {
                "region": rng.choice(self.regions),
                "category": rng.choice(CATEGORIES),
            }
        elif pick < 0.7:
            params = {"q": str(case["reference"])}
        elif pick < 0.8 and case.get("consultant_id"):
            params = {"consultant_id": str(case["consultant_id"])}
        else:
            start = datetime.fromtimestamp(float(case["registered_at"]), UTC).date()
            params = {
                "registered_from": start.isoformat(),
                "registered_to": (start + timedelta(days=30)).isoformat(),
            }
            if rng.random() < 0.5:
                params["region"] = rng.choice(self.regions)
        role = "coordinator" if rng.random() < 0.7 else "intake"
        response = await self.send("list", "GET", "/api/v1/cases", role, params=params)
        cursor = _json(response).get("next_cursor") if response is not None else None
        if cursor and rng.random() < 0.15:  # now and then the next page
            await self.send(
                "list",
                "GET",
                "/api/v1/cases",
                role,
                params={**params, "cursor": cursor},
            )

    # --- commands ---

    async def do_command(self) -> None:
        rng = self.rng
        if len(self.own) < 3 or rng.random() < 0.12:
            await self.register()
        elif self.mediation and rng.random() < 0.3:
            case_id = rng.choice(self.mediation)
            await self.send(
                "command:activity_older_case",
                "POST",
                f"/api/v1/cases/{case_id}/activities",
                "coordinator",
                body=self.activity_body(),
            )
        else:
            await self.advance(rng.choice(self.own))

    async def register(self) -> None:
        response = await self.send(
            "command:register",
            "POST",
            "/api/v1/cases",
            "intake",
            body=self.registration(),
        )
        data = _json(response)
        if response is not None and response.status_code == 201 and "id" in data:
            case = OwnCase(str(data["id"]), str(data["service"]), 0)
            case.follow(data, response, self.rng)
            self.own.append(case)
            self.fresh.append(case.case_id)
            if len(self.fresh) > 500:
                del self.fresh[:100]

    async def advance(self, case: OwnCase) -> None:
        """The next lifecycle command for one of this client's cases, by the
        status its last answer reported."""
        rng = self.rng
        base = f"/api/v1/cases/{case.case_id}"
        body: dict[str, Any]
        missing = [s for s in STEPS if s not in case.steps_done]
        if case.status == "registered" and missing:
            kind, path, role = "command:prerequisite", f"{base}/prerequisites", "intake"
            body = {"step": missing[0], "date": self.today(), "note": None}
        elif case.status == "awaiting_intake":
            kind, path, role = "command:intake", f"{base}/intake", "intake"
            body = {"decision": "admissible", "reason": None, "referred_to": None}
        elif case.status == "awaiting_assignment":
            kind, path, role = "command:assignment", f"{base}/assignment", "coordinator"
            body = {"consultant_id": rng.choice(self.consultants[case.service])}
        elif case.status in ("assigned", "in_mediation") and case.activities_left > 0:
            kind, path, role = "command:activity", f"{base}/activities", "coordinator"
            body = self.activity_body()
            case.activities_left -= 1
        elif case.status == "in_mediation" and rng.random() < 0.5:
            kind, path, role = "command:closure", f"{base}/closure", "coordinator"
            body = {
                "outcome": rng.choice(OUTCOMES),
                "education_status": "attending",
                "summary": "Leerling gaat weer naar school; afspraken vastgelegd.",
            }
        else:  # it stays in mediation (or has ended): move on to other cases
            self.own.remove(case)
            return
        response = await self.send(
            kind, "POST", path, role, body=body, if_match=case.version
        )
        data = _json(response)
        if response is None or response.status_code != 200 or "status" not in data:
            self.own.remove(case)  # a conflict or a failure: leave this case be
            return
        case.follow(data, response, rng)

    def activity_body(self) -> dict[str, Any]:
        return {
            "kind": self.rng.choice(ACTIVITY_KINDS),
            "date": self.today(),
            "summary": "Gesprek met ouders en school over de terugkeer.",
            "parties": ["ouders", "school"],
        }

    def registration(self) -> dict[str, Any]:
        rng = self.rng
        today = datetime.now(AMSTERDAM).date()
        birth = today - timedelta(days=rng.randint(6 * 365, 16 * 365))
        category = rng.choice(CATEGORIES)
        at_home = (
            today - timedelta(days=rng.randint(7, 120))
            if category == "thuiszitter"
            else None
        )
        service = (
            "onderwijszorgconsulent" if rng.random() < 0.3 else "onderwijsconsulent"
        )
        if not self.consultants.get(service):
            service = next(s for s, ids in self.consultants.items() if ids)
        last = rng.choice(LAST_NAMES)
        return {
            "channel": rng.choice(["web", "phone", "email"]),
            "requester": {
                "role": "parent",
                "name": f"{rng.choice(FIRST_NAMES)} {last}",
                "email": "ouder@example.nl",
                "phone": "0612345678",
            },
            "consent_given": True,
            "pupil": {
                "name": f"{rng.choice(FIRST_NAMES)} {last}",
                "birth_date": birth.isoformat(),
                "municipality": "Utrecht",
                "pc4": "3511",
            },
            "school": {
                "name": "Basisschool De Regenboog",
                "brin": None,
                "cluster": None,
            },
            "sector": rng.choice(SECTORS),
            "samenwerkingsverband": None,
            "region": rng.choice(self.regions),
            "category": category,
            "service": service,
            "at_home_since": _iso(at_home),
            "receives_education": at_home is None,
            "account": "School en ouders komen er niet uit; verzoek om bemiddeling.",
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _json(response: httpx.Response | None) -> dict[str, Any]:
    if response is None or not response.headers.get("content-type", "").endswith(
        "json"
    ):
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def run(config: dict[str, Any]) -> dict[str, Any]:
    clients = int(config["clients"])
    warmup = float(config.get("warmup_seconds", 0))
    seconds = float(config["seconds"])
    began = time.monotonic()
    measure_from = began + warmup
    until = measure_from + seconds
    rec = Recorder(measure_from, until)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(float(config.get("timeout", 30)))
    cpu_began = os.times()
    async with httpx.AsyncClient(
        base_url=config["base_url"], limits=limits, timeout=timeout
    ) as http:
        workers = [Client(i, config, http, rec) for i in range(clients)]
        await asyncio.gather(*(w.run(until) for w in workers))
    cpu = os.times()
    elapsed = rec.last_done - measure_from
    busy = (cpu.user - cpu_began.user) + (cpu.system - cpu_began.system)
    return {
        "clients": clients,
        "warmup_seconds": warmup,
        "measure_from": measure_from,
        "measure_until": until,
        "seconds": round(elapsed, 3),
        "loadgen_cpu_seconds": round(busy, 3),
        "loadgen_cpu_percent_of_one_core": round(
            100 * busy / (time.monotonic() - began), 1
        ),
        "kinds": {
            kind: {
                "latencies": [round(x, 6) for x in s.latencies],
                "statuses": dict(s.statuses),
                "examples": s.examples,
            }
            for kind, s in sorted(rec.kinds.items())
        },
        "commands": [[round(t, 6), p] for t, p, _ in rec.commands],
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    config = json.loads(Path(argv[1]).read_text())
    result = asyncio.run(run(config))
    Path(argv[2]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
