"""The deadlines read model: every case's deadline clocks, for coordinators to watch.

One row per case holds its Timeline (moved on by ``next_timeline``, exactly as
the aggregate moves its own), and one row per (case, clock) holds what
``compute_deadlines`` says of it. A clock's state also changes with the day
alone (running, then at risk, then missed), so ``refresh`` recomputes the
clocks that can still change, for the deadline watcher to call once a day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, ClassVar, Literal, cast
from uuid import UUID

from domain.calendar import WorkingDayCalendar
from domain.case import Case, local_date, next_timeline
from domain.deadlines import (
    GPO_AT_RISK_DAYS,
    INTAKE_AT_RISK_DAYS,
    THUISZITTER_AT_RISK_DAYS,
    ClockState,
    Deadline,
    compute_deadlines,
)
from domain.timeline import Timeline
from projections.base import DispatchMethod, Projection, RowBatch, select_in
from projections.codecs import timeline_from_json, timeline_to_json
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
)
UPSERT_CLOCK = (
    "INSERT INTO {t} (" + ", ".join(CLOCK_COLUMNS) + ")"
    " VALUES (" + ", ".join(["%s"] * len(CLOCK_COLUMNS)) + ")"
    " ON CONFLICT (case_id, clock) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CLOCK_COLUMNS[2:])
)
CASE_EVENTS = (Case.Event, Case.Registered)
# The clocks in the order compute_deadlines gives them.
CLOCKS = ("intake", "first_contact", "thuiszitter_3_months", "gpo_window")
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


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


class DeadlinesProjection(Projection):
    """Maintains ``deadline_cases_v<N>`` and ``deadlines_v<N>``; no personal data.

    The runner constructs projections from their class and a version alone, so
    the day and the intake norm are bound to a class: ``configured(...)``.
    """

    name = "deadlines"
    tables = ("deadline_cases", "deadlines")
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
        cases, deadlines = self.table("deadline_cases"), self.table("deadlines")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT PRIMARY KEY,"
            " reference TEXT NOT NULL,"
            " region TEXT NOT NULL,"
            " consultant_id TEXT,"
            " is_open INTEGER NOT NULL,"
            " timeline TEXT NOT NULL,"
            " version INTEGER NOT NULL, position BIGINT NOT NULL,"
            " updated_at DOUBLE PRECISION NOT NULL)",
            t=cases,
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT NOT NULL,"
            " clock TEXT NOT NULL,"
            " started_on TEXT NOT NULL,"
            " due TEXT,"
            " met_on TEXT,"
            " state TEXT NOT NULL,"
            " region TEXT NOT NULL,"
            " consultant_id TEXT,"
            " PRIMARY KEY (case_id, clock))",
            t=deadlines,
        )
        for columns in ("state, due", "region, state", "consultant_id, state"):
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + columns + ")",
                t=deadlines,
                i=f"{deadlines}_{columns.replace(', ', '_')}",
            )

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
        for case_id, (t, region, consultant) in self._inputs.items():
            stored = self._stored.get(case_id, {})
            wanted = {
                d.name: (
                    case_id,
                    d.name,
                    d.started_on.isoformat(),
                    _day(d.due),
                    _day(d.met_on),
                    str(d.state),
                    region,
                    consultant,
                )
                for d in self.rules.clocks(t, today)
            }
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
            "SELECT d.case_id, d.clock, d.state, d.due, c.timeline"
            " FROM {d} d JOIN {c} c ON c.case_id = d.case_id"
            " WHERE c.is_open = 1 AND d.due IS NOT NULL AND ("
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
        for case_id, clock, state, due, timeline in rows:
            if case_id not in computed:
                clocks = self.rules.clocks(timeline_from_json(timeline), today)
                computed[case_id] = {d.name: d for d in clocks}
            now = computed[case_id].get(clock)
            if now is None or str(now.state) == state:
                continue
            changed += len(
                tx.fetchall(
                    "UPDATE {t} SET state = %s WHERE case_id = %s AND clock = %s"
                    " AND state = %s AND due = %s RETURNING clock",
                    (str(now.state), case_id, clock, state, due),
                    t=deadlines,
                )
            )
        return changed


# --- queries ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockRow:
    """One clock of one case as the read model holds it."""

    case_id: str
    reference: str
    clock: str
    started_on: date
    due: date | None
    met_on: date | None
    state: ClockState
    region: str
    consultant_id: str | None
    case_open: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "reference": self.reference,
            "clock": self.clock,
            "started_on": self.started_on.isoformat(),
            "due": _day(self.due),
            "met_on": _day(self.met_on),
            "state": str(self.state),
            "region": self.region,
            "consultant_id": self.consultant_id,
            "case_open": self.case_open,
        }


_SELECT = (
    "SELECT d.case_id, c.reference, d.clock, d.started_on, d.due, d.met_on,"
    " d.state, d.region, d.consultant_id, c.is_open"
    " FROM {d} d JOIN {c} c ON c.case_id = d.case_id"
)


def _row(r: tuple[Any, ...]) -> ClockRow:
    def day(value: str | None) -> date | None:
        return None if value is None else date.fromisoformat(value)

    started_on = day(r[3])
    assert started_on is not None
    return ClockRow(
        case_id=str(r[0]),
        reference=str(r[1]),
        clock=str(r[2]),
        started_on=started_on,
        due=day(r[4]),
        met_on=day(r[5]),
        state=ClockState(r[6]),
        region=str(r[7]),
        consultant_id=None if r[8] is None else str(r[8]),
        case_open=bool(r[9]),
    )


class DeadlinesView:
    """Queries on one version of the deadlines read model."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        """``tables``: each base name of DeadlinesProjection.tables to its table."""
        self.cases = tables["deadline_cases"]
        self.deadlines = tables["deadlines"]

    @classmethod
    def for_version(cls, version: int) -> DeadlinesView:
        projection = DeadlinesProjection(version)
        return cls({base: projection.table(base) for base in projection.tables})

    def _fetch(
        self, tx: Tx, where: Iterable[str], params: list[Any], tail: str = ""
    ) -> list[ClockRow]:
        sql = _SELECT
        conditions = list(where)
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        rows = tx.fetchall(sql + tail, params, d=self.deadlines, c=self.cases)
        return [_row(r) for r in rows]

    def for_case(self, tx: Tx, case_id: str | UUID) -> list[ClockRow]:
        """The case's clocks in their fixed order; empty for an unknown case."""
        rows = self._fetch(tx, ["d.case_id = %s"], [str(case_id)])
        return sorted(rows, key=lambda r: CLOCKS.index(r.clock))

    def missed_or_at_risk(
        self,
        tx: Tx,
        *,
        region: str | None = None,
        consultant_id: str | UUID | None = None,
        limit: int = 100,
    ) -> list[ClockRow]:
        """Open cases' clocks still waiting for their event that are missed or
        about to be, earliest due first (so the longest overdue lead). A clock
        whose event came too late stays missed, but needs no one's action."""
        where = ["c.is_open = 1", "d.met_on IS NULL", "d.state IN (%s, %s)"]
        params: list[Any] = [str(ClockState.MISSED), str(ClockState.AT_RISK)]
        if region is not None:
            where.append("d.region = %s")
            params.append(region)
        if consultant_id is not None:
            where.append("d.consultant_id = %s")
            params.append(str(consultant_id))
        params.append(limit)
        return self._fetch(
            tx, where, params, " ORDER BY d.due, d.case_id, d.clock LIMIT %s"
        )

    def counts(
        self, tx: Tx, region: str | None = None, *, open_only: bool = True
    ) -> dict[str, dict[str, int]]:
        """Clocks per name and state, every name and state present (zero when none).

        Open cases only unless ``open_only`` is False: the clocks of ended cases
        stay (met or missed) for the record, but are no longer watched.
        """
        where: list[str] = []
        params: list[Any] = []
        if open_only:
            where.append("c.is_open = 1")
        if region is not None:
            where.append("d.region = %s")
            params.append(region)
        sql = "SELECT d.clock, d.state, COUNT(*) FROM {d} d JOIN {c} c"
        sql += " ON c.case_id = d.case_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY d.clock, d.state"
        found = tx.fetchall(sql, params, d=self.deadlines, c=self.cases)
        counts = {name: {str(s): 0 for s in ClockState} for name in CLOCKS}
        for clock, state, n in found:
            counts.setdefault(str(clock), {str(s): 0 for s in ClockState})
            counts[str(clock)][str(state)] = int(n)
        return counts


DeadlinesProjection.view_class = DeadlinesView
