"""A command is answered by what was recorded: what fails after the commit (a
snapshot, a save listener) is reported, never turned into an error."""

from __future__ import annotations

import psycopg

from domain.case import Case
from domain.reference import ReferenceCounter
from domain.service import CaseService
from dossier.settings import Settings
from tests.support.samples import INTAKE, registration


def break_snapshots(service: CaseService, settings: Settings) -> None:
    """Make every snapshot insert fail (a trigger), as a database failing
    between the commit and the snapshot would; reads keep working."""
    assert service.snapshots is not None
    table = service.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    if settings.database_url:
        schema = settings.database_schema
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(
                f"CREATE FUNCTION {schema}.refuse() RETURNS trigger"
                " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            conn.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {schema}.{table}"
                f" FOR EACH ROW EXECUTE FUNCTION {schema}.refuse()"
            )
    else:
        datastore = service.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table}"
                " BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )


def test_a_failing_snapshot_after_the_commit_still_answers_every_command(
    service: CaseService, settings: Settings
) -> None:
    failures: list[str] = []
    service.report_failure = lambda what, _error: failures.append(what)
    break_snapshots(service, settings)

    # The reference counter is snapshotted every 10 registrations.
    interval = CaseService.snapshotting_intervals[ReferenceCounter]
    results = [service.register(registration(), by=INTAKE) for _ in range(interval)]

    assert "snapshot" in failures
    for result in results:
        stored = service.get_case(result.case.id)
        assert isinstance(stored, Case)
        assert stored.version == result.case.version
        assert stored.reference == result.case.reference
    assert len({r.case.reference for r in results}) == interval


def test_a_failing_save_listener_does_not_fail_the_command(
    service: CaseService,
) -> None:
    failures: list[str] = []
    service.report_failure = lambda what, _error: failures.append(what)

    def broken(_position: int) -> None:
        raise RuntimeError("a listener that fails")

    service.add_listener(broken)
    result = service.register(registration(), by=INTAKE)

    assert failures == ["save_listener"]
    assert service.get_case(result.case.id).version == result.case.version
