"""The projection runner on a real store: exactly once, under concurrent writers,
across restarts, and rebuilt beside the serving version."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date
from typing import ClassVar

import pytest

from domain.sealing import open_text
from domain.search import blind_words
from domain.service import CaseService
from domain.values import IntakeDecision, Step
from dossier.bootstrap import build_service
from dossier.settings import Settings
from projections.case_list import CaseListProjection
from projections.case_list_view import CaseFilter, CaseListView
from projections.cursors import BadCursor
from projections.rebuild import RebuildMismatch, drop_retired, rebuild
from projections.runner import ProjectionRunner
from projections.state import positions
from storage.db import Database, Tx
from tests.support.clock import FakeClock
from tests.support.probe import ProbeProjection
from tests.support.samples import INTAKE, registration


def all_positions(service: CaseService) -> list[int]:
    head = service.recorder.max_notification_id() or 0
    found: list[int] = []
    start = 1
    while start <= head:
        batch = service.recorder.select_notifications(start=start, limit=500)
        if not batch:
            break
        found.extend(n.id for n in batch)
        start = batch[-1].id + 1
    return found


def probe_positions(db: Database, version: int) -> list[int]:
    with db.reading() as tx:
        return ProbeProjection(version).positions(tx)


def test_every_event_is_processed_exactly_once_while_writers_race(
    settings: Settings, clock: FakeClock, read_db: Database
) -> None:
    writers = [build_service(settings, clock=clock) for _ in range(4)]
    reader = build_service(settings, clock=clock)
    runner = ProjectionRunner(reader, read_db, ProbeProjection, batch_size=7)
    stop, wakeup = threading.Event(), threading.Event()
    running = threading.Thread(
        target=runner.run, args=(stop, wakeup), kwargs={"poll_seconds": 0.01}
    )
    running.start()

    failures: list[BaseException] = []

    def write(service: CaseService) -> None:
        try:
            for _ in range(8):
                case_id = service.register(registration(), by=INTAKE).case.id
                service.record_prerequisite(
                    case_id,
                    Step.SCHOOL_CONVERSATION,
                    date(2026, 10, 1),
                    None,
                    by=INTAKE,
                )
                wakeup.set()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    wakeup.set()
    running.join()
    runner.catch_up()

    assert failures == [], "every writer wrote all its commands"
    # Per command pair: the counter's number, the index, the case, the step;
    # and once, the year's counter started.
    assert len(all_positions(reader)) == 4 * 8 * 4 + 1
    assert probe_positions(read_db, runner.version) == all_positions(reader)
    assert runner.lag().events == 0
    for service in (*writers, reader):
        service.close()


def test_a_restarted_runner_resumes_where_it_stopped(
    service: CaseService, read_db: Database
) -> None:
    for _ in range(5):
        service.register(registration(), by=INTAKE)
    first = ProjectionRunner(service, read_db, ProbeProjection, batch_size=3)
    first.process_batch()
    assert first.position > 0

    second = ProjectionRunner(service, read_db, ProbeProjection, batch_size=3)
    assert second.position == first.position
    second.catch_up()

    assert probe_positions(read_db, second.version) == all_positions(service)


def test_a_second_runner_on_the_same_version_never_applies_twice(
    service: CaseService, read_db: Database
) -> None:
    for _ in range(6):
        service.register(registration(), by=INTAKE)
    runners = [
        ProjectionRunner(service, read_db, ProbeProjection, batch_size=2)
        for _ in range(3)
    ]
    threads = [threading.Thread(target=r.catch_up) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert probe_positions(read_db, 1) == all_positions(service)


def test_wait_for_returns_once_the_position_is_processed(
    service: CaseService, read_db: Database
) -> None:
    runner = ProjectionRunner(service, read_db, ProbeProjection)
    position = service.register(registration(), by=INTAKE).log_position
    assert runner.wait_for(position, timeout=0.01) is False

    later = threading.Timer(0.05, runner.catch_up)
    later.start()
    try:
        assert runner.wait_for(position, timeout=5) is True
    finally:
        later.join()
    assert runner.lag().events == 0


def test_case_list_shows_each_case_with_its_status_and_filters(
    service: CaseService, read_db: Database
) -> None:
    a = service.register(registration(), by=INTAKE).case.id
    b = service.register(registration(), by=INTAKE).case.id
    for step in Step:
        service.record_prerequisite(b, step, date(2026, 10, 1), None, by=INTAKE)
    service.decide_intake(b, IntakeDecision.ADMISSIBLE, by=INTAKE)
    runner = ProjectionRunner(service, read_db, CaseListProjection)
    runner.catch_up()
    view = CaseListView.for_version(runner.version)

    with read_db.reading() as tx:
        everything = view.page(tx, CaseFilter(), limit=10, cursor=None)
        waiting = view.page(
            tx, CaseFilter(status="awaiting_assignment"), limit=10, cursor=None
        )
        sanne = name_search(service, "sanne")
        by_name = view.page(tx, sanne, limit=1, cursor=None)
        rest = view.page(tx, sanne, limit=1, cursor=by_name.next_cursor)

    assert [r.case_id for r in everything.rows] == [str(a), str(b)]
    assert [r.case_id for r in waiting.rows] == [str(b)]
    stored = everything.rows[0].pupil_name
    assert stored is not None
    assert "Sanne" not in stored, "kept sealed"
    assert open_text(service.keyring.key_for(a), a, stored) == "Sanne de Vries"
    assert [r.case_id for r in by_name.rows + rest.rows] == [str(a), str(b)]
    assert rest.next_cursor is None


def name_search(service: CaseService, q: str) -> CaseFilter:
    """A search as api.reads makes it: the words hashed with the index's secret."""
    secret = service.keyring.search_secret()
    return CaseFilter(q=q, name_words=tuple(blind_words(secret, q)))


def test_the_case_list_finds_a_case_by_its_reference_or_a_word_of_the_name(
    service: CaseService, read_db: Database
) -> None:
    first = service.register(registration(), by=INTAKE).case
    other = service.register(
        registration(pupil=replace(registration().pupil, name="Noor Bakker")), by=INTAKE
    ).case
    runner = ProjectionRunner(service, read_db, CaseListProjection)
    runner.catch_up()
    view = CaseListView.for_version(runner.version)

    def found(q: str) -> list[str]:
        with read_db.reading() as tx:
            rows = view.page(tx, name_search(service, q), limit=10, cursor=None).rows
        return [r.case_id for r in rows]

    assert found(f" {str(first.reference).lower()} ") == [str(first.id)]
    assert found("BAKKER") == [str(other.id)]
    assert found("noor bakker") == [str(other.id)]
    assert found("bakk") == [], "whole words: the index keeps no parts"
    assert found("noor vries") == [], "every word must be the case's"
    assert found("OC-1999-00001") == []


def test_the_case_list_pages_thuiszitters_first_longest_at_home_first(
    service: CaseService, read_db: Database
) -> None:
    homes = [None, date(2026, 9, 1), None, date(2026, 6, 1), date(2026, 9, 1), None]
    ids = [
        str(service.register(registration(at_home_since=h), by=INTAKE).case.id)
        for h in homes
    ]
    runner = ProjectionRunner(service, read_db, CaseListProjection)
    runner.catch_up()
    view = CaseListView.for_version(runner.version)
    by_home = CaseFilter(order="at_home")

    seen: list[str] = []
    cursor: str | None = None
    with read_db.reading() as tx:
        while True:  # two rows a page: the order holds across pages
            found = view.page(tx, by_home, limit=2, cursor=cursor)
            seen.extend(r.case_id for r in found.rows)
            if found.next_cursor is None:
                break
            cursor = found.next_cursor
        with pytest.raises(BadCursor):  # a cursor of another order
            view.page(tx, by_home, limit=2, cursor=by_registration_cursor(view, tx))

    # Longest at home first; the same day and those not at home by registration.
    assert seen == [ids[3], ids[1], ids[4], ids[0], ids[2], ids[5]]


def by_registration_cursor(view: CaseListView, tx: Tx) -> str:
    cursor = view.page(tx, CaseFilter(), limit=1, cursor=None).next_cursor
    assert cursor is not None
    return cursor


def test_rebuild_switches_to_a_verified_new_version_while_the_old_one_serves(
    service: CaseService, read_db: Database
) -> None:
    for _ in range(4):
        service.register(registration(), by=INTAKE)
    live = ProjectionRunner(service, read_db, CaseListProjection)
    live.catch_up()
    old_version = live.version
    seen_during_rebuild: list[int] = []

    def read_old(_: int, __: int) -> None:
        with read_db.reading() as tx:
            page = CaseListView.for_version(old_version).page(
                tx, CaseFilter(), limit=50, cursor=None
            )
        seen_during_rebuild.append(len(page.rows))

    service.register(registration(), by=INTAKE)  # the serving version lags by one
    report = rebuild(
        service, read_db, CaseListProjection, batch_size=2, on_batch=read_old
    )

    assert report.old_version == 1
    assert report.new_version == 2
    assert report.rows == 5 + 3 * 5  # the cases, and the three words of each name
    assert seen_during_rebuild
    assert min(seen_during_rebuild) == 4
    states = {(n, v): s for n, v, _, s in positions(read_db)}
    assert states[("case_list", 1)] == "retired"
    assert states[("case_list", 2)] == "serving"
    assert drop_retired(read_db, CaseListProjection) == [1]


def test_rebuild_refuses_to_switch_when_the_versions_disagree(
    service: CaseService, read_db: Database
) -> None:
    service.register(registration(), by=INTAKE)
    live = ProjectionRunner(service, read_db, CaseListProjection)
    live.catch_up()
    with read_db.transaction() as tx:
        tx.execute(
            "UPDATE {t} SET region = 'zeeland'", t=live.projection.table("case_list")
        )

    with pytest.raises(RebuildMismatch):
        rebuild(service, read_db, CaseListProjection)

    states = {(n, v): s for n, v, _, s in positions(read_db)}
    assert states[("case_list", 1)] == "serving"


def test_a_fresh_process_sees_the_serving_version(
    settings: Settings, clock: FakeClock, read_db: Database
) -> None:
    service = build_service(settings, clock=clock)
    service.register(registration(), by=INTAKE)
    ProjectionRunner(service, read_db, CaseListProjection).catch_up()
    rebuild(service, read_db, CaseListProjection)

    again = ProjectionRunner(service, read_db, CaseListProjection)

    assert again.version == 2
    service.close()


WRITES_DURING_REBUILD = 150


def test_rebuild_succeeds_while_a_live_runner_and_a_writer_keep_going(
    service: CaseService, read_db: Database
) -> None:
    for _ in range(5):
        service.register(registration(), by=INTAKE)
    live = ProjectionRunner(service, read_db, CaseListProjection, batch_size=3)
    live.catch_up()
    stop, wakeup = threading.Event(), threading.Event()
    feeding = threading.Thread(
        target=live.run, args=(stop, wakeup), kwargs={"poll_seconds": 0.005}
    )
    feeding.start()

    def write() -> None:
        # Bounded, so that on a loaded machine the rebuild still reaches the
        # head (an unbounded writer once made this test take minutes).
        for _ in range(WRITES_DURING_REBUILD):
            if stop.is_set():
                return
            service.register(registration(), by=INTAKE)
            wakeup.set()
            time.sleep(0.005)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        report = rebuild(service, read_db, CaseListProjection, batch_size=2)
    finally:
        stop.set()
        wakeup.set()
        writer.join()
        feeding.join()

    assert report.new_version == 2
    states = {(n, v): s for n, v, _, s in positions(read_db)}
    assert states[("case_list", 2)] == "serving"
    assert live.version == 2 or live.position <= report.position


class CommitProbe(ProbeProjection):
    """The probe noting, in each batch, how its transaction will commit."""

    seen: ClassVar[list[str]] = []

    def begin_batch(self, tx: Tx) -> None:
        found = tx.fetchall("SHOW synchronous_commit")
        type(self).seen.append(str(found[0][0]))
        super().begin_batch(tx)


# synchronous_commit is PostgreSQL's: this test runs on that store only.
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
def test_a_batch_commits_without_waiting_for_the_disk_and_still_exactly_once(
    service: CaseService, read_db: Database
) -> None:
    CommitProbe.seen.clear()
    for _ in range(3):
        service.register(registration(), by=INTAKE)
    runner = ProjectionRunner(service, read_db, CommitProbe, batch_size=4)

    runner.catch_up()

    assert CommitProbe.seen
    assert set(CommitProbe.seen) == {"off"}
    assert probe_positions(read_db, runner.version) == all_positions(service)
    # The read database's other transactions (the access log) stay durable.
    with read_db.transaction() as tx:
        assert tx.fetchall("SHOW synchronous_commit")[0][0] == "on"
