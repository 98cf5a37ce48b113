"""`dossier verify` and `dossier chain ...` as an operator and an auditor run them,
on each store: a checkpoint exported and kept apart, the log verified against
it; a tampered event found and named in one line; a forged export refused."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import psycopg

from dossier.bootstrap import build_service
from dossier.settings import Settings
from tests.e2e.test_records_cli import dossier, flat
from tests.support.samples import INTAKE, registration


def tamper(settings: Settings, position: int) -> None:
    """Flip a byte of the state of the event at ``position``, in plain SQL."""
    if settings.database_url:
        table = f"{settings.database_schema}.dossier_events"
        with psycopg.connect(settings.database_url) as conn:
            conn.execute(
                f"UPDATE {table} SET state = set_byte(state, 3, get_byte(state, 3) # 1)"
                " WHERE notification_id = %s",
                (position,),
            )
        return
    with closing(sqlite3.connect(settings.sqlite_path)) as conn, conn:
        (state,) = conn.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (position,)
        ).fetchone()
        changed = bytearray(state)
        changed[3] ^= 1
        conn.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (bytes(changed), position),
        )


def test_an_auditor_keeps_a_checkpoint_and_later_finds_the_log_changed(
    settings: Settings, tmp_path: Path
) -> None:
    service = build_service(settings)
    try:
        for _ in range(3):
            service.register(registration(), by=INTAKE)
        head = service.recorder.max_notification_id()
    finally:
        service.close()
    assert head is not None

    clean = dossier(settings, "verify")
    made = dossier(settings, "chain", "checkpoint")
    export = tmp_path / "kept-by-the-auditor.json"
    exported = dossier(settings, "chain", "export", "--output", str(export))
    public = dossier(settings, "chain", "public-key")
    key_file = tmp_path / "chain-public.pem"
    key_file.write_text(public.stdout)
    held = dossier(
        settings, "verify", "--checkpoints", str(export), "--public-key", str(key_file)
    )

    assert clean.returncode == 0, clean.stderr
    assert "The log matches its chain." in clean.stdout
    assert made.returncode == 0, made.stderr
    assert f"position {head}" in flat(made.stdout)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(export.read_text())["checkpoints"][0]["position"] == head
    assert "BEGIN PUBLIC KEY" in public.stdout
    assert held.returncode == 0, held.stderr
    assert "Signed checkpoints matched: 1 of 1." in flat(held.stdout)

    tamper(settings, head - 1)
    broken = dossier(
        settings, "verify", "--checkpoints", str(export), "--public-key", str(key_file)
    )

    assert broken.returncode == 1
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"broken: position {head - 1} (aggregate ")
    assert "stored bytes" in lines[0]


def test_a_forged_checkpoint_export_is_refused_in_one_line(
    settings: Settings, tmp_path: Path
) -> None:
    service = build_service(settings)
    try:
        service.register(registration(), by=INTAKE)
    finally:
        service.close()
    assert dossier(settings, "chain", "checkpoint").returncode == 0
    export = tmp_path / "export.json"
    assert dossier(settings, "chain", "export", "--output", str(export)).returncode == 0
    document = json.loads(export.read_text())
    document["checkpoints"][0]["chain_hash"] = "00" * 32
    export.write_text(json.dumps(document))

    forged = dossier(settings, "verify", "--checkpoints", str(export))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    unreadable = dossier(settings, "verify", "--checkpoints", str(garbage))

    assert forged.returncode == 1
    assert forged.stderr.strip().count("\n") == 0
    assert "is not signed by the given key" in forged.stderr
    assert unreadable.returncode == 1
    assert unreadable.stderr.strip() == "error: the checkpoint export is malformed"


def test_a_store_from_before_the_chain_is_told_to_backfill_and_then_verifies(
    settings: Settings,
) -> None:
    service = build_service(settings)
    try:
        service.register(registration(), by=INTAKE)
    finally:
        service.close()
    if settings.database_url:
        schema = settings.database_schema
        with psycopg.connect(settings.database_url) as conn:
            conn.execute(f"UPDATE {schema}.dossier_events SET chain_hash = NULL")
    else:
        with closing(sqlite3.connect(settings.sqlite_path)) as conn, conn:
            conn.execute("UPDATE stored_events SET chain_hash = NULL")

    before = dossier(settings, "verify")
    backfill = dossier(settings, "chain", "backfill")
    after = dossier(settings, "verify")

    assert before.returncode == 1
    assert "run `dossier chain backfill`" in flat(before.stdout)
    assert backfill.returncode == 0, backfill.stderr
    assert "events chained" in backfill.stdout
    assert after.returncode == 0, after.stderr
