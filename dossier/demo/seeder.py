"""The demo seeder: plans every case, then gives all their commands in one time
order with the clock set to each command's moment."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.service import CaseService
from domain.values import Region, Service
from domain.zone import local_date
from dossier.demo.actions import Action, SeededCase, SeededConsultant, Seeder
from dossier.demo.clock import SettableClock, as_utc
from dossier.demo.planner import Planner
from dossier.demo.registrations import DemoRegistrations
from dossier.demo.summary import DemoSummary
from dossier.demo.tables import (
    ADULT_NAMES,
    CAPACITY,
    COORDINATORS,
    POPULATION,
    ZORG_SHARE,
)


@dataclass(order=True)
class PlannedStep:
    at: datetime
    case: int
    seq: int
    action: Action = field(compare=False)


def _allocate(total: int, weights: dict[Region, int]) -> dict[Region, int]:
    """``total`` split in proportion to ``weights`` (largest remainder)."""
    whole = sum(weights.values())
    shares = {r: total * w / whole for r, w in weights.items()}
    counts = {r: int(s) for r, s in shares.items()}
    by_remainder = sorted(weights, key=lambda r: counts[r] - shares[r])
    for r in by_remainder[: total - sum(counts.values())]:
        counts[r] += 1
    return counts


def seed(
    service: CaseService,
    clock: SettableClock,
    *,
    cases: int = 1600,
    consultants: int = 49,
    seed: int = 2026,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Record ``consultants`` consultants and ``cases`` cases registered over the
    12 months before ``end`` (default: now), each taken as far as it would have
    got by then. ``service`` must have been built with ``clock``.

    ``progress`` is called with the number of cases fully recorded so far.
    The same ``seed`` and ``end`` give the same data.
    """
    if cases < 1:
        raise ValueError("cases must be at least 1")
    if consultants < 2:
        raise ValueError("consultants must be at least 2 (one of each kind)")
    if service.clock is not clock:
        raise ValueError("the service must be built with the seeder's clock")
    started = time.monotonic()
    end = datetime.now(tz=UTC) if end is None else as_utc(end)
    if end > datetime.now(tz=UTC):
        raise ValueError("end lies in the future")
    # Not for secrets: a seeded generator, so that a seed gives the same data.
    rng = random.Random(seed)  # noqa: S311
    calendar = service.calendar
    planner = Planner(rng, calendar)
    people = DemoRegistrations(rng)
    events_before = service.recorder.max_notification_id() or 0

    first_day = local_date(end) - timedelta(days=365)
    team = _register_consultants(
        service,
        clock,
        planner,
        people,
        consultants,
        planner.moment_on(planner.working_day(first_day - timedelta(days=30))),
    )

    # Plan every case, then give all commands in time order.
    planned: list[PlannedStep] = []
    seeded: list[SeededCase] = []
    for index, day in enumerate(
        planner.registration_days(first_day, local_date(end), cases)
    ):
        registered_at = planner.moment_on(day)
        registration = people.registration(day)
        steps = [
            (at, a) for at, a in planner.plan(registered_at, registration) if at <= end
        ]
        case = SeededCase(index, registration, steps_left=len(steps))
        seeded.append(case)
        planned.extend(
            PlannedStep(at, index, seq, action)
            for seq, (at, action) in enumerate(steps)
        )
    planned.sort()

    seeder = Seeder(service, rng, team)
    done = 0
    for step in planned:
        case = seeded[step.case]
        clock.set(step.at)
        step.action(seeder, case)
        case.steps_left -= 1
        if case.steps_left == 0:
            done += 1
            if progress is not None:
                progress(done)

    events_after = service.recorder.max_notification_id() or 0
    return DemoSummary(
        cases=len(seeded),
        consultants=len(team),
        by_status=dict(Counter(str(c.status) for c in seeded).most_common()),
        by_region=dict(
            Counter(str(c.registration.region) for c in seeded).most_common()
        ),
        by_category=dict(
            Counter(str(c.registration.category) for c in seeded).most_common()
        ),
        events=events_after - events_before,
        seconds=time.monotonic() - started,
        first_registration=planned[0].at if planned else None,
        end=end,
    )


def _register_consultants(
    service: CaseService,
    clock: SettableClock,
    planner: Planner,
    people: DemoRegistrations,
    total: int,
    at: datetime,
) -> list[SeededConsultant]:
    """``total`` consultants over the provinces by population; about 8 in 49 are
    onderwijszorgconsulent, one each in the largest provinces that have two or more."""
    rng = planner.rng
    per_region = _allocate(total, POPULATION)
    zorg_total = max(1, round(total * ZORG_SHARE))
    zorg_regions = [r for r in POPULATION if per_region[r] >= 2] or [
        r for r in POPULATION if per_region[r] >= 1
    ]
    zorg: Counter[Region] = Counter(
        zorg_regions[i % len(zorg_regions)] for i in range(zorg_total)
    )
    team: list[SeededConsultant] = []
    for region in POPULATION:
        for n in range(per_region[region]):
            kind = (
                Service.ONDERWIJSZORGCONSULENT
                if n < zorg[region]
                else Service.ONDERWIJSCONSULENT
            )
            capacity = rng.randint(*CAPACITY)
            clock.set(at + timedelta(minutes=len(team)))
            consultant = service.register_consultant(
                people.person(ADULT_NAMES),
                region,
                kind,
                capacity,
                by=rng.choice(COORDINATORS),
            )
            team.append(
                SeededConsultant(len(team), consultant.id, region, kind, capacity)
            )
    return team
