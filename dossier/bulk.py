"""Bulk loading: many realistic cases through the aggregates, saved in batches.

For benchmarks and large demos (a million cases in minutes). Each case's life
is played on its aggregate with the domain's own command methods, so every
rule holds, but without loading anything back: a batch of cases, their
reference index entries, the year's counter and their keys are saved in one
transaction.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.case import Case, local_date
from domain.consultant import Consultant
from domain.reference import CaseReference, ReferenceCounter
from domain.regions import suggest
from domain.registration import Pupil, Registration, Requester, School
from domain.sealing import PendingKeys
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

INTAKE = Actor("bulk-intake", Role.INTAKE)
COORDINATOR = Actor("bulk-coordinator", Role.COORDINATOR)
PC4S = ("1011", "3011", "3511", "5611", "6511", "9711", "8011", "6211")


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
    batch: int = 200,
    seed: int = 1,
    start: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkReport:
    """Record ``cases`` cases with 5 to 40 events each; returns what it stored."""
    rng = random.Random(seed)  # noqa: S311 — made-up data, not secrets
    moment = start or datetime(2025, 8, 1, 8, 0, tzinfo=UTC)
    consultants = {
        kind: [
            Consultant.register(
                name=f"Consulent {kind.value[:8]} {n}",
                region=Region.NOORD_HOLLAND,
                kind=kind,
                capacity=40,
                by=COORDINATOR,
                now=moment,
            )
            for n in range(4)
        ]
        for kind in Service
    }
    service.save_changes(*[c for group in consultants.values() for c in group])
    counters: dict[int, ReferenceCounter] = {}
    began = time.monotonic()
    events = 0
    done = 0
    while done < cases:
        size = min(batch, cases - done)
        aggregates: list[Any] = []
        keys: dict[UUID, bytes] = {}
        for _ in range(size):
            moment += timedelta(seconds=rng.randint(30, 600))
            year = local_date(moment).year
            counter = counters.get(year) or _counter(service, year, moment)
            counters[year] = counter
            case = _play(rng, counter, consultants, moment)
            keys[case.id] = service.keyring.new_key()
            index = CaseReference.create(case.reference, case.id, moment)
            events += len(case.pending_events) + 2
            aggregates.extend([case, index])
        with PendingKeys(keys):
            service.save_changes(*counters.values(), *aggregates, new_case_keys=keys)
        done += size
        if progress is not None:
            progress(size)
    return BulkReport(cases, events, time.monotonic() - began)


def _counter(service: CaseService, year: int, now: datetime) -> ReferenceCounter:
    try:
        found: ReferenceCounter = service.repository.get(ReferenceCounter.id_for(year))
    except AggregateNotFoundError:
        return ReferenceCounter.start(year, now)
    return found


def _registration(rng: random.Random, at: date) -> Registration:
    pc4 = rng.choice(PC4S)
    sector = rng.choice([Sector.PO, Sector.PO, Sector.VO, Sector.VO, Sector.SO])
    area = suggest(pc4, sector)
    assert area is not None
    assert area.region is not None
    category = rng.choice(list(Category))
    service = (
        Service.ONDERWIJSZORGCONSULENT
        if category == Category.ONDERWIJSZORGARRANGEMENT
        else Service.ONDERWIJSCONSULENT
    )
    at_home = at - timedelta(days=rng.randint(20, 120))
    return Registration(
        channel=rng.choice(list(Channel)),
        requester=Requester(RequesterRole.PARENT, "Ouder Bulk", None, None),
        consent_given=True,
        pupil=Pupil("Leerling Bulk", date(2012, 5, 5), area.municipality, pc4),
        school=School("School", None, None),
        sector=sector,
        samenwerkingsverband=area.samenwerkingsverband,
        region=area.region,
        category=category,
        service=service,
        at_home_since=at_home if category == Category.THUISZITTER else None,
        receives_education=True,
        account="Bulk geladen casus.",
    )


def _play(
    rng: random.Random,
    counter: ReferenceCounter,
    consultants: dict[Service, list[Consultant]],
    start: datetime,
) -> Case:
    now = start
    reference = counter.issue(now)
    case = Case.register(
        case_id=uuid4(),
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
        return case
    case.decide_intake(IntakeDecision.ADMISSIBLE, None, None, by=INTAKE, now=later())
    if stage < 0.2:
        return case
    consultant = rng.choice(consultants[Service(case.service)])
    case.assign(
        consultant.id, Service(consultant.kind), True, by=COORDINATOR, now=later()
    )
    actor = Actor(str(consultant.id), Role.CONSULTANT)
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
    if stage < 0.5 or case.status != "in_mediation":
        return case
    case.close(
        rng.choice(list(Outcome)),
        EducationStatus.ATTENDING,
        "Afgesloten.",
        by=actor,
        now=later(),
    )
    return case
