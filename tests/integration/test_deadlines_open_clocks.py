"""The open cases' clocks in the deadlines read model, on a real store: each
clock carries its case's open flag through closing, reopening and withdrawal;
the counters equal a count over the clocks joined with their cases, after the
events and after a refresh; a rebuild has the same flags and counters; and a
version made before both gains them when a worker sets it up."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

import pytest

from domain.service import CaseService
from domain.values import Region
from projections.base import columns_of
from projections.deadlines import DeadlinesProjection
from projections.deadlines_view import DeadlinesView
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from storage.db import Database, Tx
from tests.integration.test_deadlines_view import REGISTERED, Watch
from tests.support.clock import FakeClock
from tests.support.samples import COORDINATOR

Flags = dict[tuple[str, str], int]


@pytest.fixture
def watch(service: CaseService, read_db: Database, clock: FakeClock) -> Watch:
    return Watch(service, read_db, clock)


def clock_flags(tx: Tx, view: DeadlinesView) -> Flags:
    """Each clock's own open flag, by (case, clock)."""
    rows = tx.fetchall("SELECT case_id, clock, is_open FROM {d}", d=view.deadlines)
    return {(str(c), str(k)): int(f) for c, k, f in rows}


def case_flags(tx: Tx, view: DeadlinesView) -> Flags:
    """Each clock's case's open flag, by (case, clock)."""
    rows = tx.fetchall(
        "SELECT d.case_id, d.clock, c.is_open FROM {d} d"
        " JOIN {c} c ON c.case_id = d.case_id",
        d=view.deadlines,
        c=view.cases,
    )
    return {(str(c), str(k)): int(f) for c, k, f in rows}


def counted_by_join(
    tx: Tx, view: DeadlinesView, region: str | None = None
) -> Counter[tuple[str, str]]:
    """The open cases' clocks per (clock, state), counted over the clocks
    joined with their cases (the read before the flag)."""
    rows = tx.fetchall(
        "SELECT d.clock, d.state, d.region FROM {d} d"
        " JOIN {c} c ON c.case_id = d.case_id WHERE c.is_open = 1",
        d=view.deadlines,
        c=view.cases,
    )
    return Counter(
        (str(k), str(s)) for k, s, r in rows if region is None or r == region
    )


def counters(tx: Tx, view: DeadlinesView) -> Counter[tuple[str, str, str]]:
    """The counter rows, by (region, clock, state)."""
    rows = tx.fetchall("SELECT region, clock, state, n FROM {k}", k=view.counters)
    return Counter({(str(r), str(c), str(s)): int(n) for r, c, s, n in rows})


def counted_over_clocks(tx: Tx, view: DeadlinesView) -> Counter[tuple[str, str, str]]:
    """The open cases' clocks by (region, clock, state), counted over the clocks
    joined with their cases."""
    rows = tx.fetchall(
        "SELECT d.region, d.clock, d.state FROM {d} d"
        " JOIN {c} c ON c.case_id = d.case_id WHERE c.is_open = 1",
        d=view.deadlines,
        c=view.cases,
    )
    return Counter((str(r), str(c), str(s)) for r, c, s in rows)


def as_counter(counts: dict[str, dict[str, int]]) -> Counter[tuple[str, str]]:
    return Counter(
        {(k, s): n for k, states in counts.items() for s, n in states.items() if n}
    )


def scripted(watch: Watch) -> dict[str, str]:
    """Cases in every kind of life: open, closed, reopened, withdrawn, in two
    regions; refreshed on a later day. Their ids by what happened to them."""
    closed, closed_consultant = watch.assigned()
    watch.contact(closed, closed_consultant, date(2026, 4, 24))
    reopened, reopened_consultant = watch.assigned()
    watch.contact(reopened, reopened_consultant, date(2026, 4, 27))
    late, _ = watch.assigned()
    watch.on(REGISTERED)
    withdrawn = watch.register()
    elsewhere = watch.register(region=Region.UTRECHT, school_decision_on=REGISTERED)
    waiting = watch.register()
    watch.close(closed, date(2026, 5, 6))
    watch.close(reopened, date(2026, 5, 6))
    watch.on(date(2026, 5, 7))
    watch.service.withdraw(withdrawn, "Ouders trekken het in.", by=COORDINATOR)
    watch.service.reopen(reopened, "Plaatsing ging niet door.", by=COORDINATOR)
    watch.refresh(date(2026, 5, 8))
    return {
        "closed": str(closed),
        "reopened": str(reopened),
        "late": str(late),
        "withdrawn": str(withdrawn),
        "elsewhere": str(elsewhere),
        "waiting": str(waiting),
    }


def test_each_clock_carries_its_cases_open_flag_through_closing_and_reopening(
    watch: Watch,
) -> None:
    cases = scripted(watch)

    with watch.db.reading() as tx:
        flags = clock_flags(tx, watch.view)
        assert flags == case_flags(tx, watch.view)
    by_case = {
        what: {f for (c, _), f in flags.items() if c == case_id}
        for what, case_id in cases.items()
    }
    assert by_case == {
        "closed": {0},
        "reopened": {1},
        "late": {1},
        "withdrawn": {0},
        "elsewhere": {1},
        "waiting": {1},
    }


def test_the_counts_of_open_clocks_equal_a_count_over_the_clocks_and_their_cases(
    watch: Watch,
) -> None:
    watch.on(REGISTERED)
    case_id = watch.register()
    with watch.db.reading() as tx:
        assert counters(tx, watch.view) == {}  # (not yet processed)
    watch.clocks(case_id)
    with watch.db.reading() as tx:
        assert counters(tx, watch.view) == {("noord-holland", "intake", "running"): 1}
    scripted(watch)  # (ends with a refresh that turns clocks missed)

    with watch.db.reading() as tx:
        assert counters(tx, watch.view) == counted_over_clocks(tx, watch.view)
        assert 0 not in counters(tx, watch.view).values()
        for region in (None, str(Region.NOORD_HOLLAND), str(Region.UTRECHT)):
            counted = as_counter(watch.view.counts(tx, region))
            assert counted == counted_by_join(tx, watch.view, region)
        assert counted_by_join(tx, watch.view)[("intake", "missed")] == 3
        watched = watch.view.missed_or_at_risk(tx)
    assert watched
    assert all(row.case_open and row.met_on is None for row in watched)


def test_a_rebuilt_version_carries_the_same_flags(
    watch: Watch, service: CaseService, read_db: Database
) -> None:
    scripted(watch)

    report = rebuild(
        service, read_db, DeadlinesProjection.configured(today=lambda: watch.day)
    )

    rebuilt = DeadlinesView.for_version(report.new_version)
    with read_db.reading() as tx:
        assert clock_flags(tx, rebuilt) == clock_flags(tx, watch.view)
        assert clock_flags(tx, rebuilt) == case_flags(tx, rebuilt)
        assert counters(tx, rebuilt) == counters(tx, watch.view)
        assert counters(tx, rebuilt) == counted_over_clocks(tx, rebuilt)


def strip_flag(db: Database, view: DeadlinesView) -> None:
    """Make the version look as one made before the flag and the counters:
    without the column, its indexes and the counters, with the indexes it had
    then."""
    t = view.deadlines
    with db.transaction() as tx:
        tx.execute("DROP TABLE {k}", k=view.counters)
        for suffix in ("open", "to_watch"):
            tx.execute("DROP INDEX {i}", i=f"{t}_{suffix}")
        tx.execute("ALTER TABLE {t} DROP COLUMN is_open", t=t)
        for columns in ("region, state", "consultant_id, state"):
            name = f"{t}_{columns.replace(', ', '_')}"
            tx.execute("CREATE INDEX {i} ON {t} (" + columns + ")", t=t, i=name)


def answers(db: Database, view: DeadlinesView) -> tuple[object, ...]:
    with db.reading() as tx:
        return (
            view.counts(tx),
            view.counts(tx, str(Region.UTRECHT)),
            view.counts(tx, open_only=False),
            view.missed_or_at_risk(tx),
            view.missed_or_at_risk(tx, region=str(Region.NOORD_HOLLAND)),
        )


def test_a_version_made_before_the_flag_answers_alike_and_gains_it_when_set_up(
    watch: Watch, service: CaseService, read_db: Database
) -> None:
    cases = scripted(watch)
    before = answers(read_db, watch.view)
    with read_db.reading() as tx:
        flags = clock_flags(tx, watch.view)
        counted = counters(tx, watch.view)
    strip_flag(read_db, watch.view)
    # Read before any worker of this code ran it: by joining with the cases.
    assert answers(read_db, DeadlinesView.for_version(watch.runner.version)) == before

    runner = ProjectionRunner(
        service, read_db, DeadlinesProjection.configured(today=lambda: watch.day)
    )

    assert runner.version == watch.runner.version
    with read_db.reading() as tx:
        assert "is_open" in columns_of(tx, watch.view.deadlines)
        assert clock_flags(tx, watch.view) == flags
        assert counters(tx, watch.view) == counted
    assert answers(read_db, DeadlinesView.for_version(runner.version)) == before
    watch.runner = runner
    watch.close(UUID(cases["late"]), date(2026, 5, 11))
    runner.catch_up()
    with read_db.reading() as tx:
        after = clock_flags(tx, watch.view)
        assert after == case_flags(tx, watch.view)
        assert counters(tx, watch.view) == counted_over_clocks(tx, watch.view)
    assert {f for (c, _), f in after.items() if c == cases["late"]} == {0}
