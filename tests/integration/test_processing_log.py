"""The access log as the Logboek Dataverwerkingen, on both stores: a table made
before the trace columns gains them (its rows kept and still exported), and an
export holds each access of the period in LDV's shape, the data subject as a
pseudonym."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from domain.processing import REGISTER, SUBJECT_ID_TYPE, Activity, subject_pseudonym
from domain.values import Role
from projections.audit_access_log import (
    ACCESS_LOG_TABLE,
    CHANGE,
    Trace,
    create_access_log,
    record_access,
)
from projections.audit_queries import AuditTrailView
from projections.processing_log import ldv_records
from storage.db import Database

SECRET = b"s" * 32
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def pseudonym(case_id: UUID) -> str:
    return subject_pseudonym(SECRET, case_id)


def columns(read_db: Database) -> set[str]:
    with read_db.reading() as tx:
        if read_db.dialect == "sqlite":
            rows = tx.fetchall("PRAGMA table_info({t})", t=ACCESS_LOG_TABLE)
            return {str(r[1]) for r in rows}
        rows = tx.fetchall(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = %s AND table_schema = current_schema()",
            (ACCESS_LOG_TABLE,),
        )
        return {str(r[0]) for r in rows}


def test_a_log_made_before_the_trace_columns_gains_them_and_keeps_its_rows(
    read_db: Database,
) -> None:
    case_id = uuid4()
    with read_db.transaction() as tx:
        tx.execute("DROP TABLE IF EXISTS {t}", t=ACCESS_LOG_TABLE)
        tx.execute(  # the table as the first release made it
            "CREATE TABLE {t} (seq INTEGER PRIMARY KEY, entry_id TEXT NOT NULL UNIQUE,"
            " case_id TEXT, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL,"
            " request_id TEXT, route TEXT NOT NULL, purpose TEXT NOT NULL,"
            " at DOUBLE PRECISION NOT NULL)",
            t=ACCESS_LOG_TABLE,
        )
        tx.execute(
            "INSERT INTO {t} (seq, entry_id, case_id, actor_id, actor_role,"
            " request_id, route, purpose, at) VALUES (1, %s, %s, 'u1', 'coordinator',"
            " 'old', %s, 'case_page', %s)",
            (str(uuid4()), str(case_id), "/zaken/{case_id}", AT.timestamp()),
            t=ACCESS_LOG_TABLE,
        )
    assert "trace_id" not in columns(read_db)

    with read_db.transaction() as tx:
        create_access_log(tx, read_db)
        create_access_log(tx, read_db)  # idempotent

    assert {"trace_id", "span_id", "parent_span_id", "activity", "operation"} <= (
        columns(read_db)
    )
    with read_db.reading() as tx:
        reads = AuditTrailView({"audit_entries": "unused"})._reads(
            tx, [], str(case_id), None, 10
        )
    assert len(reads) == 1  # the old row is still a read, in the trail
    (record,) = ldv_records(
        read_db, pseudonym, from_=AT - timedelta(1), to=AT + timedelta(1)
    )
    assert record["attributes"]["dpl.core.processing_activity_id"] == (
        REGISTER[Activity.CASEWORK].uri
    )
    assert record["attributes"]["dossier.trace_derived"] is True
    assert len(record["trace_id"]) == 32
    assert len(record["span_id"]) == 16


def test_the_export_holds_each_access_of_the_period_in_ldv_shape(
    read_db: Database,
) -> None:
    with read_db.transaction() as tx:
        create_access_log(tx, read_db)
    case_id, other = uuid4(), uuid4()
    trace = Trace("a" * 32, "b" * 16, "c" * 16, AT - timedelta(seconds=1))
    with read_db.transaction() as tx:
        for moment, case, purpose, role, operation in (
            (AT - timedelta(hours=2), case_id, "case_page", Role.COORDINATOR, "read"),
            (AT, case_id, "case_page", Role.INTAKE, "read"),
            (AT, other, "assign", Role.COORDINATOR, CHANGE),
            (AT + timedelta(minutes=5), case_id, "case_replay", Role.AUDITOR, "read"),
            (AT + timedelta(hours=2), case_id, "case_page", Role.COORDINATOR, "read"),
        ):
            record_access(
                tx,
                case_ids=[case],
                actor_id="u1",
                role=role,
                request_id="r1",
                route="/zaken/{case_id}",
                purpose=purpose,
                at=moment,
                trace=trace,
                operation=operation,
            )
        record_access(  # a list that showed no case: no data subject
            tx,
            case_ids=[None],
            actor_id="u1",
            role=Role.COORDINATOR,
            request_id="r1",
            route="/",
            purpose="case_list",
            at=AT,
        )

    found = list(
        ldv_records(
            read_db,
            pseudonym,
            from_=AT - timedelta(hours=1),
            to=AT + timedelta(hours=1),
        )
    )

    assert [r["name"] for r in found] == [
        "read:case_page",
        "change:assign",
        "read:case_replay",
    ]
    first = found[0]
    assert (first["trace_id"], first["span_id"], first["parent_span_id"]) == (
        "a" * 32,
        "b" * 16,
        "c" * 16,
    )
    assert first["status"] == "Ok"
    assert first["start_time"] == "2026-11-02T09:29:59.000Z"
    assert first["end_time"] == "2026-11-02T09:30:00.000Z"
    attributes = first["attributes"]
    # An intake worker reading the case page does intake work.
    assert attributes["dpl.core.processing_activity_id"] == (
        "urn:dossier:verwerkingsactiviteit:intake"
    )
    assert attributes["dpl.core.data_subject_id"] == pseudonym(case_id)
    assert attributes["dpl.core.data_subject_id"] != str(case_id)
    assert attributes["dpl.core.data_subject_id_type"] == SUBJECT_ID_TYPE
    assert found[2]["attributes"]["dpl.core.processing_activity_id"].endswith(
        ":quality_audit"
    )
    only = ldv_records(
        read_db,
        pseudonym,
        from_=AT - timedelta(hours=3),
        to=AT + timedelta(hours=3),
        case_id=other,
    )
    assert [r["name"] for r in only] == ["change:assign"]
