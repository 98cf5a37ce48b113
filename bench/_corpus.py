"""The large stored corpus the load benchmarks share: a schema ``corpus_<N>`` with
N bulk-loaded cases and every read model caught up, built once and reused.

Building one million cases (about 21 million events) and catching up five read
models takes the better part of an hour on two cores, so the HTTP and dashboard
benchmarks don't build their own: the first asks for it, later runs reuse it.
A marker table records what the schema holds; a schema without a complete
marker (an interrupted build) is dropped and built again. Benchmarks that
write to it (the HTTP load) add cases; they are counted in the marker's
``writes`` so that a reader knows the corpus has grown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import psycopg
from _common import database_url, dossier_environment, ensure_database, say
from psycopg import sql

from dossier.bootstrap import build_service
from dossier.bulk import load
from dossier.settings import Settings
from projections.registry import all_projections

CASES_VARIABLE = "DOSSIER_BENCH_CASES"
DEFAULT_CASES = 1_000_000
MARKER = "bench_corpus"


@dataclass(frozen=True)
class Corpus:
    url: str
    schema: str
    cases: int
    events: int
    settings: Settings

    def environment(self) -> dict[str, str]:
        """Environment for a Dossier process (serve, worker) on the corpus."""
        return dossier_environment(self.url, self.schema)

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            self.url, autocommit=True, options=f"-c search_path={self.schema}"
        )


def default_cases() -> int:
    value = os.environ.get(CASES_VARIABLE)
    return int(value) if value else DEFAULT_CASES


def ensure_corpus(cases: int | None = None, *, pool_size: int = 5) -> Corpus:
    """The corpus of ``cases`` cases (default ``DOSSIER_BENCH_CASES`` or one
    million), built now when it is missing or incomplete."""
    cases = cases or default_cases()
    url = database_url()
    ensure_database(url)
    schema = f"corpus_{cases}"
    settings = Settings(database_url=url, database_schema=schema, pool_size=pool_size)
    found = _marker(url, schema)
    if found is None:
        # One build at a time: a second script finding the schema unmarked
        # must not drop a build under way, only say so.
        with psycopg.connect(url, autocommit=True) as guard:
            key = f"dossier:bench-corpus:{schema}"
            row = guard.execute(
                "SELECT pg_try_advisory_lock(hashtext(%s))", (key,)
            ).fetchone()
            if not (row and row[0]):
                raise SystemExit(
                    f"corpus {schema} is being built by another process; run"
                    " again when it is done (bench/_corpus.py builds it alone)"
                )
            found = _marker(url, schema)
            if found is None:
                _build(url, schema, settings, cases)
                found = _marker(url, schema)
                assert found is not None, "the corpus build leaves its marker"
    say(f"corpus: {cases:,} cases, {found:,} events in schema {schema}")
    return Corpus(url, schema, cases, found, settings)


def corpus_ready(cases: int) -> bool:
    """Whether the corpus of ``cases`` cases is built (False when the database
    is missing or unreachable: the build will say why)."""
    try:
        return _marker(database_url(), f"corpus_{cases}") is not None
    except psycopg.Error:
        return False


def _marker(url: str, schema: str) -> int | None:
    """The corpus's event count when its build completed, else None."""
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = %s AND table_name = %s",
            (schema, MARKER),
        ).fetchone()
        if not exists:
            return None
        row = conn.execute(
            sql.SQL("SELECT events FROM {} WHERE complete").format(
                sql.Identifier(schema, MARKER)
            )
        ).fetchone()
    return int(row[0]) if row else None


def _build(url: str, schema: str, settings: Settings, cases: int) -> None:
    began = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    say(f"corpus: building {cases:,} cases in schema {schema} (once; reused after)")
    service = build_service(settings)
    step = max(1, cases // 20)
    done = 0

    def progress(n: int) -> None:
        nonlocal done
        before, done = done, done + n
        if done // step > before // step:
            elapsed = time.monotonic() - began
            say(f"  {done:,}/{cases:,} cases, {elapsed:.0f} s, {done / elapsed:,.0f}/s")

    try:
        report = load(service, cases, progress=progress)
        events = service.recorder.max_notification_id() or 0
    finally:
        service.factory.close()
    loaded = time.monotonic() - began
    say(f"corpus: loaded {events:,} events in {loaded:.0f} s; catching up read models")
    with psycopg.connect(
        url, autocommit=True, options=f"-c search_path={schema}"
    ) as conn:
        conn.execute("VACUUM (ANALYZE) dossier_events")
    _catch_up(schema, settings)
    seconds = time.monotonic() - began
    with psycopg.connect(
        url, autocommit=True, options=f"-c search_path={schema}"
    ) as conn:
        conn.execute("ANALYZE")
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (cases int, events bigint, load_seconds float,"
                " build_seconds float, complete bool, built_at timestamptz)"
            ).format(sql.Identifier(MARKER))
        )
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, true, now())").format(
                sql.Identifier(MARKER)
            ),
            (report.cases, events, loaded, seconds),
        )
    say(f"corpus: built in {seconds:.0f} s")


def _catch_up(schema: str, settings: Settings) -> None:
    """Every read model caught up, each in a process of its own (two at a time:
    this machine has two cores, and PostgreSQL needs its share)."""
    assert settings.database_url is not None
    env = dossier_environment(settings.database_url, schema)
    dossier = os.path.join(os.path.dirname(sys.executable), "dossier")
    waiting = list(all_projections(settings.intake_norm_weeks))
    # The slowest first, so that it does not run alone at the end.
    waiting.sort(key=lambda name: name != "audit_trail")
    running: list[tuple[str, subprocess.Popen[bytes], float]] = []
    while waiting or running:
        while waiting and len(running) < 2:
            name = waiting.pop(0)
            command = [dossier, "projections", "catch-up", name]
            running.append((name, subprocess.Popen(command, env=env), time.monotonic()))
        time.sleep(0.5)
        for entry in list(running):
            name, process, started = entry
            if process.poll() is None:
                continue
            running.remove(entry)
            if process.returncode != 0:
                raise SystemExit(f"corpus: catching up {name} failed")
            say(f"corpus: {name} caught up in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    # Build (or find) the corpus ahead of the benchmarks: _corpus.py [cases]
    ensure_corpus(int(sys.argv[1]) if len(sys.argv) > 1 else None)
