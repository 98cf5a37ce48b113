"""The case list read model: one row per case with everything the list filters on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import singledispatchmethod
from typing import Any, ClassVar, cast
from uuid import UUID

from domain.calendar import WorkingDayCalendar
from domain.case import Case
from domain.deadlines import compute_deadlines
from domain.sealing import SEALED_TEXT, KeyScope, open_text, seal_text
from domain.search import blind_words
from domain.status import CaseStatus, next_status
from domain.timeline import Timeline, next_timeline
from domain.values import Personal, Status
from domain.zone import local_date
from projections.base import Projection, RowBatch
from projections.case_list_view import LAST_DAY, TABLES, CaseListView
from projections.codecs import timeline_from_json, timeline_to_json
from storage.db import Database, SQLiteTx, Tx

CALENDAR = WorkingDayCalendar()


def next_due(t: Timeline, intake_norm_weeks: int = 6) -> str | None:
    """The earliest due date among clocks still running (independent of today)."""
    clocks = compute_deadlines(
        t, CALENDAR, t.registered_on, intake_norm_weeks=intake_norm_weeks
    )
    dues = [d.due for d in clocks if d.met_on is None and d.due and not t.ended_on]
    return min(dues).isoformat() if dues else None


ROW_COLUMNS = (
    "case_id",
    "reference",
    "status",
    "region",
    "category",
    "sector",
    "service",
    "requester_role",
    "channel",
    "consultant_id",
    "registered_at",
    "registered_on",
    "pupil_name",
    "erased",
    "at_home_since",
    "timeline",
    "next_due",
    "version",
    "position",
    "updated_at",
)
CASE_EVENTS = (Case.Event, Case.Registered)


class CaseListProjection(Projection):
    """Maintains ``case_list_v<N>``; pupil names only until erased."""

    # Read right after a command (read-your-writes, the lag figure): no pause.
    batch_interval_seconds = 0.0
    name = "case_list"
    # case_list_names: the pupil names' blind index (domain.search), one row
    # per word; pupil_name itself is kept sealed under the case's key.
    tables = TABLES
    # The setting's intake norm (``configured``): next_due counts with it.
    intake_norm_weeks: ClassVar[int] = 6

    @classmethod
    def configured(cls, *, intake_norm_weeks: int) -> type[CaseListProjection]:
        """This projection counting the intake clock with ``intake_norm_weeks``."""
        namespace = {
            "intake_norm_weeks": intake_norm_weeks,
            "__module__": cls.__module__,
        }
        return cast(type[CaseListProjection], type(cls.__name__, (cls,), namespace))

    needs_personal_data = True
    personal_data_events = (Case.Registered,)  # the pupil's name, nothing else

    def create_tables(self, tx: Tx, db: Database) -> None:
        # The names first: a runner's batch writes them before the case rows,
        # and CREATE INDEX locks its table even when the index is there, so the
        # same order keeps a starting runner and a running one from deadlocking.
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " word TEXT NOT NULL, case_id TEXT NOT NULL,"
            " PRIMARY KEY (word, case_id))",
            t=self.table("case_list_names"),
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (case_id)",
            t=self.table("case_list_names"),
            i=f"{self.table('case_list_names')}_case_id",
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " case_id TEXT PRIMARY KEY,"
            " reference TEXT NOT NULL UNIQUE,"
            " status TEXT NOT NULL,"
            " region TEXT NOT NULL, category TEXT NOT NULL, sector TEXT NOT NULL,"
            " service TEXT NOT NULL, requester_role TEXT NOT NULL,"
            " channel TEXT NOT NULL,"
            " consultant_id TEXT,"
            " registered_at DOUBLE PRECISION NOT NULL, registered_on TEXT NOT NULL,"
            " pupil_name TEXT, erased INTEGER NOT NULL DEFAULT 0,"
            " at_home_since TEXT, timeline TEXT NOT NULL, next_due TEXT,"
            " version INTEGER NOT NULL, position BIGINT NOT NULL,"
            " updated_at DOUBLE PRECISION NOT NULL)",
            t=self.table("case_list"),
        )
        for column in ("registered_at", "status", "region", "consultant_id"):
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + column + ")",
                t=self.table("case_list"),
                i=f"{self.table('case_list')}_{column}",
            )
        # The work queues' orders (CaseListView.page), so that a page is read in
        # order from an index, not sorted from all the cases of a status or a
        # consultant. Added without a new version: an index changes no row.
        for name, (column, day) in {
            "status_home": ("status", "at_home_since"),
            "consultant_due": ("consultant_id", "next_due"),
        }.items():
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + column + ","
                f" COALESCE({day}, '{LAST_DAY}'), registered_at, case_id)",
                t=self.table("case_list"),
                i=f"{self.table('case_list')}_{name}",
            )

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        self.batch = RowBatch(self.table("case_list"), "case_id", ROW_COLUMNS)
        self.batch.load(
            tx,
            (str(e.originator_id) for e in events if isinstance(e, CASE_EVENTS)),
            dialect=self.dialect(tx),
        )
        self.timelines: dict[str, Timeline] = {}

    def end_batch(self, tx: Tx) -> None:
        for case_id in self.batch.dirty:
            row = self.batch.rows[case_id]
            if case_id in self.timelines:
                t = self.timelines[case_id]
                row["timeline"] = timeline_to_json(t)
                row["next_due"] = next_due(t, self.intake_norm_weeks)
        self.batch.flush(tx)

    @staticmethod
    def dialect(tx: Tx) -> str:
        return "sqlite" if isinstance(tx, SQLiteTx) else "postgres"

    @singledispatchmethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Other events (consultants, references) are not in the case list."""

    def _row(self, event: Any, position: int) -> dict[str, Any] | None:
        """The case's row, moved on to this event (version, position, timeline)."""
        case_id = str(event.originator_id)
        row = self.batch.get(case_id)
        if row is None:
            return None
        if case_id not in self.timelines:
            self.timelines[case_id] = timeline_from_json(row["timeline"])
        self.timelines[case_id] = next_timeline(self.timelines[case_id], event)
        row["version"] = event.originator_version
        row["position"] = position
        row["updated_at"] = event.timestamp.timestamp()
        self.batch.put(row)
        return row

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        case_id = str(event.originator_id)
        if self.batch.get(case_id) is not None:
            return
        t = next_timeline(None, event)
        self.timelines[case_id] = t
        self.batch.put(
            {
                "case_id": case_id,
                "reference": event.reference,
                "status": str(next_status(None, event).status),
                "region": event.region,
                "category": event.category,
                "sector": event.sector,
                "service": event.service,
                "requester_role": event.requester_role,
                "channel": event.channel,
                "consultant_id": None,
                "registered_at": event.timestamp.timestamp(),
                "registered_on": local_date(event.timestamp).isoformat(),
                "pupil_name": self._sealed_name(event, tx),
                "erased": 0,
                "at_home_since": (
                    event.at_home_since.isoformat() if event.at_home_since else None
                ),
                "timeline": "",
                "next_due": None,
                "version": event.originator_version,
                "position": position,
                "updated_at": event.timestamp.timestamp(),
            }
        )

    @handle.register
    def _(self, event: Case.PrerequisiteRecorded, position: int, tx: Tx) -> None:
        self._row(event, position)

    @handle.register
    def _(self, event: Case.PrerequisiteWaived, position: int, tx: Tx) -> None:
        self._row(event, position)

    @handle.register
    def _(self, event: Case.PrerequisitesMet, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.IntakeDecided, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        self._set(event, position, consultant_id=str(event.consultant_id))

    @handle.register
    def _(self, event: Case.ActivityRecorded, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.Suspended, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.Resumed, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.Closed, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.Withdrawn, position: int, tx: Tx) -> None:
        self._set(event, position)

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        self._set(event, position, consultant_id=None)

    @handle.register
    def _(self, event: Case.LegalHoldPlaced, position: int, tx: Tx) -> None:
        self._row(event, position)

    @handle.register
    def _(self, event: Case.LegalHoldLifted, position: int, tx: Tx) -> None:
        self._row(event, position)

    @handle.register
    def _(self, event: Case.PersonalDataErased, position: int, tx: Tx) -> None:
        self._set(event, position, pupil_name=None, erased=1)
        tx.execute(
            "DELETE FROM {t} WHERE case_id = %s",
            (str(event.originator_id),),
            t=self.table("case_list_names"),
        )

    def _sealed_name(self, event: Case.Registered, tx: Tx) -> str | None:
        """The pupil's name sealed under the case's key, its words put in the
        blind index; None when it is not there (erased, or never given)."""
        name = _pupil_name(event.pupil)
        if name is None:
            return None
        assert self.keyring is not None, "the runner gives the case list its keys"
        key = self.keyring.key_for(event.originator_id)
        if key is None:  # erased since: nothing to keep
            return None
        secret = self.keyring.search_secret()
        tx.executemany(
            "INSERT INTO {t} (word, case_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [(w, str(event.originator_id)) for w in blind_words(secret, name)],
            t=self.table("case_list_names"),
        )
        return seal_text(key, event.originator_id, name)

    def checksum_rows(self, tx: Tx) -> Iterable[tuple[Any, ...]]:
        """As every projection's, with the sealed names opened (each sealing
        has a nonce of its own, so two versions differ in their bytes)."""
        assert self.keyring is not None
        with KeyScope():
            for row in super().checksum_rows(tx):
                if row[0] == "case_list":
                    case_id = UUID(str(row[1]))
                    key = self.keyring.key_for(case_id)
                    row = tuple(
                        open_text(key, case_id, v)
                        if isinstance(v, str) and v.startswith(SEALED_TEXT)
                        else v
                        for v in row
                    )
                yield row

    def _set(self, event: Any, position: int, **columns: Any) -> dict[str, Any] | None:
        """Move the case's row on to ``event``: its status by the case's status
        machine (``next_status``), and the other ``columns`` given."""
        row = self._row(event, position)
        if row is not None:
            before = status_state(row["status"], self.timelines[row["case_id"]])
            row.update(columns, status=str(next_status(before, event).status))
        return row


def status_state(status: str, timeline: Timeline) -> CaseStatus:
    """The status machine's state from what a row keeps: the status, and for a
    suspended case the status it left, which the table does not store (its shape
    stays). That was in mediation exactly when an activity was recorded since the
    (last) assignment: suspending is allowed from assigned and in mediation only,
    the first activity moves assigned to in mediation, and reopening clears both.
    The timeline is the one before the event (``_row`` moves it on first, but the
    first activity never changes while suspended)."""
    before: Status | None = None
    if status == Status.SUSPENDED:
        active = timeline.first_activity_on is not None
        before = Status.IN_MEDIATION if active else Status.ASSIGNED
    return CaseStatus(Status(status), before)


def _pupil_name(pupil: Personal) -> str | None:
    name = pupil.get("name")
    return str(name) if name is not None else None


CaseListProjection.view_class = CaseListView
