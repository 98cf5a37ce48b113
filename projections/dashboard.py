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
added). The queries on the tables are in ``projections.dashboard_view``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import singledispatchmethod
from operator import itemgetter
from typing import Any

from domain.case import Case
from domain.status import CaseStatus, next_status
from domain.values import OPEN_STATUSES, Category, IntakeDecision, Status
from domain.zone import local_date
from projections.base import Projection, RowBatch, insert_rows
from projections.dashboard_view import (
    COUNTER_KEYS,
    OPEN_SQL,
    YEAR_COLUMNS,
    DashboardView,
    duration_summary,
    percentile,
    school_year_bounds,
    school_year_of,
)
from storage.db import Database, SQLiteTx, Tx

__all__ = [
    "OPEN_SQL",
    "DashboardProjection",
    "DashboardView",
    "duration_summary",
    "percentile",
    "school_year_bounds",
    "school_year_of",
]

# The facts fixed at registration, copied into every status interval.
FIXED = (
    "registered_at",
    "region",
    "sector",
    "category",
    "requester_role",
    "service",
    "at_home_since",
)
# Every column of the two tables, in the order they are written.
CASE_COLUMNS = (
    "case_id",
    "registered_on",
    *FIXED,
    "intake_decision",
    "intake_at",
    "days_to_intake",
    "first_assigned_at",
    "days_to_assignment",
    "first_contact_at",
    "first_contact_on",
    "days_to_first_contact",
    "closed_at",
    "days_to_closing",
    "ended_at",
    "outcome",
    "education_status",
    "reopenings",
    "consultant_id",
    "status",
    "status_before_suspension",
    "status_since",
)
# The part of a case's state whose change starts a new status interval.
STATE = ("status", "consultant_id", "outcome", "education_status")
INTERVAL_COLUMNS = (
    "case_id",
    "version",
    *STATE,
    "valid_from",
    "valid_to",
    "valid_from_on",
    "days_from_registration",
    *FIXED,
)
CASE_VALUES = itemgetter(*CASE_COLUMNS)
INTERVAL_VALUES = itemgetter(*INTERVAL_COLUMNS)
# The events whose case's row a batch reads up front.
CASE_EVENTS = (Case.Event, Case.Registered)

# Every case has a year counter: empty beside case rows means never counted.
COUNTED = "dashboard_year_tallies"

# Leaves a part of the state as it was (None is a value: "no consultant").
_KEEP: Any = object()

Row = dict[str, Any]
# A counter: its table (base name) and its key, in COUNTER_KEYS[table] order.
CounterKey = tuple[str, tuple[Any, ...]]

OPEN = frozenset(str(s) for s in OPEN_STATUSES)
CLOSED = str(Status.CLOSED)
AWAITING_ASSIGNMENT = str(Status.AWAITING_ASSIGNMENT)
THUISZITTER = str(Category.THUISZITTER)


def counter_keys(row: Row) -> list[CounterKey]:
    """The counters a case adds one to, by its row in ``dashboard_cases`` now.

    Absent values are "" (key columns are never NULL). The figures as of a
    moment (``DashboardView``) count the same from the status intervals; a
    test holds the two to each other.
    """
    year = school_year_of(date.fromisoformat(row["registered_on"]))
    region = row["region"]
    status = row["status"]
    # The year's figures are tallies by one column at a time (by status, by
    # region, ...), so a case counts once under each column's value.
    keys: list[CounterKey] = [
        ("dashboard_year_tallies", (year, region, column, row[column] or ""))
        for column in YEAR_COLUMNS
    ]
    durations = "dashboard_duration_counts"
    if row["intake_at"] is not None:
        keys.append(
            (
                durations,
                (year, region, "intake", row["intake_decision"], row["days_to_intake"]),
            )
        )
    if row["first_assigned_at"] is not None:
        keys.append(
            (durations, (year, region, "assignment", "", row["days_to_assignment"]))
        )
    if row["first_contact_at"] is not None:
        keys.append(
            (
                durations,
                (year, region, "first_contact", "", row["days_to_first_contact"]),
            )
        )
    if status == CLOSED:
        keys.append((durations, (year, region, "closing", "", row["days_to_closing"])))
    if status in OPEN:
        stock = "dashboard_stock_counts"
        if status == AWAITING_ASSIGNMENT:
            since = local_date(datetime.fromtimestamp(row["status_since"], UTC))
            keys.append((stock, (year, region, "queue", since.isoformat())))
        if row["category"] == THUISZITTER or row["at_home_since"] is not None:
            keys.append((stock, (year, region, "home", row["at_home_since"] or "")))
        if row["consultant_id"] is not None:
            keys.append((stock, (year, region, "consultant", row["consultant_id"])))
    return keys


def count_keys(rows: Iterable[Row]) -> Counter[CounterKey]:
    """Every counter over these cases' rows (what the tables hold for them)."""
    return Counter(key for row in rows for key in counter_keys(row))


class DashboardProjection(Projection):
    """Maintains ``dashboard_cases_v<N>`` and ``dashboard_status_v<N>``.

    Durations count the first intake, first assignment and first contact ever
    (a reopening does not restart them); the time to closing counts the latest
    closing, and ``closed_at`` keeps the latest closing through a reopening
    while ``ended_at``, ``outcome`` and ``education_status`` describe the
    current ending only (cleared on reopening, as the aggregate does).
    """

    name = "dashboard"
    tables = (
        "dashboard_cases",
        "dashboard_status",
        "dashboard_year_tallies",
        "dashboard_duration_counts",
        "dashboard_stock_counts",
    )
    needs_personal_data = False

    def __init__(self, version: int) -> None:
        super().__init__(version)
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
        # The counters the batch's preloaded cases held before it.
        self.held: Counter[CounterKey] = Counter()

    def create_tables(self, tx: Tx, db: Database) -> None:
        cases, status = self.table("dashboard_cases"), self.table("dashboard_status")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT PRIMARY KEY,"
            " registered_at DOUBLE PRECISION NOT NULL, registered_on TEXT NOT NULL,"
            " region TEXT NOT NULL, sector TEXT NOT NULL, category TEXT NOT NULL,"
            " requester_role TEXT NOT NULL, service TEXT NOT NULL,"
            " at_home_since TEXT,"
            " intake_decision TEXT, intake_at DOUBLE PRECISION, days_to_intake INTEGER,"
            " first_assigned_at DOUBLE PRECISION, days_to_assignment INTEGER,"
            " first_contact_at DOUBLE PRECISION, first_contact_on TEXT,"
            " days_to_first_contact INTEGER,"
            " closed_at DOUBLE PRECISION, days_to_closing INTEGER,"
            " ended_at DOUBLE PRECISION, outcome TEXT, education_status TEXT,"
            " reopenings INTEGER NOT NULL DEFAULT 0,"
            " consultant_id TEXT, status TEXT NOT NULL,"
            " status_before_suspension TEXT,"
            " status_since DOUBLE PRECISION NOT NULL)",
            t=cases,
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT NOT NULL, version INTEGER NOT NULL,"
            " status TEXT NOT NULL, consultant_id TEXT,"
            " outcome TEXT, education_status TEXT,"
            " valid_from DOUBLE PRECISION NOT NULL, valid_to DOUBLE PRECISION,"
            " valid_from_on TEXT NOT NULL, days_from_registration INTEGER NOT NULL,"
            " registered_at DOUBLE PRECISION NOT NULL,"
            " region TEXT NOT NULL, sector TEXT NOT NULL, category TEXT NOT NULL,"
            " requester_role TEXT NOT NULL, service TEXT NOT NULL,"
            " at_home_since TEXT,"
            " PRIMARY KEY (case_id, version))",
            t=status,
        )
        # Each query reads one of these alone (an index-only scan): the
        # figures touch many rows, and a lookup in the table for each costs
        # several times the scan. Hence the long column lists.
        indexes = {
            f"{cases}_year": (
                cases,
                "registered_at, region, intake_at, days_to_intake, intake_decision,"
                " first_assigned_at, days_to_assignment,"
                " first_contact_at, days_to_first_contact",
                "",
            ),
            f"{status}_year": (
                status,
                "registered_at, valid_from, valid_to, region, sector, category,"
                " requester_role, service, status, outcome, education_status,"
                " days_from_registration",
                "",
            ),
            # The stock at a moment: the intervals of open cases that are
            # current, and those that ended after the moment. Two partial
            # indexes, which the stock query's conditions imply on both stores
            # (with one index over both, PostgreSQL misjudges and scans all).
            f"{status}_open_now": (
                status,
                "status, valid_from, registered_at, region, valid_from_on,"
                " category, at_home_since, consultant_id, valid_to",
                f" WHERE valid_to IS NULL AND {OPEN_SQL}",
            ),
            f"{status}_open_then": (
                status,
                "valid_to, status, valid_from, registered_at, region, valid_from_on,"
                " category, at_home_since, consultant_id",
                f" WHERE valid_to IS NOT NULL AND {OPEN_SQL}",
            ),
        }
        for name, (table, columns, where) in indexes.items():
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + columns + ")" + where,
                t=table,
                i=name,
            )
        for base, key in COUNTER_KEYS.items():
            tx.execute(
                "CREATE TABLE IF NOT EXISTS {t} ("
                + "".join(f" {c} TEXT NOT NULL," for c in key if c != "days")
                + (" days INTEGER NOT NULL," if "days" in key else "")
                + f" n INTEGER NOT NULL, PRIMARY KEY ({', '.join(key)}))",
                t=self.table(base),
            )
        self._count_existing_cases(tx)

    def _count_existing_cases(self, tx: Tx) -> None:
        """Fill empty counters from the case rows, when a version built before
        the counters existed gains them (every case holds a year counter, so
        empty counters beside case rows can only mean that). A chunk of cases
        at a time; the runner holds the read model's set-up lock meanwhile.
        Runners of the code before the counters must have stopped: cases they
        change later would not be counted."""
        if tx.fetchone("SELECT 1 FROM {t} LIMIT 1", t=self.table(COUNTED)):
            return
        cases = self.table("dashboard_cases")
        after = ""
        while True:
            rows = tx.fetchall(
                f"SELECT {', '.join(CASE_COLUMNS)} FROM {{t}} WHERE case_id > %s"
                " ORDER BY case_id LIMIT 20000",
                (after,),
                t=cases,
            )
            if not rows:
                return
            found = (dict(zip(CASE_COLUMNS, r, strict=True)) for r in rows)
            self._add_counts(tx, count_keys(found))
            after = rows[-1][0]

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
        self._add_counts(tx, change)
        self._clear()

    def _clear(self) -> None:
        self.registered, self.opened, self.current, self.closed = [], [], {}, {}
        self.held = Counter()

    def _add_counts(self, tx: Tx, change: Counter[CounterKey]) -> None:
        """Add each key's change to its counter; a counter down to 0 goes, so
        the tables hold the same rows however the events were batched."""
        for base, columns in COUNTER_KEYS.items():
            added = [(*k, n) for (b, k), n in change.items() if b == base and n]
            if not added:
                continue
            names = ", ".join(columns)
            marks = ", ".join(["%s"] * (len(columns) + 1))
            tx.executemany(
                f"INSERT INTO {{t}} ({names}, n) VALUES ({marks})"
                f" ON CONFLICT ({names}) DO UPDATE SET n = {{t}}.n + excluded.n",
                added,
                t=self.table(base),
            )
            lowered = [k for (b, k), n in change.items() if b == base and n < 0]
            tx.executemany(
                "DELETE FROM {t} WHERE "
                + " AND ".join(f"{c} = %s" for c in columns)
                + " AND n = 0",
                lowered,
                t=self.table(base),
            )

    def checksum_rows(self, tx: Tx) -> Iterable[tuple[Any, ...]]:
        """Every row in a fixed order (the counters by their whole key)."""
        for base in self.tables:
            order = ", ".join(COUNTER_KEYS.get(base, ("1", "2")))
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
        self.current[row["case_id"]] = interval


def status_state(row: Row) -> CaseStatus:
    """The status machine's state as a case's row keeps it."""
    before = row["status_before_suspension"]
    return CaseStatus(Status(row["status"]), Status(before) if before else None)


DashboardProjection.view_class = DashboardView
