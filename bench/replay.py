"""Server time of one replay step (issue 12, "Figures"): the auditor's replay page
(/controle/zaken/{id}?versie=N) on a case of 1,000 events; target p95 <= 50 ms.

    python bench/replay.py [--stores sqlite,postgres] [--events 1000]
                           [--requests 200] [--warmup 10]

Per store: a fresh SQLite file in a temporary directory (read models inside the
service, as `make run`) or a fresh PostgreSQL schema (`dossier worker` beside
`dossier serve`, as production runs); one case driven through the API to
``--events`` events (registration, prerequisites, intake, assignment, then
activities); an auditor signed in. Every round asks, one request at a time, for
a replay step at a random version (as the slider's htmx request does, with
HX-Request), the step without htmx, and the baselines of the same round:
GET /healthz and the API's GET /api/v1/cases/{id} (the case now, the plain
read). Client time (httpx on loopback) and the server's own (the request log's
duration_ms) are printed as p50/p95/max, with each p95 over the API read's.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from _common import (
    ROOT,
    BenchRun,
    bench_run,
    database_url,
    dossier_environment,
    print_table,
    say,
    write_results,
)
from _pages import (
    Dataset,
    Probe,
    Server,
    server_figures,
    signed_in,
    summary,
)

from domain.values import Role
from dossier.bootstrap import build_read_database
from dossier.settings import Settings
from storage.passwords import PasswordStore
from storage.users import UserStore

TARGET_P95_MS = 50.0
CASES = "/api/v1/cases"
TODAY = datetime.now(UTC).date().isoformat()
REGISTRATION: dict[str, Any] = {
    "channel": "web",
    "requester": {"role": "parent", "name": "Aanvrager Replaybench"},
    "consent_given": True,
    "pupil": {
        "name": "Leerling Replaybench",
        "birth_date": "2015-03-14",
        "municipality": "Amsterdam",
        "pc4": "1011",
    },
    "school": {"name": "Basisschool De Bench"},
    "sector": "po",
    "samenwerkingsverband": "PO2707",
    "region": "noord-holland",
    "category": "toelating",
    "service": "onderwijsconsulent",
    "receives_education": True,
    "account": "School weigert toelating na verhuizing.",
}


def bench_users(settings: Settings) -> tuple[str, tuple[str, str], str]:
    """A coordinator's API token, an auditor's name and password, and the
    auditor's API token."""
    db = build_read_database(settings)
    try:
        store = UserStore(db)
        suffix = secrets.token_hex(3)
        _, coordinator = store.add(
            f"bench-replay-coordinator-{suffix}", Role.COORDINATOR
        )
        auditor, auditor_token = store.add(
            f"bench-replay-auditor-{suffix}", Role.AUDITOR
        )
        password = secrets.token_urlsafe(16)
        PasswordStore(db).set(auditor.id, password)
    finally:
        db.close()
    return coordinator, (auditor.name, password), auditor_token


def long_case(base_url: str, token: str, events: int) -> tuple[str, int]:
    """A case of ``events`` events, through the API; its id and last log position."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as api:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = api.post(path, json=body)
            if answer.status_code not in (200, 201):
                raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
            found: dict[str, Any] = answer.json()
            return found

        consultant = post(
            "/api/v1/consultants",
            {
                "name": "Consulent Replaybench",
                "region": "noord-holland",
                "kind": "onderwijsconsulent",
                "capacity": 30,
            },
        )
        case = post(CASES, REGISTRATION)
        path = f"{CASES}/{case['id']}"
        for step in ("school_conversation", "samenwerkingsverband_contact"):
            case = post(f"{path}/prerequisites", {"step": step, "date": TODAY})
        case = post(f"{path}/intake", {"decision": "admissible"})
        case = post(f"{path}/assignment", {"consultant_id": consultant["id"]})
        began = time.monotonic()
        while case["version"] < events:
            case = post(
                f"{path}/activities",
                {
                    "kind": "contact",
                    "date": TODAY,
                    "summary": f"Gesprek {case['version']} met ouders en school",
                    "parties": ["ouders", "school"],
                },
            )
            if case["version"] % 200 == 0:
                say(f"  {case['version']} events ({time.monotonic() - began:.0f} s)")
        return str(case["id"]), int(case["log_position"])


def measure(data: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    server = Server(data)
    server.start()
    try:
        coordinator, (name, password), auditor_token = bench_users(data.settings)
        say(f"{data.name}: a case of {args.events} events through the API ...")
        case_id, position = long_case(server.base_url, coordinator, args.events)
        auditor, _ = signed_in(server.base_url, name, password)
        api = httpx.Client(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {auditor_token}"},
            timeout=60,
        )
        # Every read model (the audit trail's "what changed") has the case.
        waited = api.get(f"{CASES}?min_position={position}&limit=1")
        waited.raise_for_status()
        clients = {"auditor": (auditor, ""), "api": (api, ""), "anyone": (api, "")}
        rng = random.Random(12)
        step = Probe(
            "replay step (htmx)", "auditor", "GET", "", target_ms=TARGET_P95_MS
        )
        plain = Probe("replay step", "auditor", "GET", "", target_ms=TARGET_P95_MS)
        probes = [
            step,
            plain,
            Probe("GET /healthz", "anyone", "GET", "/healthz", baseline=True),
            Probe("API case read", "api", "GET", f"{CASES}/{case_id}", baseline=True),
        ]
        errors: list[dict[str, Any]] = []
        ids: dict[str, Probe] = {}
        say(f"{data.name}: {args.warmup + args.requests} rounds ...")
        for n in range(args.warmup + args.requests):
            for probe in (step, plain):
                version = rng.randint(1, args.events)
                probe.path = f"/controle/zaken/{case_id}?versie={version}"
            for probe in probes:
                client = clients[probe.who][0]
                request_id = f"replay-{data.name}-{n}-{secrets.token_hex(3)}"
                headers = {"X-Request-ID": request_id}
                if probe is step:  # what the slider's htmx request carries
                    headers |= {"HX-Request": "true", "HX-Target": "replay"}
                began = time.perf_counter()
                answer = client.get(probe.path, headers=headers)
                elapsed = time.perf_counter() - began
                if answer.status_code != 200:
                    errors.append(
                        {
                            "page": probe.label,
                            "status": answer.status_code,
                            "body": answer.text[:300],
                        }
                    )
                elif n >= args.warmup:
                    probe.client_ms.append(elapsed * 1000)
                    ids[request_id] = probe
        server_figures(data.workdir / "server.log", ids)
    finally:
        server.stop()
    api_probe = probes[-1]
    return {
        "events": args.events,
        "pages": [summary(p, api_probe) for p in probes],
        "errors": errors,
    }


def sqlite_dataset(root: Path) -> Dataset:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    data_dir = root / "var"
    env |= {
        "DOSSIER_DATA_DIR": str(data_dir),
        "DOSSIER_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    return Dataset("sqlite", env, Settings(database_url=None, data_dir=data_dir), root)


def print_store(name: str, result: dict[str, Any]) -> None:
    rows = [
        [
            p["page"],
            p["requests"],
            p["client_ms"]["p50"],
            p["client_ms"]["p95"],
            p["client_ms"]["max"],
            p["server_ms"]["p50"],
            p["server_ms"]["p95"],
            p["p95_over_api_p95"],
            "baseline" if p["baseline"] else f"<= {TARGET_P95_MS:.0f}",
            "-"
            if p["baseline"] or p["server_ms"]["p95"] is None
            else ("yes" if p["server_ms"]["p95"] <= TARGET_P95_MS else "NO"),
        ]
        for p in result["pages"]
    ]
    print_table(
        f"Replay, {name}: a case of {result['events']} events; ms, one client at a"
        " time (client: httpx on loopback; server: the request log's duration_ms);"
        " the target is for the server's p95",
        [
            "request",
            "n",
            "p50",
            "p95",
            "max",
            "server p50",
            "server p95",
            "p95 x API",
            "target",
            "met",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args(argv)
    if args.events < 7:
        parser.error("--events must be at least 7 (the case reaches mediation)")
    results: dict[str, Any] = {}
    stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
    for store in args.stores.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
            root = Path(tmp)
            if store == "sqlite":
                results[store] = measure(sqlite_dataset(root), args)
            elif store == "postgres":
                with bench_run("replay", keep=False) as run:
                    env = dossier_environment(run.url, run.schema)
                    data = Dataset("postgres", env, run.settings, root)
                    results[store] = measure(data, args)
            else:
                parser.error(f"unknown store {store}")
        print_store(store, results[store])
    settings = Settings(database_url=database_url(), database_schema="public")
    run = BenchRun("replay", database_url(), "-", stamp, settings, False)
    path = write_results(
        run,
        {"parameters": vars(args), "target_p95_ms": TARGET_P95_MS, "stores": results},
    )
    errors = [e for r in results.values() for e in r["errors"]]
    for error in errors[:10]:
        print(f"  error: {error['page']} {error['status']} {error['body'][:200]}")
    print(f"\n{len(errors)} answers not 2xx/3xx; results: {path.relative_to(ROOT)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
