"""The dashboard read model: the figures coordinators see for a school year, now or
as they stood at any past moment, from per-case facts and status intervals.

Five tables, no personal data:

- ``dashboard_cases``: one row per case with its fixed facts (region, sector, ...),
  its first milestones (intake, assignment, first contact) with the calendar days
  they took from registration, and its current state.
- ``dashboard_status``: one row per span of time in which a case's state (status,
  consultant, outcome) stayed the same: ``valid_from`` up to ``valid_to`` (NULL
  while current). A case's intervals tile its life without gaps, so "the state at
  moment t" is the one interval with ``valid_from <= t < valid_to``; the case's
  fixed facts are copied in, so the figures as of any moment come from this table
  alone, without replaying the log.
- ``dashboard_year_tallies``, ``dashboard_duration_counts`` and
  ``dashboard_stock_counts``: the figures now, kept as counters. Each case
  contributes a few keys by its current row (in its school year: its value of
  each column the year's figures tally, such as status or sector; the
  milestones it reached; while open, its place in the queue, at home and with
  its consultant), so a batch adds, per key, how many cases gained it minus how
  many lost it. Reading the dashboard now then sums a few hundred counters
  instead of a school year's cases (one million cases: tens of thousands a year).

Timestamps are epoch seconds (the moment an event was recorded); days are
Europe/Amsterdam calendar days, as for the deadline clocks. A figure as of a
moment uses only facts recorded at or before it.

A batch of events is applied in memory: ``preload`` reads the rows of the
batch's cases with one query, the handlers change them and collect the
intervals they end and open, and ``end_batch`` writes it all in the batch's
transaction: new rows with COPY (on PostgreSQL), changed rows and ended
intervals with one statement run over many rows, and the counters' changes
(the keys of the batch's cases as preloaded, taken away; as they now stand,
added). The tables, their columns and the counters' keys are in
``projections.dashboard_tables``; the queries in ``projections.dashboard_view``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from functools import singledispatchmethod
from typing import Any

from domain.case import Case
from domain.status import CaseStatus, next_status
from domain.values import IntakeDecision, Status
from domain.zone import local_date
from projections.base import Projection, RowBatch, insert_rows, versioned_tables
from projections.dashboard_tables import (
    CASE_COLUMNS,
    CASE_VALUES,
    COUNTER_KEYS,
    FIXED,
    INTERVAL_COLUMNS,
    INTERVAL_VALUES,
    RULES,
    STATE,
    TABLES,
    CounterKey,
    Row,
    add_counts,
    count_existing_cases,
    count_keys,
    create_tables,
)
from projections.dashboard_view import DashboardView
from projections.dashboard_weeks import (
    count_existing_weeks,
    ended_weeks,
    interval_weeks,
)
from storage.db import Database, SQLiteTx, Tx

# The events whose case's row a batch reads up front.
CASE_EVENTS = (Case.Event, Case.Registered)

# Leaves a part of the state as it was (None is a value: "no consultant").
_KEEP: Any = object()


class DashboardProjection(Projection):
    """Maintains ``dashboard_cases_v<N>`` and ``dashboard_status_v<N>``.

    Durations count the first intake, first assignment and first contact ever
    (a reopening does not restart them); the time to closing counts the latest
    closing, and ``closed_at`` keeps the latest closing through a reopening
    while ``ended_at``, ``outcome`` and ``education_status`` describe the
    current ending only (cleared on reopening, as the aggregate does).
    """

    name = "dashboard"
    tables = TABLES
    needs_personal_data = False

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.table_names = versioned_tables(self.tables, version)
        self.cases = RowBatch(self.table("dashboard_cases"), "case_id", CASE_COLUMNS)
        # The same rows by the events' originator ids (no str() per event).
        self.by_id: dict[Any, Row] = {}
        # The rows of the cases registered in this batch; the batch's new
        # intervals in order, those still current by case, and when the
        # interval that was current before the batch ended, by case.
        self.registered: list[Row] = []
        self.opened: list[Row] = []
        self.current: dict[str, Row] = {}
        self.closed: dict[str, float] = {}
        # The counters the batch's preloaded cases held before it, and the
        # week counters its intervals begun and ended add to.
        self.held: Counter[CounterKey] = Counter()
        self.weeks: Counter[CounterKey] = Counter()

    def create_tables(self, tx: Tx, db: Database) -> None:
        create_tables(tx, self.table_names)
        count_existing_cases(tx, self.table_names)
        count_existing_weeks(tx, self.table_names)

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        ids = {e.originator_id for e in events if isinstance(e, CASE_EVENTS)}
        keys = {str(i): i for i in ids}
        dialect = "sqlite" if isinstance(tx, SQLiteTx) else "postgres"
        self.cases.load(tx, keys, dialect=dialect)
        self.by_id = {keys[k]: row for k, row in self.cases.rows.items()}
        self._clear()
        self.held = count_keys(self.cases.rows.values())

    def end_batch(self, tx: Tx) -> None:
        # The rows read at preload that changed, then the batch's new cases.
        self.cases.dirty.difference_update(row["case_id"] for row in self.registered)
        self.cases.flush(tx)
        cases, status = self.table("dashboard_cases"), self.table("dashboard_status")
        insert_rows(tx, cases, CASE_COLUMNS, map(CASE_VALUES, self.registered))
        # End the intervals that were current before the batch first (the
        # batch's own must not match), then add the batch's own as they now
        # stand: ended, or still current.
        tx.executemany(
            "UPDATE {t} SET valid_to = %s WHERE case_id = %s AND valid_to IS NULL",
            [(at, case_id) for case_id, at in self.closed.items()],
            t=status,
        )
        insert_rows(tx, status, INTERVAL_COLUMNS, map(INTERVAL_VALUES, self.opened))
        change = count_keys(self.by_id.values())
        change.subtract(self.held)
        change.update(self.weeks)
        add_counts(tx, self.table_names, change)
        self._clear()

    def _clear(self) -> None:
        self.registered, self.opened, self.current, self.closed = [], [], {}, {}
        self.held, self.weeks = Counter(), Counter()

    def checksum_rows(self, tx: Tx) -> Iterable[tuple[Any, ...]]:
        """Every row in a fixed order (the counters by their whole key)."""
        for base in self.tables:
            order = ", ".join(
                COUNTER_KEYS.get(base, ("1",) if base == RULES else ("1", "2"))
            )
            for row in tx.fetchall(
                f"SELECT * FROM {{t}} ORDER BY {order}", t=self.table(base)
            ):
                yield (base, *row)

    @singledispatchmethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Other events change no figure: prerequisites recorded or waived (their
        end is PrerequisitesMet), consultants, references, and the erasure of
        personal data (the statistics stay)."""

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        if event.originator_id in self.by_id:
            return  # (recorded already)
        case_id = str(event.originator_id)
        at = event.timestamp.timestamp()
        row: Row = dict.fromkeys(CASE_COLUMNS)
        row.update(
            case_id=case_id,
            registered_on=local_date(event.timestamp).isoformat(),
            registered_at=at,
            region=event.region,
            sector=event.sector,
            category=event.category,
            requester_role=event.requester_role,
            service=event.service,
            at_home_since=(
                event.at_home_since.isoformat() if event.at_home_since else None
            ),
            reopenings=0,
            status=str(next_status(None, event).status),
            status_since=at,
        )
        self.cases.put(row)
        self.by_id[event.originator_id] = row
        self.registered.append(row)
        self._open_interval(row, event, 0)

    @handle.register
    def _(self, event: Case.PrerequisitesMet, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        self._change(event, row)

    @handle.register
    def _(self, event: Case.IntakeDecided, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        decision = IntakeDecision(event.decision)
        at = event.timestamp.timestamp()
        columns: dict[str, Any] = {
            "intake_decision": str(decision),
            "referred_to": None
            if event.referred_to is None
            else str(event.referred_to),
            "intake_at": at,
            "days_to_intake": self._days(row, local_date(event.timestamp)),
        }
        if decision != IntakeDecision.ADMISSIBLE:
            columns["ended_at"] = at
        self._change(event, row, **columns)

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        columns: dict[str, Any] = {}
        if row["first_assigned_at"] is None:
            columns["first_assigned_at"] = event.timestamp.timestamp()
            columns["days_to_assignment"] = self._days(row, local_date(event.timestamp))
        self._change(event, row, consultant_id=str(event.consultant_id), **columns)

    @handle.register
    def _(self, event: Case.ActivityRecorded, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        moved = next_status(status_state(row), event).status
        if row["first_contact_at"] is not None and moved == row["status"]:
            return  # (most activities: nothing changes)
        columns: dict[str, Any] = {}
        if row["first_contact_at"] is None:
            # Known from the moment it was recorded; measured to the day the
            # contact took place, as the first-contact clock is.
            columns["first_contact_at"] = event.timestamp.timestamp()
            columns["first_contact_on"] = event.on.isoformat()
            columns["days_to_first_contact"] = self._days(row, event.on)
        self._change(event, row, **columns)

    @handle.register
    def _(self, event: Case.Suspended, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        self._change(event, row)

    @handle.register
    def _(self, event: Case.Resumed, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        self._change(event, row)

    @handle.register
    def _(self, event: Case.Closed, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        at = event.timestamp.timestamp()
        self._change(
            event,
            row,
            outcome=event.outcome,
            education_status=event.education_status,
            closed_at=at,
            days_to_closing=self._days(row, local_date(event.timestamp)),
            ended_at=at,
        )

    @handle.register
    def _(self, event: Case.Withdrawn, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        self._change(
            event,
            row,
            ended_at=event.timestamp.timestamp(),
        )

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        row = self._row(event)
        if row is None:
            return
        self._change(
            event,
            row,
            consultant_id=None,
            outcome=None,
            education_status=None,
            ended_at=None,
            reopenings=row["reopenings"] + 1,
        )

    # --- changing the batch's rows ----------------------------------------------

    @staticmethod
    def _days(row: Row, day: date) -> int:
        return (day - date.fromisoformat(row["registered_on"])).days

    def _row(self, event: Any) -> Row | None:
        """The case's row as the batch's events so far left it (None: unknown)."""
        return self.by_id.get(event.originator_id)

    def _change(
        self,
        event: Any,
        row: Row,
        *,
        consultant_id: Any = _KEEP,
        outcome: Any = _KEEP,
        education_status: Any = _KEEP,
        **columns: Any,
    ) -> None:
        """Move the case to a new state (its status by the case's status machine,
        ``next_status``): when status, consultant or outcome changed, close its
        current interval and open one from this event on; then update its row
        with the state and any other ``columns``."""
        moved = next_status(status_state(row), event)
        status = moved.status
        columns["status_before_suspension"] = moved.before_suspension
        keep = _KEEP
        state: tuple[str, str | None, str | None, str | None] = (
            str(status),
            row["consultant_id"] if consultant_id is keep else consultant_id,
            row["outcome"] if outcome is keep else outcome,
            row["education_status"] if education_status is keep else education_status,
        )
        changed = state != tuple(row[c] for c in STATE)
        if changed:
            columns["status_since"] = event.timestamp.timestamp()
            self.weeks.update(
                ended_weeks(row["region"], row["status"], columns["status_since"])
            )
        row.update(columns)
        row.update(zip(STATE, state, strict=True))
        self.cases.put(row)
        if changed:
            self._close_interval(row["case_id"], columns["status_since"])
            days = self._days(row, local_date(event.timestamp))
            self._open_interval(row, event, days)

    def _close_interval(self, case_id: str, at: float) -> None:
        """End the case's current interval at ``at``: one opened in this batch,
        or else the one current before it (written in ``end_batch``)."""
        interval = self.current.pop(case_id, None)
        if interval is not None:
            interval["valid_to"] = at
        elif case_id not in self.closed:
            self.closed[case_id] = at

    def _open_interval(self, row: Row, event: Any, days_from_registration: int) -> None:
        """A new current interval from this event on, in the row's state."""
        interval: Row = {c: row[c] for c in STATE}
        interval.update(
            case_id=row["case_id"],
            version=event.originator_version,
            valid_from=event.timestamp.timestamp(),
            valid_to=None,
            valid_from_on=local_date(event.timestamp).isoformat(),
            days_from_registration=days_from_registration,
        )
        interval.update((c, row[c]) for c in FIXED)
        self.opened.append(interval)
        begun = interval["valid_from"]
        self.weeks.update(
            interval_weeks(
                row["region"], row["status"], begun, begun == row["registered_at"]
            )
        )
        self.current[row["case_id"]] = interval


def status_state(row: Row) -> CaseStatus:
    """The status machine's state as a case's row keeps it."""
    before = row["status_before_suspension"]
    return CaseStatus(Status(row["status"]), Status(before) if before else None)


DashboardProjection.view_class = DashboardView
