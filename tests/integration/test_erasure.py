"""Crypto-shredding on a real store: after erasure no personal data is left anywhere."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from domain.errors import IllegalTransition
from domain.registration import Pupil, Requester
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    ErasureReason,
    IntakeDecision,
    Region,
    RequesterRole,
    Service,
    Status,
    Step,
)
from dossier.bootstrap import build_service
from dossier.settings import Settings
from tests.support.canaries import canaries
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration


def dump_database(settings: Settings) -> str:
    """Every row of every table, as text (bytes both as hex and as text)."""
    parts: list[str] = []

    def add(value: object) -> None:
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            parts.append(raw.hex())
            parts.append(raw.decode("utf-8", errors="ignore"))
        else:
            parts.append(str(value))

    if settings.uses_postgres:
        assert settings.database_url is not None
        with psycopg.connect(settings.database_url) as conn:
            # The test's own schema: other tests' schemas come and go meanwhile.
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema = %s",
                (settings.database_schema,),
            ).fetchall()
            assert tables, "the store's tables are in its schema"
            for schema, table in tables:
                query = psycopg.sql.SQL("SELECT * FROM {}").format(
                    psycopg.sql.Identifier(schema, table)
                )
                for row in conn.execute(query):
                    for value in row:
                        add(value)
    else:
        with sqlite3.connect(settings.sqlite_path) as conn:
            tables = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
            for (table,) in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        add(value)
    return "\n".join(parts)


def case_full_of_canaries(service: CaseService, c: dict[str, str]) -> UUID:
    reg = registration()
    reg = replace(
        reg,
        pupil=Pupil(c["pupil"], date(2014, 1, 2), "Amsterdam", "1011"),
        requester=Requester(
            RequesterRole.PARENT, c["requester"], f"{c['email']}@example.nl", None
        ),
        account=c["account"],
    )
    case_id = service.register(reg, by=INTAKE).case.id
    service.record_prerequisite(
        case_id, Step.SCHOOL_CONVERSATION, date(2026, 10, 1), c["note"], by=INTAKE
    )
    service.waive_prerequisite(
        case_id, Step.SAMENWERKINGSVERBAND_CONTACT, c["waiver"], by=COORDINATOR
    )
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    consultant = service.register_consultant(
        "Bram Visser",
        Region.NOORD_HOLLAND,
        Service.ONDERWIJSCONSULENT,
        30,
        by=COORDINATOR,
    )
    service.assign(case_id, consultant.id, by=COORDINATOR)
    # Enough activities that a snapshot (every 50 events) holds personal data too.
    for _ in range(48):
        service.record_activity(
            case_id,
            ActivityKind.MEETING,
            date(2026, 11, 2),
            c["summary"],
            [c["party"]],
            by=consultant_actor(consultant.id),
        )
    service.suspend(case_id, c["suspension"], by=COORDINATOR)
    return case_id


def test_erasure_leaves_no_personal_data_and_the_case_still_replays(
    settings: Settings, clock: FakeClock
) -> None:
    service = build_service(settings, clock=clock)
    c = canaries()
    try:
        case_id = case_full_of_canaries(service, c)
        before = service.get_case(case_id)
        assert before.pupil.get("name") == c["pupil"]
        assert service.snapshots is not None
        assert list(service.snapshots.get(case_id)), "a snapshot holds state too"
        key = service.keyring.key_for(case_id)
        assert key is not None
        dump = dump_database(settings)
        assert case_id.hex in dump.replace("-", ""), "the case's key row is there"
        assert key.hex() not in dump, "the key is stored only wrapped"
        assert not [v for v in c.values() if v in dump], "sealed even before erasure"

        service.withdraw(case_id, c["withdrawal"], by=INTAKE)
        service.erase_personal_data(
            case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
        )
    finally:
        service.close()

    dump = dump_database(settings)
    assert key.hex() not in dump
    assert [v for v in c.values() if v in dump] == []

    # A fresh process (no cached key) replays the whole history.
    reader = build_service(settings, clock=clock)
    try:
        case = reader.get_case(case_id)
        assert case.erased
        assert case.pupil.erased
        assert case.requester.erased
        assert case.account.erased
        assert all(a["summary"].erased for a in case.activities)
        assert case.status == Status.WITHDRAWN
        assert case.timeline.pauses[-1].end is not None, "withdrawal ends the pause"
        assert case.sector == "po"
        assert case.region == "noord-holland"
        assert case.category == "toelating"
        history = reader.history(case_id)
        assert history[-1].type == "PersonalDataErased"
        assert history[-1].data == {"reason": "data_subject_request"}
        assert history[0].data["pupil"] is None
        assert history[0].data["samenwerkingsverband"] == "PO2707"
        replayed = reader.get_case(case_id, as_of=clock.now())
        assert replayed.status == case.status
        assert replayed.version == case.version
        with pytest.raises(IllegalTransition) as refused:
            reader.reopen(case_id, "opnieuw", by=COORDINATOR)
        assert refused.value.rule == "personal-data-erased"
    finally:
        reader.close()


def test_erased_key_bytes_are_not_left_in_the_sqlite_files(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    service = build_service(settings, clock=clock)
    try:
        case_id = service.register(registration(), by=INTAKE).case.id
        key = service.keyring.key_for(case_id)
        assert key is not None
        service.withdraw(case_id, "Ouders trekken aanmelding in", by=INTAKE)
        service.erase_personal_data(
            case_id, ErasureReason.RETENTION_EXPIRED, by=COORDINATOR
        )
    finally:
        service.close()
    for path in settings.data_dir.iterdir():
        assert key not in path.read_bytes(), f"key bytes left in {path.name}"


def test_an_erasure_whose_key_survived_is_finished_by_erasing_again(
    service: CaseService,
) -> None:
    case_id = service.register(registration(), by=INTAKE).case.id
    service.withdraw(case_id, "ingetrokken", by=INTAKE)
    # The erasure recorded, then the store went away before the key's
    # destruction: the state that command leaves behind.
    case = service.get_case(case_id)
    case.erase_personal_data(
        ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR, now=service.clock.now()
    )
    service.save_changes(case)
    assert service.keyring.key_for(case_id) is not None
    events = len(service.history(case_id))

    finished = service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )

    assert service.keyring.key_for(case_id) is None
    assert finished.case.pupil.erased
    assert len(service.history(case_id)) == events, "nothing more recorded"
    with pytest.raises(IllegalTransition) as again:
        service.erase_personal_data(
            case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
        )
    assert again.value.rule == "already-erased"
