"""Bulk loading: many realistic cases through the aggregates, saved in batches.

For benchmarks and large demos (a million cases in minutes). Each case's life
is played on its aggregate with the domain's own command methods, so every
rule holds, but nothing is loaded back. Worker processes play and encode the
cases (sealing personal values under each case's new key); this process issues
their references in order and writes each batch (the cases, their reference
index entries, the year's counter events and the cases' keys) in one
transaction, by COPY on PostgreSQL, while the workers play the next batches.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from domain.application import sealing_mapper
from domain.case import Case
from domain.consultant import Consultant
from domain.reference import CaseReference, ReferenceCounter
from domain.registration import Registration, Requester, School
from domain.sealing import KeyRing, PendingKeys
from domain.service import CaseService
from domain.values import (
    ActivityKind,
    Actor,
    Category,
    Channel,
    EducationStatus,
    IntakeDecision,
    Outcome,
    Region,
    RequesterRole,
    Role,
    Sector,
    Service,
    Step,
)
from domain.zone import local_date
from dossier.demo.registrations import make_registration

INTAKE = Actor("bulk-intake", Role.INTAKE)
COORDINATOR = Actor("bulk-coordinator", Role.COORDINATOR)
PC4S = ("1011", "3011", "3511", "5611", "6511", "9711", "8011", "6211")

# Consultants by service, as (id, service) pairs a worker process can receive.
Staff = dict[Service, list[tuple[UUID, Service]]]
# One case to play: its reference, registration moment, random seed and whether
# it has settled (ended by now).
CaseSpec = tuple[str, datetime, int, bool]


@dataclass(frozen=True)
class BulkReport:
    cases: int
    events: int
    seconds: float

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


def load(
    service: CaseService,
    cases: int,
    *,
    batch: int = 500,
    seed: int = 1,
    start: datetime | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkReport:
    """Record ``cases`` cases with 5 to 40 events each; returns what it stored.

    ``workers`` processes play and encode the cases (default: one per CPU;
    0 plays them in this process). The same seed on the same store gives the
    same cases; loading again adds new ones. They
    are registered from ``start``, by default so that they end before today.
    """
    # The store's head too, so that loading again (after an interruption, or
    # more cases) draws new case ids: the same seed on the same store gives
    # the same cases.
    head = service.recorder.max_notification_id() or 0
    rng = random.Random(f"{seed}:{head}")  # noqa: S311 — made-up data, not secrets
    moment = start or _default_start(cases)
    last = moment + cases * MEAN_GAP  # about when the last case is registered
    staff = _consultants(service, moment)
    counters: dict[int, ReferenceCounter] = {}
    began = time.monotonic()
    events = 0

    def batches() -> Iterator[tuple[list[CaseSpec], list[StoredEvent]]]:
        nonlocal moment
        done = 0
        while done < cases:
            specs: list[CaseSpec] = []
            for _ in range(min(batch, cases - done)):
                moment += timedelta(seconds=rng.randint(30, 600))
                year = local_date(moment).year
                counter = counters.get(year) or _counter(service, year, moment)
                counters[year] = counter
                settled = moment < last - SETTLED_AFTER
                specs.append(
                    (counter.issue(moment), moment, rng.getrandbits(64), settled)
                )
            issued = [
                service.mapper.to_stored_event(e)
                for counter in counters.values()
                for e in counter.collect_events()
            ]
            done += len(specs)
            yield specs, issued

    with _Players(staff, workers) as play:
        for (played, keys), issued in play(batches()):
            # Both of Dossier's recorders (storage.stores) have this path.
            service.recorder.insert_bulk(  # type: ignore[attr-defined]
                [*issued, *played], service.keyring.stored(keys)
            )
            events += len(issued) + len(played)
            if progress is not None:
                progress(len(keys))
    # Later registrations load each year's counter from its latest snapshot.
    assert service.snapshots is not None, "the service snapshots its counters"
    service.snapshots.put([Snapshot.take(c) for c in counters.values()])
    return BulkReport(cases, events, time.monotonic() - began)


Played = tuple[list[StoredEvent], dict[UUID, bytes]]
Player = Callable[
    [Iterator[tuple[list[CaseSpec], list[StoredEvent]]]],
    Iterator[tuple[Played, list[StoredEvent]]],
]


class _Players:
    """Plays batches of cases in worker processes, a few batches ahead of the
    writer, and yields the results in order (or plays them here, with 0)."""

    def __init__(self, staff: Staff, workers: int | None) -> None:
        self.staff = staff
        usable = len(os.sched_getaffinity(0))  # (a container's share, not the host's)
        self.workers = usable if workers is None else workers
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Player:
        if self.workers > 0:
            # Spawned, not forked: the parent holds database pools and threads.
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_player,
                initargs=(self.staff,),
            )
        else:
            _start_player(self.staff)
        return self._play

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def _play(
        self, work: Iterator[tuple[list[CaseSpec], list[StoredEvent]]]
    ) -> Iterator[tuple[Played, list[StoredEvent]]]:
        if self.pool is None:
            for specs, issued in work:
                yield _play_batch(specs), issued
            return
        ahead: list[tuple[Future[Played], list[StoredEvent]]] = []
        for specs, issued in work:
            ahead.append((self.pool.submit(_play_batch, specs), issued))
            if len(ahead) > 2 * self.workers:
                future, first = ahead.pop(0)
                yield future.result(), first
        for future, first in ahead:
            yield future.result(), first


class _NoKeyRing(KeyRing):
    """Workers only seal new cases, whose keys are pending: no store to ask."""

    def key_for(self, case_id: UUID) -> bytes | None:
        return None

    def destroy(self, case_id: UUID) -> None:
        raise NotImplementedError

    def stored(self, keys: dict[UUID, bytes]) -> dict[UUID, Any]:
        raise NotImplementedError  # the loader's own process wraps them


_player: dict[str, Any] = {}


def _start_player(staff: Staff) -> None:
    keyring = _NoKeyRing()
    _player["mapper"] = sealing_mapper(lambda: keyring)
    _player["staff"] = staff


def _play_batch(specs: list[CaseSpec]) -> Played:
    """Play and encode a batch of cases: their events and their new keys."""
    mapper: Mapper[UUID] = _player["mapper"]
    staff: Staff = _player["staff"]
    keys: dict[UUID, bytes] = {}
    aggregates: list[Any] = []
    for reference, moment, case_seed, settled in specs:
        rng = random.Random(case_seed)  # noqa: S311
        case = _play(rng, reference, staff, moment, settled)
        keys[case.id] = KeyRing.new_key()
        aggregates.append(CaseReference.create(reference, case.id, moment))
        aggregates.append(case)
    with PendingKeys(keys):
        stored = [
            mapper.to_stored_event(e) for a in aggregates for e in a.collect_events()
        ]
    return stored, keys


# Registrations are 30 to 600 seconds apart; a case's life lasts up to ~100 days.
MEAN_GAP = timedelta(seconds=315)
LONGEST_LIFE = timedelta(days=120)
# Cases registered this long before the last have ended.
SETTLED_AFTER = timedelta(days=365)


def _default_start(cases: int) -> datetime:
    """Early enough that the last case's life ends before today: events are
    recorded as they happen, never in the future. Midnight UTC, so a seed gives
    the same cases all day."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - cases * MEAN_GAP - LONGEST_LIFE


def _consultants(service: CaseService, moment: datetime) -> Staff:
    made = [
        Consultant.register(
            name=f"Consulent {kind.value[:8]} {n}",
            region=Region.NOORD_HOLLAND,
            kind=kind,
            capacity=40,
            by=COORDINATOR,
            now=moment,
        )
        for kind in Service
        for n in range(4)
    ]
    service.save_changes(*made)
    staff: Staff = {kind: [] for kind in Service}
    for c in made:
        staff[Service(c.kind)].append((c.id, Service(c.kind)))
    return staff


def _counter(service: CaseService, year: int, now: datetime) -> ReferenceCounter:
    try:
        found: ReferenceCounter = service.repository.get(ReferenceCounter.id_for(year))
    except AggregateNotFoundError:
        return ReferenceCounter.start(year, now)
    return found


def _registration(rng: random.Random, at: date) -> Registration:
    """Plain cases for volume, drawn in the order they always were (a seed keeps
    giving the same cases); the demo's maker places them."""
    pc4 = rng.choice(PC4S)
    sector = rng.choice([Sector.PO, Sector.PO, Sector.VO, Sector.VO, Sector.SO])
    category = rng.choice(list(Category))
    at_home = at - timedelta(days=rng.randint(20, 120))
    return make_registration(
        sector=sector,
        category=category,
        pc4=pc4,
        pupil_name="Leerling Bulk",
        birth_date=date(2012, 5, 5),
        channel=rng.choice(list(Channel)),
        requester=Requester(RequesterRole.PARENT, "Ouder Bulk", None, None),
        school=School("School", None, None),
        at_home_since=at_home if category == Category.THUISZITTER else None,
        receives_education=True,
        account="Bulk geladen casus.",
    )


def _play(
    rng: random.Random,
    reference: str,
    staff: Staff,
    start: datetime,
    settled: bool,
) -> Case:
    """A case's life from ``start``: open at any stage, or ended (closed, about
    a third; withdrawn; not admissible). A ``settled`` case, registered over a
    year before the last, has ended, as old cases have at the bureau."""
    now = start
    case = Case.register(
        case_id=UUID(int=rng.getrandbits(128), version=4),
        reference=reference,
        registration=_registration(rng, local_date(now)),
        by=INTAKE,
        now=now,
    )

    def later(hours: int = 30) -> datetime:
        nonlocal now
        now += timedelta(hours=rng.randint(1, hours))
        return now

    stage = rng.random()
    for step in Step:
        case.record_prerequisite(step, local_date(now), None, by=INTAKE, now=later())
    if stage < 0.1:
        if settled:
            case.withdraw("Ingetrokken.", by=INTAKE, now=later())
        return case
    if settled and stage < 0.2:
        case.decide_intake(
            IntakeDecision.NOT_ADMISSIBLE, "Geen vraag.", None, by=INTAKE, now=later()
        )
        return case
    case.decide_intake(IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later())
    if stage < 0.2:
        return case
    consultant_id, kind = rng.choice(staff[Service(case.service)])
    case.assign(consultant_id, kind, True, by=COORDINATOR, now=later())
    actor = Actor(str(consultant_id), Role.CONSULTANT)
    for _ in range(rng.randint(0, 32)):
        at = later(72)
        case.record_activity(
            rng.choice(list(ActivityKind)),
            local_date(at),
            "Gesprek.",
            [],
            by=actor,
            now=at,
        )
    if not settled and (stage < 0.5 or case.status != "in_mediation"):
        return case
    case.close(
        rng.choice(list(Outcome)),
        EducationStatus.ATTENDING,
        "Afgesloten.",
        by=actor,
        now=later(),
    )
    return case
