"""The application's reads: a case now, at a version or as of a moment; its history,
deadlines and log position; a consultant.

``ServiceReads`` is a layer of ``CaseService`` (domain/service.py), whose commands
load what they change through it. The logic the reads call is pure and lives
beside them: domain/as_of.py (the version in force at a moment) and
domain/history.py (a case's history as entries).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, TypeGuard, cast, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.application import DossierApplication
from domain.as_of import Stamp, version_in_force
from domain.case import Case
from domain.consultant import Consultant
from domain.deadlines import Deadline, compute_deadlines
from domain.errors import CaseNotFound, ConsultantNotFound
from domain.history import HistoryEntry, history_entry
from domain.reference import CaseReference
from domain.sealing import KeyScope, LeftSealed, OpenedWhenRead
from domain.zone import local_date

CaseEvent = Case.Event | Case.Registered
# get_case(as_of=...): a case of up to this many events is replayed from its
# first; in a longer one, the version in force is searched for (domain/as_of.py).
AS_OF_REPLAY_UP_TO = 60


@runtime_checkable
class PositionedRecorder(Protocol):
    """A recorder that can say where one aggregate's event stands in the log."""

    def position_of(self, originator_id: UUID, version: int) -> int: ...


class ServiceReads(DossierApplication):
    """Reads of cases and consultants; they change nothing."""

    # --- cases ----------------------------------------------------------------------

    def get_case(
        self,
        case_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        opened: bool = True,
    ) -> Case:
        """The case now, at a version, or as it stood at a moment.

        ``opened=False``: its personal values are left sealed until read
        (``domain.sealing.Unopened``), for a reader that shows a few of them."""
        if not opened:
            with OpenedWhenRead():
                return self.get_case(case_id, version=version, as_of=as_of)
        if as_of is not None:
            return self._case_as_of(case_id, as_of)
        try:
            with KeyScope():  # the case's key read once for all its events
                aggregate: Any = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        if not isinstance(aggregate, Case):
            raise CaseNotFound(f"no case {case_id}")
        return aggregate

    def _case_as_of(self, case_id: UUID, as_of: datetime) -> Case:
        """The case at the version in force at ``as_of``: that of its last
        event recorded at or before the moment.

        A short case is replayed from its first event up to the first recorded
        later, as a whole. A longer one is loaded as any version is, from the
        latest snapshot at or before the version in force, which is found by
        looking at the timestamps of a few of its events (``_version_as_of``).
        Both give what replaying every event up to the first recorded later
        gives: a case's events carry timestamps in the order of their versions
        (one command at a time per case, each stamped by the clock as it runs;
        only the clocks of two processes disagreeing by more than the time
        between two commands on one case could break that order).
        """
        with LeftSealed():  # only its version and timestamp are looked at
            newest = self._case_events(case_id, desc=True, limit=1)
        if not newest or not _is_case_event(newest[0]):
            raise CaseNotFound(f"no case {case_id} at {as_of.isoformat()}")
        last = newest[0]
        if last.timestamp <= as_of:
            return self.get_case(case_id, version=last.originator_version)
        if last.originator_version <= AS_OF_REPLAY_UP_TO:
            return self._case_replayed_until(case_id, as_of)
        version = self._version_as_of(
            case_id, as_of, last.originator_version, last.timestamp
        )
        if version is None:
            raise CaseNotFound(f"no case {case_id} at {as_of.isoformat()}")
        return self.get_case(case_id, version=version)

    def latest_version(self, case_id: UUID) -> int:
        """The case's version now, from its last event alone (read sealed)."""
        with LeftSealed():
            newest = self._case_events(case_id, desc=True, limit=1)
        if not newest or not _is_case_event(newest[0]):
            raise CaseNotFound(f"no case {case_id}")
        return newest[0].originator_version

    def _case_replayed_until(self, case_id: UUID, as_of: datetime) -> Case:
        """Every event from the first, up to the first recorded after ``as_of``."""
        case: Case | None = None
        with KeyScope():
            for event in self.events.get(case_id):
                if not _is_case_event(event):
                    break
                if event.timestamp > as_of:
                    break
                case = cast(Case, event.mutate(case))
        if not isinstance(case, Case):
            raise CaseNotFound(f"no case {case_id} at {as_of.isoformat()}")
        return case

    def _version_as_of(
        self, case_id: UUID, as_of: datetime, hi: int, hi_at: datetime
    ) -> int | None:
        """The version in force at ``as_of`` (None: registered later), given a
        version ``hi`` recorded after it: ``version_in_force`` over the
        timestamps of a few events at a time, read with personal values sealed."""

        def read(gt: int, lte: int) -> list[Stamp]:
            events = self._case_events(case_id, gt=gt, lte=lte)
            return [Stamp(e.originator_version, e.timestamp) for e in events]

        with LeftSealed():
            first = self._case_events(case_id, limit=1)
            if not first:
                return None
            start = Stamp(first[0].originator_version, first[0].timestamp)
            return version_in_force(as_of, start, Stamp(hi, hi_at), read)

    def _case_events(self, case_id: UUID, **bounds: Any) -> list[CaseEvent]:
        """Events of a case (checked by the caller), read and decoded at once."""
        return cast(list[CaseEvent], list(self.events.get(case_id, **bounds)))

    def log_position_of(self, case_id: UUID, version: int) -> int:
        """The log position of the case's event at ``version`` (0 if none)."""
        recorder = self.recorder
        if not isinstance(recorder, PositionedRecorder):
            raise TypeError(f"{type(recorder).__name__} cannot look up positions")
        return recorder.position_of(case_id, version)

    def find_case_id(self, reference: str) -> UUID:
        try:
            index: CaseReference = self.repository.get(CaseReference.id_for(reference))
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case with reference {reference}") from None
        return index.case_id

    def deadlines(self, case: Case, today: date | None = None) -> tuple[Deadline, ...]:
        return compute_deadlines(
            case.timeline,
            self.calendar,
            today or local_date(self.clock.now()),
            intake_norm_weeks=self.intake_norm_weeks,
        )

    def history(self, case_id: UUID) -> list[HistoryEntry]:
        """The case's events in order, personal values opened where the key exists."""
        with KeyScope():
            events = list(self.events.get(case_id))
        if not events or not isinstance(events[0], Case.Registered):
            raise CaseNotFound(f"no case {case_id}")
        return [history_entry(e) for e in events]

    def history_entry(self, case_id: UUID, version: int) -> HistoryEntry:
        """The case's event at ``version`` as an entry (personal values opened
        where the key exists)."""
        events = self._case_events(case_id, gt=version - 1, lte=version)
        if not events or not _is_case_event(events[0]):
            raise CaseNotFound(f"no case {case_id} at version {version}")
        return history_entry(events[0])

    # --- consultants ----------------------------------------------------------------

    def get_consultant(self, consultant_id: UUID) -> Consultant:
        try:
            aggregate: Any = self.repository.get(consultant_id)
        except AggregateNotFoundError:
            raise ConsultantNotFound(f"no consultant {consultant_id}") from None
        if not isinstance(aggregate, Consultant):
            raise ConsultantNotFound(f"no consultant {consultant_id}")
        return aggregate


def _is_case_event(event: object) -> TypeGuard[CaseEvent]:
    return isinstance(event, Case.Event | Case.Registered)
