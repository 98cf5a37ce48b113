"""Dossier's eventsourcing Application on its stores: the wiring under CaseService.

The clock and calendar, the keyring that seals personal values, the store the
composition root chose, listeners told of every save, and saving in one
transaction. ``CaseService`` (domain/service.py) is the class to use; this one
and ``ServiceReads`` (domain/reads.py) are its layers, never built alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
)
from eventsourcing.utils import Environment, EnvType

from domain.calendar import WorkingDayCalendar
from domain.clock import Clock
from domain.errors import ConcurrentUpdate
from domain.reference import ReferenceCounter
from domain.sealing import KeyRing, SealedPersonal
from domain.sealing_mapper import SealingMapper
from domain.transcodings import register_domain_transcodings

_save_records: ContextVar[dict[str, Any]] = ContextVar("save_records", default={})  # noqa: B039


def sealing_mapper(keyring: Callable[[], KeyRing]) -> SealingMapper:
    """The mapper of Dossier's events: JSON with the domain's transcodings, and
    personal values sealed under their case's key from ``keyring``."""
    transcoder = JSONTranscoder()
    register_domain_transcodings(transcoder)
    personal = SealedPersonal(keyring)
    transcoder.register(personal)
    return SealingMapper(transcoder, personal)


class DossierApplication(Application[UUID]):
    """The application's wiring: what every command and read stands on."""

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
        # Held by CaseService.register: one registration at a time per process.
        self._registering = threading.RLock()
        # The year's reference counter as this process last saved it (under
        # ``_registering``); dropped whenever a registration fails.
        self._counters: dict[int, ReferenceCounter] = {}
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

    # --- saving ---------------------------------------------------------------------

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
