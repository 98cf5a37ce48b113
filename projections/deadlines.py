"""The deadlines read model: every case's deadline clocks, for coordinators to watch.

One row per case holds its Timeline (moved on by ``next_timeline``, exactly as
the aggregate moves its own), and one row per (case, clock) holds what
``compute_deadlines`` says of it. A clock's state also changes with the day
alone (running, then at risk, then missed), so ``refresh`` recomputes the
clocks that can still change, for the deadline watcher to call once a day.
The queries on the two tables are in ``projections.deadlines_view``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, ClassVar, Literal, cast

from domain.calendar import WorkingDayCalendar
from domain.case import Case
from domain.deadlines import (
    GPO_AT_RISK_DAYS,
    INTAKE_AT_RISK_DAYS,
    THUISZITTER_AT_RISK_DAYS,
    ClockState,
    Deadline,
    compute_deadlines,
)
from domain.timeline import Timeline, next_timeline
from domain.zone import local_date
from projections.base import (
    DispatchMethod,
    Projection,
    RowBatch,
    add_to_counters,
    select_in,
)
from projections.codecs import iso_day, timeline_from_json, timeline_to_json
from projections.deadlines_tables import COUNT_KEY, TABLES, create_tables
from projections.deadlines_view import DeadlinesView
from projections.state import hold
from storage.db import Database, Tx

# The columns of the two tables, in order.
CASE_COLUMNS = (
    "case_id",
    "reference",
    "region",
    "consultant_id",
    "is_open",
    "timeline",
    "version",
    "position",
    "updated_at",
)
CLOCK_COLUMNS = (
    "case_id",
    "clock",
    "started_on",
    "due",
    "met_on",
    "state",
    "region",
    "consultant_id",
    "is_open",
)
CLOCK, STATE, REGION, OPEN = (
    CLOCK_COLUMNS.index(c) for c in ("clock", "state", "region", "is_open")
)
UPSERT_CLOCK = (
    "INSERT INTO {t} (" + ", ".join(CLOCK_COLUMNS) + ")"
    " VALUES (" + ", ".join(["%s"] * len(CLOCK_COLUMNS)) + ")"
    " ON CONFLICT (case_id, clock) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CLOCK_COLUMNS[2:])
)
CASE_EVENTS = (Case.Event, Case.Registered)
AT_RISK_WORKING_DAYS = 2
# A clock due later than this many days after today cannot turn at risk today:
# the calendar-day clocks look at most 14 days ahead, and any 7 days in a row
# hold a working day, so n working days always end within 7 * (n + 1) days.
RISK_HORIZON_DAYS = max(
    INTAKE_AT_RISK_DAYS,
    THUISZITTER_AT_RISK_DAYS,
    GPO_AT_RISK_DAYS,
    7 * (AT_RISK_WORKING_DAYS + 1),
)


def _open_keys(
    rows: Iterable[tuple[Any, ...]],
) -> Iterator[tuple[str, str, str]]:
    """The counter keys (region, clock, state) of the open cases' clock rows
    among ``rows`` (CLOCK_COLUMNS)."""
    for row in rows:
        if row[OPEN]:
            yield (row[REGION], row[CLOCK], row[STATE])


class _Keep(Enum):
    """The consultant stays as it is (None would mean: no consultant)."""

    KEEP = "keep"


def amsterdam_today() -> date:
    """Today's date in the Netherlands."""
    return local_date(datetime.now(tz=UTC))


@dataclass(frozen=True)
class DeadlineRules:
    """What a deadlines projection computes with: the day, the norm, the calendar."""

    today: Callable[[], date] = amsterdam_today
    intake_norm_weeks: int = 6
    calendar: WorkingDayCalendar = field(default_factory=WorkingDayCalendar)

    def clocks(self, t: Timeline, today: date | None = None) -> tuple[Deadline, ...]:
        return compute_deadlines(
            t,
            self.calendar,
            self.today() if today is None else today,
            intake_norm_weeks=self.intake_norm_weeks,
            at_risk_working_days=AT_RISK_WORKING_DAYS,
        )


class DeadlinesProjection(Projection):
    """Maintains ``deadline_cases_v<N>`` and ``deadlines_v<N>``; no personal data.

    The runner constructs projections from their class and a version alone, so
    the day and the intake norm are bound to a class: ``configured(...)``.
    """

    name = "deadlines"
    tables = TABLES
    rules: ClassVar[DeadlineRules] = DeadlineRules()

    @classmethod
    def configured(
        cls,
        *,
        today: Callable[[], date] = amsterdam_today,
        intake_norm_weeks: int = 6,
        calendar: WorkingDayCalendar | None = None,
    ) -> type[DeadlinesProjection]:
        """This projection bound to a source of today's date and an intake norm."""
        rules = DeadlineRules(
            today=today,
            intake_norm_weeks=intake_norm_weeks,
            calendar=calendar or cls.rules.calendar,
        )
        namespace = {"rules": rules, "__module__": cls.__module__}
        return cast(type[DeadlinesProjection], type(cls.__name__, (cls,), namespace))

    def create_tables(self, tx: Tx, db: Database) -> None:
        create_tables(tx, {base: self.table(base) for base in self.tables})

    def checksum_rows(self, tx: Tx) -> Iterable[tuple[Any, ...]]:
        """Every row in a fixed order (the counters by their whole key)."""
        for base in self.tables:
            order = "1, 2, 3" if base == "deadline_counts" else "1, 2"
            for row in tx.fetchall(
                f"SELECT * FROM {{t}} ORDER BY {order}", t=self.table(base)
            ):
                yield (base, *row)

    # --- the batch's working set -------------------------------------------------

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self._start_batch()

    def _start_batch(self) -> None:
        self._cases = RowBatch(self.table("deadline_cases"), "case_id", CASE_COLUMNS)
        # The cases read so far in this batch (found or not).
        self._loaded: set[str] = set()
        # Each loaded or new case's timeline, as moved on by the batch's events.
        self._timelines: dict[str, Timeline] = {}
        # Each loaded case's clock rows as stored: clock -> row (CLOCK_COLUMNS).
        self._stored: dict[str, dict[str, tuple[Any, ...]]] = {}
        # What to compute the clocks of each case the batch touched from, as of
        # its last event: timeline, region and consultant.
        self._inputs: dict[str, tuple[Timeline, str, str | None]] = {}

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        """Read the batch's cases and their clocks, each table with one query."""
        self._start_batch()
        self._load(
            tx, [str(e.originator_id) for e in events if isinstance(e, CASE_EVENTS)]
        )

    def _load(self, tx: Tx, case_ids: Iterable[str]) -> None:
        wanted = [c for c in dict.fromkeys(case_ids) if c not in self._loaded]
        if not wanted:
            return
        self._loaded.update(wanted)
        for row in select_in(
            tx, self.table("deadline_cases"), CASE_COLUMNS, "case_id", wanted
        ):
            self._cases.rows[row["case_id"]] = row
        for clock in select_in(
            tx, self.table("deadlines"), CLOCK_COLUMNS, "case_id", wanted
        ):
            self._stored.setdefault(clock["case_id"], {})[clock["clock"]] = tuple(
                clock.values()
            )

    def _case(self, tx: Tx, case_id: str) -> dict[str, Any] | None:
        if case_id not in self._loaded:  # an event handled outside a runner's batch
            self._load(tx, [case_id])
        return self._cases.get(case_id)

    def _timeline(self, case_id: str, row: Mapping[str, Any]) -> Timeline:
        t = self._timelines.get(case_id)
        if t is None:
            t = self._timelines[case_id] = timeline_from_json(row["timeline"])
        return t

    def end_batch(self, tx: Tx) -> None:
        """Compute each touched case's clocks once, as of today, and write the rows
        that changed: new or different clocks upserted, those that no longer apply
        (first contact after a reopening) deleted; then the cases."""
        today = self.rules.today()
        upserts: list[tuple[Any, ...]] = []
        deletes: list[tuple[str, str]] = []
        # The open cases' clocks counted: those stored go, those wanted come.
        change: Counter[tuple[str, str, str]] = Counter()
        for case_id, (t, region, consultant) in self._inputs.items():
            stored = self._stored.get(case_id, {})
            # The case's open flag on each of its clocks: what the dashboard
            # counts and watches reads the clocks alone.
            is_open = self._cases.rows[case_id]["is_open"]
            wanted = {
                d.name: (
                    case_id,
                    d.name,
                    d.started_on.isoformat(),
                    iso_day(d.due),
                    iso_day(d.met_on),
                    str(d.state),
                    region,
                    consultant,
                    is_open,
                )
                for d in self.rules.clocks(t, today)
            }
            change.subtract(_open_keys(stored.values()))
            change.update(_open_keys(wanted.values()))
            deletes.extend((case_id, name) for name in stored if name not in wanted)
            upserts.extend(
                row for name, row in wanted.items() if stored.get(name) != row
            )
        deadlines = self.table("deadlines")
        if deletes:
            tx.executemany(
                "DELETE FROM {t} WHERE case_id = %s AND clock = %s",
                deletes,
                t=deadlines,
            )
        if upserts:
            tx.executemany(UPSERT_CLOCK, upserts, t=deadlines)
        add_to_counters(tx, self.table("deadline_counts"), COUNT_KEY, change)
        for case_id in self._cases.dirty:
            self._cases.rows[case_id]["timeline"] = timeline_to_json(
                self._timelines[case_id]
            )
        self._cases.flush(tx)
        self._start_batch()

    # --- events -----------------------------------------------------------------

    @DispatchMethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Consultant and reference events have no clocks."""

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        t = next_timeline(None, event)
        case_id = str(event.originator_id)
        if self._case(tx, case_id) is None:
            self._timelines[case_id] = t
            self._cases.put(
                {
                    "case_id": case_id,
                    "reference": event.reference,
                    "region": event.region,
                    "consultant_id": None,
                    "is_open": 1,
                    "timeline": "",  # written from the timeline at the batch's end
                    "version": event.originator_version,
                    "position": position,
                    "updated_at": event.timestamp.timestamp(),
                }
            )
        # A case registered again keeps its row, yet its clocks are computed anew.
        self._inputs[case_id] = (t, event.region, None)

    @handle.register
    def _(self, event: Case.Event, position: int, tx: Tx) -> None:
        # Most events leave the timeline as it is; the clocks are recomputed all
        # the same (once, at the batch's end), so that they are as of today.
        self._move_on(tx, event, position)

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        self._move_on(tx, event, position, consultant_id=str(event.consultant_id))

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        self._move_on(tx, event, position, consultant_id=None)

    def _move_on(
        self,
        tx: Tx,
        event: Case.Event,
        position: int,
        consultant_id: str | Literal[_Keep.KEEP] | None = _Keep.KEEP,
    ) -> None:
        """Move the case's timeline on by ``event``; its clocks follow at the end."""
        case_id = str(event.originator_id)
        row = self._case(tx, case_id)
        if row is None:
            return
        t = next_timeline(self._timeline(case_id, row), event)
        self._timelines[case_id] = t
        if consultant_id is not _Keep.KEEP:
            row["consultant_id"] = consultant_id
        row["is_open"] = 1 if t.ended_on is None else 0
        row["version"] = event.originator_version
        row["position"] = position
        row["updated_at"] = event.timestamp.timestamp()
        self._cases.put(row)
        self._inputs[case_id] = (t, str(row["region"]), row["consultant_id"])

    # --- a new day ------------------------------------------------------------------

    def refresh(self, tx: Tx, today: date) -> int:
        """Bring the clocks of open cases to ``today``; the number of rows changed.

        Only clocks that a new day can change are looked at: running ones due
        within the at-risk horizon, and at-risk ones already past due (a paused
        clock has no due date, a met one has stopped, a missed one stays so).

        It first locks this version's tracking row, as the runner does for each
        batch (``hold``), so a refresh never interleaves with a batch;
        each update also holds only if its row is still as it was read.
        """
        hold(tx, self.name, self.version)
        deadlines, cases = self.table("deadlines"), self.table("deadline_cases")
        rows = tx.fetchall(
            "SELECT d.case_id, d.clock, d.state, d.due, d.region, c.timeline"
            " FROM {d} d JOIN {c} c ON c.case_id = d.case_id"
            " WHERE d.is_open = 1 AND d.due IS NOT NULL AND ("
            " (d.state = %s AND d.due <= %s) OR (d.state = %s AND d.due < %s))"
            " ORDER BY d.case_id, d.clock",
            (
                str(ClockState.RUNNING),
                (today + timedelta(days=RISK_HORIZON_DAYS)).isoformat(),
                str(ClockState.AT_RISK),
                today.isoformat(),
            ),
            d=deadlines,
            c=cases,
        )
        changed = 0
        computed: dict[str, dict[str, Deadline]] = {}
        # (Every clock read is an open case's: each change moves one count.)
        change: Counter[tuple[str, str, str]] = Counter()
        for case_id, clock, state, due, region, timeline in rows:
            if case_id not in computed:
                clocks = self.rules.clocks(timeline_from_json(timeline), today)
                computed[case_id] = {d.name: d for d in clocks}
            now = computed[case_id].get(clock)
            if now is None or str(now.state) == state:
                continue
            updated = tx.fetchall(
                "UPDATE {t} SET state = %s WHERE case_id = %s AND clock = %s"
                " AND state = %s AND due = %s RETURNING clock",
                (str(now.state), case_id, clock, state, due),
                t=deadlines,
            )
            if updated:
                changed += 1
                change[(region, clock, state)] -= 1
                change[(region, clock, str(now.state))] += 1
        add_to_counters(tx, self.table("deadline_counts"), COUNT_KEY, change)
        return changed


DeadlinesProjection.view_class = DeadlinesView
