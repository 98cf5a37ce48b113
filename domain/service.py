"""The application service: one method per command (load, one aggregate call, save).

It is longer than our other modules because it is the application's whole surface:
each command and read is a short method here; the logic they call lives in the
aggregates, domain/as_of.py (the version in force at a moment) and
domain/history.py (a case's history as entries).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, TypeGuard, cast, runtime_checkable
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
)
from eventsourcing.utils import Environment, EnvType

from domain.as_of import Stamp, version_in_force
from domain.calendar import WorkingDayCalendar
from domain.case import Case
from domain.clock import Clock
from domain.consultant import Consultant
from domain.deadlines import Deadline, compute_deadlines
from domain.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    ConsultantNotFound,
    DuplicateRequest,
    VersionMismatch,
)
from domain.history import HistoryEntry, history_entry
from domain.permissions import Command, check_permitted
from domain.reference import CaseReference, ReferenceCounter
from domain.registration import Registration
from domain.sealing import (
    KeyRing,
    LeftSealed,
    PendingKeys,
    SealedPersonal,
    SealingMapper,
)
from domain.transcodings import register_domain_transcodings
from domain.values import (
    ActivityKind,
    Actor,
    EducationStatus,
    ErasureReason,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Region,
    Service,
    Step,
)
from domain.zone import local_date

REFERENCE_ATTEMPTS = 20
CaseEvent = Case.Event | Case.Registered
# get_case(as_of=...): a case of up to this many events is replayed from its
# first; in a longer one, the version in force is searched for (domain/as_of.py).
AS_OF_REPLAY_UP_TO = 60
_save_records: ContextVar[dict[str, Any]] = ContextVar("save_records", default={})  # noqa: B039


@dataclass(frozen=True)
class Result:
    """A command's outcome: the case as it now is, and the log position reached."""

    case: Case
    log_position: int


def sealing_mapper(keyring: Callable[[], KeyRing]) -> SealingMapper:
    """The mapper of Dossier's events: JSON with the domain's transcodings, and
    personal values sealed under their case's key from ``keyring``."""
    transcoder = JSONTranscoder()
    register_domain_transcodings(transcoder)
    transcoder.register(SealedPersonal(keyring))
    return SealingMapper(transcoder=transcoder)


@runtime_checkable
class PositionedRecorder(Protocol):
    """A recorder that can say where one aggregate's event stands in the log."""

    def position_of(self, originator_id: UUID, version: int) -> int: ...


class CaseService(Application[UUID]):
    """Dossier's event-sourced application: cases, consultants, references."""

    name = "dossier"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Case: 50,
        ReferenceCounter: 10,
    }

    def __init__(
        self,
        env: EnvType | None = None,
        *,
        keyring_factory: Callable[[ApplicationRecorder], KeyRing],
        infrastructure: Callable[[Environment], InfrastructureFactory[Any]]
        | None = None,
        clock: Clock | None = None,
        calendar: WorkingDayCalendar | None = None,
        intake_norm_weeks: int = 6,
        report_failure: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.clock = clock or Clock()
        # Told what failed after events were committed (the domain does not log).
        self.report_failure = report_failure or (lambda _what, _error: None)
        self.calendar = calendar or WorkingDayCalendar()
        self.intake_norm_weeks = intake_norm_weeks
        self._keyring: KeyRing | None = None
        self._registering = threading.RLock()
        self._listeners: list[Callable[[int], None]] = []
        self._infrastructure = infrastructure
        super().__init__(env)
        self._keyring = keyring_factory(self.recorder)

    # --- wiring -------------------------------------------------------------------

    def add_listener(self, listener: Callable[[int], None]) -> None:
        """Be told the log position after every save in this process."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings and self._listeners:
            position = max(r.notification.id for r in recordings)
            for listener in self._listeners:
                try:
                    listener(position)
                except Exception as error:  # the events are committed
                    self.report_failure("save_listener", error)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """A command is answered by what was recorded: once its events are
        committed, a failing snapshot (the database gone a moment later) is
        reported, never an error. A missing snapshot only makes loads longer;
        the next interval takes one again."""
        try:
            super()._take_snapshots(processing_event)
        except Exception as error:
            self.report_failure("snapshot", error)

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The store's infrastructure as the composition root chose it in code;
        the library's choice from the environment when none was given."""
        if self._infrastructure is None:
            return super().construct_factory(env)
        return self._infrastructure(env)

    @property
    def keyring(self) -> KeyRing:
        assert self._keyring is not None, "keyring is bound after construction"
        return self._keyring

    def construct_mapper(self) -> Mapper[UUID]:
        return sealing_mapper(lambda: self.keyring)

    # --- cases: commands ----------------------------------------------------------

    @staticmethod
    def new_case_id() -> UUID:
        return uuid4()

    def register(
        self, registration: Registration, *, by: Actor, case_id: UUID | None = None
    ) -> Result:
        """Register a case (aanmelding) under a new unique reference."""
        check_permitted(by, Command.REGISTER)
        now = self.clock.now()
        registration.check(local_date(now))
        for attempt in range(REFERENCE_ATTEMPTS):
            try:
                # One registration at a time per process; across processes
                # (several API replicas) the counter's version decides.
                with self._registering:
                    return self._register_once(
                        registration, by, now, case_id or uuid4()
                    )
            except DuplicateRequest:
                raise
            except ConcurrentUpdate:
                # Another process drew the same number: back off, draw again.
                time.sleep(random.uniform(0, 0.002) * (attempt + 1))  # noqa: S311
        raise ConcurrentUpdate("could not draw a unique case reference; try again")

    def _register_once(
        self, registration: Registration, by: Actor, now: datetime, case_id: UUID
    ) -> Result:
        counter = self._reference_counter(local_date(now).year, now)
        reference = counter.issue(now)
        case = Case.register(
            case_id=case_id,
            reference=reference,
            registration=registration,
            by=by,
            now=now,
        )
        index = CaseReference.create(reference, case_id, now)
        key = self.keyring.new_key()
        with PendingKeys({case_id: key}):
            # The case last, so the position reached is its own event's.
            position = self.save_changes(
                counter, index, case, new_case_keys={case_id: key}
            )
        return Result(case, position)

    def _reference_counter(self, year: int, now: datetime) -> ReferenceCounter:
        try:
            return cast(
                ReferenceCounter,
                self.repository.get(ReferenceCounter.id_for(year)),
            )
        except AggregateNotFoundError:
            return ReferenceCounter.start(year, now)

    def record_prerequisite(
        self,
        case_id: UUID,
        step: Step,
        on: date,
        note: str | None,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.RECORD_PREREQUISITE,
            by,
            expected_version,
            lambda case, now: case.record_prerequisite(step, on, note, by=by, now=now),
        )

    def waive_prerequisite(
        self,
        case_id: UUID,
        step: Step,
        reason: str,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.WAIVE_PREREQUISITE,
            by,
            expected_version,
            lambda case, now: case.waive_prerequisite(step, reason, by=by, now=now),
        )

    def decide_intake(
        self,
        case_id: UUID,
        decision: IntakeDecision,
        reason: str | None = None,
        referred_to: ReferredTo | None = None,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.DECIDE_INTAKE,
            by,
            expected_version,
            lambda case, now: case.decide_intake(
                decision, reason, referred_to, by=by, now=now
            ),
        )

    def assign(
        self,
        case_id: UUID,
        consultant_id: UUID,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        consultant = self.get_consultant(consultant_id)
        return self._command(
            case_id,
            Command.ASSIGN,
            by,
            expected_version,
            lambda case, now: case.assign(
                consultant.id,
                Service(consultant.kind),
                consultant.active,
                by=by,
                now=now,
            ),
        )

    def record_activity(
        self,
        case_id: UUID,
        kind: ActivityKind,
        on: date,
        summary: str,
        parties: Iterable[str] = (),
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.RECORD_ACTIVITY,
            by,
            expected_version,
            lambda case, now: case.record_activity(
                kind, on, summary, list(parties), by=by, now=now
            ),
        )

    def suspend(
        self,
        case_id: UUID,
        reason: str,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.SUSPEND,
            by,
            expected_version,
            lambda case, now: case.suspend(reason, by=by, now=now),
        )

    def resume(
        self,
        case_id: UUID,
        reason: str | None = None,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.RESUME,
            by,
            expected_version,
            lambda case, now: case.resume(reason, by=by, now=now),
        )

    def close_case(
        self,
        case_id: UUID,
        outcome: Outcome,
        education_status: EducationStatus,
        summary: str,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.CLOSE,
            by,
            expected_version,
            lambda case, now: case.close(
                outcome, education_status, summary, by=by, now=now
            ),
        )

    def withdraw(
        self,
        case_id: UUID,
        reason: str,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.WITHDRAW,
            by,
            expected_version,
            lambda case, now: case.withdraw(reason, by=by, now=now),
        )

    def reopen(
        self,
        case_id: UUID,
        reason: str,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.REOPEN,
            by,
            expected_version,
            lambda case, now: case.reopen(reason, by=by, now=now),
        )

    def erase_personal_data(
        self,
        case_id: UUID,
        reason: ErasureReason,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        """Record the erasure, then destroy the case's key (crypto-shredding).

        The record comes first so that an erasure is never silent. Should the
        key's destruction fail after it (the store went away), the same command
        given again finishes it: on a case whose erasure is recorded but whose
        key survived, it destroys the key and records nothing more.
        """
        check_permitted(by, Command.ERASE_PERSONAL_DATA)
        case = self.get_case(case_id)
        if case.erased and self.keyring.key_for(case_id) is not None:
            self.keyring.destroy(case_id)
            return Result(
                self.get_case(case_id), self.recorder.max_notification_id() or 0
            )
        result = self._command(
            case_id,
            Command.ERASE_PERSONAL_DATA,
            by,
            expected_version,
            lambda case, now: case.erase_personal_data(reason, by=by, now=now),
        )
        self.keyring.destroy(case_id)
        return Result(self.get_case(case_id), result.log_position)

    def _command(
        self,
        case_id: UUID,
        command: Command,
        by: Actor,
        expected_version: int | None,
        act: Callable[[Case, datetime], None],
    ) -> Result:
        check_permitted(by, command)
        case = self.get_case(case_id)
        if expected_version is not None and case.version != expected_version:
            raise VersionMismatch(
                f"the case is at version {case.version}, not {expected_version}"
            )
        act(case, self.clock.now())
        return Result(case, self.save_changes(case))

    @contextmanager
    def recording(self, **records: Any) -> Iterator[None]:
        """Commands given inside record these too, in their events' transaction
        (the stores' business: for example an HTTP request's idempotency key)."""
        token = _save_records.set({**_save_records.get(), **records})
        try:
            yield
        finally:
            _save_records.reset(token)

    def save_changes(self, *aggregates: Any, **kwargs: Any) -> int:
        """Save aggregates in one transaction; a conflict is the domain's error."""
        kwargs = {**_save_records.get(), **kwargs}
        try:
            recordings = self.save(*aggregates, **kwargs)
        except IntegrityError:
            # (A repeated Idempotency-Key is the recorder's DuplicateRequest.)
            raise ConcurrentUpdate(
                "the case was changed by someone else at the same time; "
                "reload it and try again"
            ) from None
        if not recordings:
            return self.recorder.max_notification_id() or 0
        return max(r.notification.id for r in recordings)

    # --- cases: queries -------------------------------------------------------------

    def get_case(
        self,
        case_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Case:
        """The case now, at a version, or as it stood at a moment."""
        if as_of is not None:
            return self._case_as_of(case_id, as_of)
        try:
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

    def _case_replayed_until(self, case_id: UUID, as_of: datetime) -> Case:
        """Every event from the first, up to the first recorded after ``as_of``."""
        case: Case | None = None
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
        events = list(self.events.get(case_id))
        if not events or not isinstance(events[0], Case.Registered):
            raise CaseNotFound(f"no case {case_id}")
        return [history_entry(e) for e in events]

    # --- consultants ----------------------------------------------------------------

    def register_consultant(
        self, name: str, region: Region, kind: Service, capacity: int, *, by: Actor
    ) -> Consultant:
        check_permitted(by, Command.MANAGE_CONSULTANTS)
        consultant = Consultant.register(
            name=name,
            region=region,
            kind=kind,
            capacity=capacity,
            by=by,
            now=self.clock.now(),
        )
        self.save_changes(consultant)
        return consultant

    def update_consultant(
        self,
        consultant_id: UUID,
        *,
        by: Actor,
        name: str | None = None,
        region: Region | None = None,
        capacity: int | None = None,
        active: bool | None = None,
    ) -> Consultant:
        check_permitted(by, Command.MANAGE_CONSULTANTS)
        consultant = self.get_consultant(consultant_id)
        consultant.update(
            name=name,
            region=region,
            capacity=capacity,
            active=active,
            by=by,
            now=self.clock.now(),
        )
        self.save_changes(consultant)
        return consultant

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
