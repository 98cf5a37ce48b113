"""The application service: one method per command (load, one aggregate call, save).

``CaseService`` is the application's whole surface. Its commands are here; it
stands on two layers: its reads (domain/reads.py: ``get_case``, as of a moment,
``history``, ``deadlines``) and its wiring (domain/application.py: the stores,
the keyring, listeners, ``save_changes``). The rules the commands apply live in
the aggregates.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.case import Case
from domain.consultant import Consultant
from domain.destruction import DestructionList
from domain.errors import ConcurrentUpdate, DuplicateRequest, VersionMismatch
from domain.permissions import Command, check_permitted
from domain.records import RecordsCommands
from domain.reference import CaseReference, ReferenceCounter
from domain.registration import Registration
from domain.sealing import PendingKeys
from domain.values import (
    ActivityKind,
    Actor,
    EducationStatus,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Outcome,
    ReferredTo,
    Region,
    Service,
    Step,
)
from domain.zone import local_date

REFERENCE_ATTEMPTS = 20


@dataclass(frozen=True)
class Result:
    """A command's outcome: the case as it now is, and the log position reached."""

    case: Case
    log_position: int


class CaseService(RecordsCommands):
    """Dossier's event-sourced application: cases, consultants, references."""

    name = "dossier"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Case: 50,
        ReferenceCounter: 10,
        # A list of 10,000 cases has as many events; its snapshot is large.
        DestructionList: 1000,
    }

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
        year = local_date(now).year
        # The counter this process saved last needs no reading back; when another
        # process issued a number since, the save meets its version and fails
        # (ConcurrentUpdate), and the next attempt reads the counter afresh.
        counter = self._counters.pop(year, None) or self._reference_counter(year, now)
        result = self._register_with(counter, registration, by, now, case_id)
        self._counters[year] = counter
        return result

    def _register_with(
        self,
        counter: ReferenceCounter,
        registration: Registration,
        by: Actor,
        now: datetime,
        case_id: UUID,
    ) -> Result:
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
                counter,
                index,
                case,
                new_case_keys=self.keyring.stored({case_id: key}),
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

    def place_legal_hold(
        self,
        case_id: UUID,
        reason: HoldReason,
        reference: str | None = None,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.PLACE_LEGAL_HOLD,
            by,
            expected_version,
            lambda case, now: case.place_legal_hold(reason, reference, by=by, now=now),
        )

    def lift_legal_hold(
        self,
        case_id: UUID,
        reason: LiftReason,
        reference: str | None = None,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        return self._command(
            case_id,
            Command.LIFT_LEGAL_HOLD,
            by,
            expected_version,
            lambda case, now: case.lift_legal_hold(reason, reference, by=by, now=now),
        )

    def erase_personal_data(
        self,
        case_id: UUID,
        reason: ErasureReason,
        *,
        by: Actor,
        expected_version: int | None = None,
    ) -> Result:
        """Record the erasure and its certificate (a destruction list of one
        case, domain/records.py), then destroy the case's key (crypto-shredding).

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
        if expected_version is not None and case.version != expected_version:
            raise VersionMismatch(
                f"the case is at version {case.version}, not {expected_version}"
            )
        position = self.erase_with_certificate(case, reason, by=by)
        return Result(self.get_case(case_id), position)

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
        expected_version: int | None = None,
    ) -> Consultant:
        check_permitted(by, Command.MANAGE_CONSULTANTS)
        consultant = self.get_consultant(consultant_id)
        if expected_version is not None and consultant.version != expected_version:
            raise VersionMismatch(
                f"the consultant is at version {consultant.version},"
                f" not {expected_version}"
            )
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
