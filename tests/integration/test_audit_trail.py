"""The audit trail on a real store: who changed or read what, filtered and paged, and
no personal data left in it once a case is erased (live and rebuilt)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.consultant import Consultant
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Region,
    Role,
    Service,
    Step,
)
from projections.audit_access_log import (
    ACCESS_LOG_TABLE,
    create_access_log,
    record_access,
)
from projections.audit_queries import AuditTrailView
from projections.audit_sealing import open_trail
from projections.audit_trail import AuditTrailProjection
from projections.base import checksum
from projections.cursors import BadCursor
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from storage.db import Database
from tests.support.canaries import canaries, case_full_of_canaries
from tests.support.clock import FakeClock
from tests.support.samples import (
    AUDITOR,
    COORDINATOR,
    INTAKE,
    consultant_actor,
    registration,
)

# --- helpers -------------------------------------------------------------------------


def catch_up(service: CaseService, read_db: Database) -> ProjectionRunner:
    runner = ProjectionRunner(service, read_db, AuditTrailProjection)
    runner.catch_up()
    return runner


def view(runner: ProjectionRunner) -> AuditTrailView:
    return AuditTrailView.for_version(runner.version)


def whole_trail(
    read_db: Database, runner: ProjectionRunner, **filters: Any
) -> list[dict[str, Any]]:
    """The trail with its personal values opened, as the API serves it."""
    with read_db.reading() as tx:
        items, next_cursor = view(runner).trail(tx, limit=1000, **filters)
    assert next_cursor is None
    open_trail(items, runner.service.keyring)
    return items


def changes_of(items: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [i["changes"] for i in items if i["event_type"] == event_type]


def new_consultant(service: CaseService, name: str = "Bram Visser") -> Consultant:
    return service.register_consultant(
        name, Region.NOORD_HOLLAND, Service.ONDERWIJSCONSULENT, 30, by=COORDINATOR
    )


def assigned_case(service: CaseService, consultant: Consultant) -> UUID:
    case_id = service.register(registration(), by=INTAKE).case.id
    for step in Step:
        service.record_prerequisite(case_id, step, date(2026, 10, 1), None, by=INTAKE)
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    service.assign(case_id, consultant.id, by=COORDINATOR)
    return case_id


def read(
    read_db: Database,
    case_id: UUID | None,
    at: datetime,
    *,
    route: str = "/api/v1/cases/{id}",
    purpose: str = "case_detail",
) -> str:
    with read_db.transaction() as tx:
        (entry_id,) = record_access(
            tx,
            case_ids=[case_id],
            actor_id=AUDITOR.user_id,
            role=AUDITOR.role,
            request_id="req-read",
            route=route,
            purpose=purpose,
            at=at,
        )
    return entry_id


def dump_audit_tables(read_db: Database, version: int) -> str:
    """Every value of every row of the audit tables of a version, as text."""
    projection = AuditTrailProjection(version)
    tables = [projection.table(base) for base in projection.tables]
    parts: list[str] = []
    with read_db.reading() as tx:
        for table in [*tables, ACCESS_LOG_TABLE]:
            for row in tx.fetchall("SELECT * FROM {t}", t=table):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def keyed(service: CaseService, version: int) -> AuditTrailProjection:
    """A version of the projection with the case keys, as a runner sets it up."""
    projection = AuditTrailProjection(version)
    projection.keyring = service.keyring
    return projection


def found(c: dict[str, str], text: str) -> list[str]:
    return [name for name, value in c.items() if value in text]


# --- changes -------------------------------------------------------------------------


def test_a_registration_is_a_create_entry_with_every_value_including_personal(
    service: CaseService, read_db: Database
) -> None:
    result = service.register(registration(), by=INTAKE)
    case_id = str(result.case.id)
    runner = catch_up(service, read_db)

    items = whole_trail(read_db, runner)

    # The reference counter and index are bookkeeping: only the case is audited.
    assert [i["event_type"] for i in items] == ["Case.Registered"]
    entry = items[0]
    # Saved in one transaction with the reference counter and index: the command's
    # position is the last of the three.
    assert result.log_position - 2 <= entry["position"] <= result.log_position
    assert entry["kind"] == "change"
    assert entry["action"] == "create"
    assert entry["action_display"] == "Casus aangemeld"
    assert entry["result"] == 201
    assert entry["source"] == "dossier"
    assert entry["resource"] == "case"
    assert entry["resource_id"] == entry["case_id"] == case_id
    assert entry["main_object"] == entry["resource_url"] == f"/api/v1/cases/{case_id}"
    assert entry["resource_version"] == 1
    assert (entry["actor_id"], entry["actor_role"], entry["request_id"]) == (
        "intake-1",
        "intake",
        "req-intake",
    )
    assert entry["recorded_at"] == result.case.modified_on.isoformat()
    assert entry["erased"] is False
    old, new = entry["changes"]["old"], entry["changes"]["new"]
    assert old == {}
    assert new["status"] == "registered"
    assert new["reference"] == result.case.reference
    assert new["region"] == "noord-holland"
    assert new["samenwerkingsverband"] == "PO2707"
    assert new["consultant_id"] is None
    assert new["pupil"] == {"name": "Sanne de Vries", "birth_date": "2015-03-14"}
    assert new["requester"] == {
        "name": "Jan de Vries",
        "email": "jan@example.nl",
        "phone": "0612345678",
    }
    assert new["account"] == "School weigert toelating na verhuizing."
    assert AuditTrailProjection.view_class is AuditTrailView  # what the API serves
    with read_db.reading() as tx:
        one = view(runner).entry(tx, entry["position"])
        assert one is not None
        open_trail([one], service.keyring)
        assert one == entry
        others = set(range(1, result.log_position + 1)) - {entry["position"]}
        assert [view(runner).entry(tx, p) for p in others] == [None] * len(others)


def test_a_reassignment_shows_the_old_and_the_new_consultant(
    service: CaseService, read_db: Database
) -> None:
    first, second = new_consultant(service), new_consultant(service, "Eva Jansen")
    case_id = assigned_case(service, first)
    service.assign(case_id, second.id, by=COORDINATOR)
    runner = catch_up(service, read_db)

    items = whole_trail(read_db, runner, case_id=case_id)

    assert changes_of(items, "Case.Assigned") == [
        {
            "old": {"consultant_id": None, "status": "awaiting_assignment"},
            "new": {"consultant_id": str(first.id), "status": "assigned"},
        },
        {
            "old": {"consultant_id": str(first.id)},
            "new": {"consultant_id": str(second.id)},
        },
    ]
    reassignment = items[-1]
    assert reassignment["action"] == "partial_update"
    assert reassignment["actor_id"] == "coordinator-1"
    assert reassignment["actor_role"] == "coordinator"
    assert [i["event_type"] for i in items] == [
        "Case.Registered",
        "Case.PrerequisiteRecorded",
        "Case.PrerequisiteRecorded",
        "Case.PrerequisitesMet",
        "Case.IntakeDecided",
        "Case.Assigned",
        "Case.Assigned",
    ]


def test_suspension_and_resumption_show_the_status_moving(
    service: CaseService, read_db: Database
) -> None:
    consultant = new_consultant(service)
    case_id = assigned_case(service, consultant)
    service.record_activity(
        case_id,
        ActivityKind.CONTACT,
        date(2026, 11, 2),
        "Gebeld met moeder.",
        ["moeder"],
        by=consultant_actor(consultant.id),
    )
    service.suspend(case_id, "Procedure bij de rechter loopt.", by=COORDINATOR)
    service.resume(case_id, "Uitspraak gedaan.", by=COORDINATOR)
    runner = catch_up(service, read_db)

    items = whole_trail(read_db, runner, case_id=case_id)

    assert changes_of(items, "Case.ActivityRecorded") == [
        {
            "old": {
                "activities.0.kind": None,
                "activities.0.date": None,
                "activities.0.summary": None,
                "activities.0.parties": None,
                "activities.0.consultant_id": None,
                "status": "assigned",
            },
            "new": {
                "activities.0.kind": "contact",
                "activities.0.date": "2026-11-02",
                "activities.0.summary": "Gebeld met moeder.",
                "activities.0.parties": ["moeder"],
                "activities.0.consultant_id": str(consultant.id),
                "status": "in_mediation",
            },
        }
    ]
    assert changes_of(items, "Case.Suspended") == [
        {
            "old": {
                "status_before_suspension": None,
                "status": "in_mediation",
                "suspension_reason": None,
            },
            "new": {
                "status_before_suspension": "in_mediation",
                "status": "suspended",
                "suspension_reason": "Procedure bij de rechter loopt.",
            },
        }
    ]
    assert changes_of(items, "Case.Resumed") == [
        {
            "old": {
                "status": "suspended",
                "status_before_suspension": "in_mediation",
                "suspension_reason": "Procedure bij de rechter loopt.",
                "resumptions.0.on": None,
                "resumptions.0.reason": None,
            },
            "new": {
                "status": "in_mediation",
                "status_before_suspension": None,
                "suspension_reason": None,
                "resumptions.0.on": "2026-11-02",
                "resumptions.0.reason": "Uitspraak gedaan.",
            },
        }
    ]
    assert [i["action_display"] for i in items[-2:]] == [
        "Casus opgeschort",
        "Casus hervat",
    ]


def test_a_consultants_capacity_change_is_a_partial_update(
    service: CaseService, read_db: Database
) -> None:
    consultant = new_consultant(service)
    service.update_consultant(consultant.id, capacity=24, by=COORDINATOR)
    service.update_consultant(consultant.id, capacity=24, active=False, by=COORDINATOR)
    runner = catch_up(service, read_db)

    items = whole_trail(read_db, runner, case_id=consultant.id)

    assert [(i["event_type"], i["action"]) for i in items] == [
        ("Consultant.Registered", "create"),
        ("Consultant.Updated", "partial_update"),
        ("Consultant.Updated", "partial_update"),
    ]
    assert items[0]["changes"]["new"] == {
        "name": "Bram Visser",
        "region": "noord-holland",
        "kind": "onderwijsconsulent",
        "capacity": 30,
        "active": True,
    }
    assert items[1]["changes"] == {"old": {"capacity": 30}, "new": {"capacity": 24}}
    assert items[2]["changes"] == {"old": {"active": True}, "new": {"active": False}}
    assert all(i["resource"] == "consultant" for i in items)
    assert all(i["case_id"] is None for i in items)
    assert items[1]["main_object"] == f"/api/v1/consultants/{consultant.id}"
    assert items[1]["resource_version"] == 2


# --- queries -------------------------------------------------------------------------


def test_the_trail_filters_by_case_actor_and_time_and_merges_reads(
    service: CaseService, read_db: Database, clock: FakeClock
) -> None:
    a = service.register(registration(), by=INTAKE).case.id
    clock.advance(hours=1)
    middle = clock.now()
    b = service.register(registration(), by=INTAKE).case.id
    service.waive_prerequisite(
        b, Step.SAMENWERKINGSVERBAND_CONTACT, "Niet van toepassing.", by=COORDINATOR
    )
    runner = catch_up(service, read_db)
    read_a = read(read_db, a, clock.now())
    read_list = read(read_db, None, clock.now(), route="/api/v1/cases?q=Sanne")
    clock.advance(hours=1)
    end = clock.now()
    late_read = read(read_db, b, clock.now())

    everything = whole_trail(read_db, runner)
    of_a = whole_trail(read_db, runner, case_id=a)
    of_b = whole_trail(read_db, runner, case_id=str(b))
    by_coordinator = whole_trail(read_db, runner, actor="coordinator-1")
    by_auditor = whole_trail(read_db, runner, actor="auditor-1")
    after_middle = whole_trail(read_db, runner, from_=middle)
    window = whole_trail(read_db, runner, from_=middle, to=end)

    def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
        return [(i["kind"], i["case_id"]) for i in items]

    assert kinds(everything) == [
        ("change", str(a)),
        ("change", str(b)),
        ("change", str(b)),
        ("read", str(a)),
        ("read", None),
        ("read", str(b)),
    ]
    assert [i["uuid"] for i in everything[3:]] == [read_a, read_list, late_read]
    times = [i["recorded_at"] for i in everything]
    assert times == sorted(times)
    assert kinds(of_a) == [("change", str(a)), ("read", str(a))]
    assert kinds(of_b) == [("change", str(b)), ("change", str(b)), ("read", str(b))]
    assert [i["event_type"] for i in by_coordinator] == ["Case.PrerequisiteWaived"]
    assert [i["uuid"] for i in by_auditor] == [read_a, read_list, late_read]
    assert kinds(after_middle) == kinds(everything)[1:]
    assert kinds(window) == kinds(everything)[1:5]  # `to` is exclusive
    listed = everything[4]
    assert listed["action"] == "list"
    assert listed["route"] == "/api/v1/cases"  # the query string is not kept
    assert listed["changes"] is None
    assert everything[3]["action"] == "retrieve"
    assert everything[3]["action_display"] == "Gegevens ingezien"
    assert everything[3]["main_object"] == f"/api/v1/cases/{a}"
    assert everything[3]["purpose"] == everything[3]["comment"] == "case_detail"
    assert everything[3]["actor_role"] == "auditor"
    with pytest.raises(ValueError, match="time zone"):
        whole_trail(read_db, runner, from_=datetime(2026, 11, 2, 9))


def test_cursor_pages_through_changes_and_reads_in_order_without_gaps(
    service: CaseService, read_db: Database, clock: FakeClock
) -> None:
    consultant = new_consultant(service)
    case_id = assigned_case(service, consultant)
    runner = catch_up(service, read_db)
    changes = whole_trail(read_db, runner)
    # Reads at the very moment of a change, and two at the same moment: the order
    # is time, then changes before reads, then the order they were logged.
    tied = datetime.fromisoformat(changes[2]["recorded_at"])
    read(read_db, case_id, tied)
    read(read_db, case_id, tied, purpose="case_history")
    read(read_db, case_id, clock.now())
    everything = whole_trail(read_db, runner)

    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    with read_db.reading() as tx:
        while True:
            items, cursor = view(runner).trail(tx, limit=2, cursor=cursor)
            pages.append(items)
            if cursor is None:
                break

    assert len(everything) == len(changes) + 3
    assert [i["uuid"] for page in pages for i in page] == [
        i["uuid"] for i in everything
    ]
    assert all(len(page) == 2 for page in pages[:-1])
    assert [i["kind"] for i in everything[2:5]] == ["change", "read", "read"]
    assert [i["purpose"] for i in everything[3:5]] == ["case_detail", "case_history"]
    assert everything[-1]["kind"] == "read"
    with read_db.reading() as tx:
        with pytest.raises(BadCursor):
            view(runner).trail(tx, cursor="not-a-cursor")
        with pytest.raises(ValueError, match="limit"):
            view(runner).trail(tx, limit=0)
        with pytest.raises(ValueError, match="hexadecimal"):
            view(runner).trail(tx, case_id="OC-2026-00001")
        upper = view(runner).trail(tx, case_id=str(case_id).upper(), limit=1000)[0]
    open_trail(upper, runner.service.keyring)
    assert upper == whole_trail(read_db, runner, case_id=case_id)


def test_reads_are_logged_with_ids_and_codes_only(read_db: Database) -> None:
    at = datetime.fromisoformat("2026-11-02T09:00:00+00:00")
    with read_db.transaction() as tx:
        create_access_log(tx, read_db)
        create_access_log(tx, read_db)  # idempotent
    with pytest.raises(ValueError, match="purpose"):
        read(read_db, uuid4(), at, purpose="vroeg naar Sanne de Vries")
    with pytest.raises(ValueError, match="route"):
        read(read_db, uuid4(), at, route="cases/Sanne de Vries")
    with pytest.raises(ValueError, match="time zone"):
        read(read_db, uuid4(), at.replace(tzinfo=None))
    with pytest.raises(ValueError, match=r"hexadecimal|UUID"):
        read(read_db, "Sanne de Vries", at)  # type: ignore[arg-type]
    case_id = uuid4()
    read(read_db, case_id, at, route="/api/v1/cases/x/history?q=Sanne#top")
    with read_db.reading() as tx:
        rows = tx.fetchall(
            "SELECT case_id, actor_id, actor_role, request_id, route, purpose FROM {t}",
            t=ACCESS_LOG_TABLE,
        )
    assert rows == [
        (
            str(case_id),
            "auditor-1",
            "auditor",
            "req-read",
            "/api/v1/cases/x/history",
            "case_detail",
        )
    ]


def test_a_legal_hold_placed_and_lifted_is_in_the_trail(
    service: CaseService, read_db: Database
) -> None:
    case_id = service.register(registration(), by=INTAKE).case.id
    service.place_legal_hold(
        case_id, HoldReason.LEGAL_PROCEDURE, "RB-2026/123", by=COORDINATOR
    )
    service.lift_legal_hold(case_id, LiftReason.PROCEDURE_ENDED, None, by=COORDINATOR)
    runner = catch_up(service, read_db)

    items = whole_trail(read_db, runner, case_id=case_id)

    placed, lifted = items[-2:]
    assert placed["event_type"] == "Case.LegalHoldPlaced"
    assert placed["action_display"] == "Juridische blokkade geplaatst"
    assert placed["actor_id"] == COORDINATOR.user_id
    assert placed["changes"]["new"]["legal_hold.reason"] == "legal_procedure"
    assert placed["changes"]["new"]["legal_hold.reference"] == "RB-2026/123"
    assert lifted["event_type"] == "Case.LegalHoldLifted"
    assert lifted["changes"]["old"]["legal_hold.reason"] == "legal_procedure"
    assert lifted["changes"]["new"]["legal_hold.reason"] is None
    assert lifted["changes"]["new"]["legal_hold.lifted_reason"] == "procedure_ended"


# --- erasure -------------------------------------------------------------------------


def test_erasure_removes_every_personal_value_from_the_audit_tables(
    service: CaseService, read_db: Database, clock: FakeClock
) -> None:
    c = canaries()
    consultant = new_consultant(service)
    case_id = case_full_of_canaries(service, consultant, c)
    other = service.register(registration(), by=INTAKE).case.id
    runner = catch_up(service, read_db)
    read(read_db, case_id, clock.now())
    assert found(c, dump_audit_tables(read_db, runner.version)) == [], (
        "the tables keep personal values only sealed"
    )
    assert "sealed-event:" in dump_audit_tables(read_db, runner.version), (
        "kept as the events sealed them, never opened by the projection"
    )
    opened = "\n".join(str(i["changes"]) for i in whole_trail(read_db, runner))
    assert sorted(found(c, opened)) == sorted(c), (
        "before erasure the trail, opened, shows every personal value"
    )

    erased = service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )
    runner.catch_up()

    assert found(c, dump_audit_tables(read_db, runner.version)) == []
    items = whole_trail(read_db, runner, case_id=case_id)
    assert found(c, "\n".join(str(i["changes"]) for i in items)) == []
    changes = [i for i in items if i["kind"] == "change"]
    # The non-personal history is all still there.
    statuses = [i["changes"]["new"].get("status") for i in changes]
    assert [s for s in statuses if s] == [
        "registered",
        "awaiting_intake",
        "awaiting_assignment",
        "assigned",
        "in_mediation",
        "suspended",
        "in_mediation",
        "closed",
        "awaiting_assignment",
        "withdrawn",
    ]
    registered = changes[0]
    assert registered["changes"]["new"]["region"] == "noord-holland"
    assert registered["changes"]["new"]["pupil"] is None
    assert registered["changes"]["new"]["account"] is None
    assert registered["changes"]["erased"] is True
    assert registered["changes"]["erased_fields"] == ["account", "pupil", "requester"]
    assert registered["erased"] is True
    assigned = changes_of(items, "Case.Assigned")
    assert assigned[0]["new"]["consultant_id"] == str(consultant.id)
    assert "erased" not in assigned[0]
    activity = changes_of(items, "Case.ActivityRecorded")[0]
    assert activity["new"]["activities.0.kind"] == "meeting"
    assert activity["new"]["activities.0.summary"] is None
    assert activity["erased_fields"] == [
        "activities.0.parties",
        "activities.0.summary",
    ]
    # The erasure's own entry holds no personal data.
    erasure = changes[-1]
    assert erasure["position"] == erased.log_position
    assert erasure["action"] == "destroy"
    assert erasure["comment"] == "data_subject_request"
    assert erasure["changes"] == {
        "old": {"personal_data_erased": False, "erasure_reason": None},
        "new": {"personal_data_erased": True, "erasure_reason": "data_subject_request"},
    }
    # Reads of the case stay (they held ids only); other cases keep their data.
    assert [i["kind"] for i in items].count("read") == 1
    other_entry = whole_trail(read_db, runner, case_id=other)[0]
    assert other_entry["changes"]["new"]["pupil"]["name"] == "Sanne de Vries"
    assert other_entry["erased"] is False


def test_a_rebuild_after_erasure_holds_no_personal_data_and_matches_the_live_trail(
    service: CaseService, read_db: Database, clock: FakeClock
) -> None:
    c = canaries()
    consultant = new_consultant(service)
    case_id = case_full_of_canaries(service, consultant, c)
    live = catch_up(service, read_db)
    read(read_db, case_id, clock.now())
    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )
    live.catch_up()

    report = rebuild(service, read_db, AuditTrailProjection, compare=False)
    rebuilt = ProjectionRunner(service, read_db, AuditTrailProjection)

    assert (report.old_version, report.new_version) == (1, 2)
    assert rebuilt.version == 2
    assert found(c, dump_audit_tables(read_db, 2)) == []
    with read_db.reading() as tx:
        # Erasing a live trail and replaying the shredded log agree row for row.
        assert checksum(keyed(service, 2).checksum_rows(tx)) == checksum(
            keyed(service, 1).checksum_rows(tx)
        )
    assert whole_trail(read_db, rebuilt, case_id=case_id) == whole_trail(
        read_db, live, case_id=case_id
    )
    assert whole_trail(read_db, rebuilt, case_id=case_id)[0]["changes"]["erased"]


def test_a_trail_first_built_after_erasure_holds_no_personal_data(
    service: CaseService, read_db: Database
) -> None:
    c = canaries()
    case_id = case_full_of_canaries(service, new_consultant(service), c)
    service.erase_personal_data(
        case_id, ErasureReason.RETENTION_EXPIRED, by=COORDINATOR
    )
    # Events that were recorded before the erasure are opened only now.
    runner = catch_up(service, read_db)

    assert found(c, dump_audit_tables(read_db, runner.version)) == []
    items = whole_trail(read_db, runner, case_id=case_id)
    assert items[0]["changes"]["new"]["sector"] == "po"
    assert all(i["erased"] == ("erased_fields" in i["changes"]) for i in items), (
        "an entry is marked erased exactly when it held personal fields"
    )
    assert items[-1]["changes"]["new"]["erasure_reason"] == "retention_expired"
    assert items[-1]["actor_role"] == Role.COORDINATOR
