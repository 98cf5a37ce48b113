"""The demo's planner: what happens to each case and when."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from domain.calendar import WorkingDayCalendar
from domain.prerequisites import required_steps
from domain.registration import Registration
from domain.values import ActivityKind, Category, IntakeDecision, Step
from domain.zone import AMSTERDAM, local_date
from dossier.demo import actions as act
from dossier.demo.actions import Action
from dossier.demo.tables import (
    EDUCATION_AT_CLOSING,
    MONTH_WEIGHT,
    NOT_ADMISSIBLE,
    OUTCOMES,
    P_INADMISSIBLE,
    P_REASSIGNED,
    P_REFERRED,
    P_REOPENED,
    P_SUSPENDED,
    P_WAIVE_SCHOOL,
    P_WAIVE_SWV,
    P_WITHDRAWN,
    PREREQUISITE_NOTES,
    REFERRED,
    REOPEN_REASONS,
    SUSPEND_REASONS,
    WAIVER_REASONS,
    WITHDRAW_REASONS,
    pick,
)


class Planner:
    """Draws the moment of every command of a case, from registration to closing."""

    def __init__(self, rng: random.Random, calendar: WorkingDayCalendar) -> None:
        self.rng = rng
        self.calendar = calendar

    # moments

    def working_day(self, day: date) -> date:
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def moment_on(self, day: date, after: datetime | None = None) -> datetime:
        """A moment in office hours on ``day`` (Amsterdam), later than ``after``."""
        minutes = 8 * 60 + 30 + self.rng.randint(0, 9 * 60)
        local = datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM)
        moment = (local + timedelta(minutes=minutes)).astimezone(UTC)
        if after is not None and moment <= after:
            moment = after + timedelta(minutes=self.rng.randint(5, 90))
        return moment

    def days_later(self, after: datetime, low: int, high: int) -> datetime:
        """Some calendar days later, on a working day."""
        day = local_date(after) + timedelta(days=self.rng.randint(low, high))
        return self.moment_on(self.working_day(day), after)

    def working_days_later(self, after: datetime, n: int) -> datetime:
        day = self.calendar.add_working_days(local_date(after), n)
        assert day is not None  # without pauses there is always a day
        return self.moment_on(day, after)

    def registration_days(self, start: date, end: date, count: int) -> list[date]:
        """Working days in [start, end), drawn with the season's weights."""
        days = []
        day = start
        while day < end:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        weights = [MONTH_WEIGHT[d.month - 1] for d in days]
        return sorted(self.rng.choices(days, weights=weights, k=count))

    # registrations

    def plan(
        self, registered_at: datetime, r: Registration
    ) -> list[tuple[datetime, Action]]:
        """Every command of one case, with its moment, in order; ends when the
        case does. The caller drops what lies after the seeding's end."""
        rng = self.rng
        steps: list[tuple[datetime, Action]] = [(registered_at, act.register)]
        t = registered_at

        # Prerequisites: recorded by intake days to weeks after registration.
        required = required_steps(r.sector, r.school.cluster, r.receives_education)
        order = [Step.SCHOOL_CONVERSATION, Step.SAMENWERKINGSVERBAND_CONTACT]
        for i, step in enumerate(s for s in order if s in required):
            if i == 0:
                n = rng.randint(0, 5) if rng.random() < 0.7 else rng.randint(5, 25)
            else:
                n = rng.randint(0, 10)
            t = self.working_days_later(t, n) if n else self.moment_on(local_date(t), t)
            waive = P_WAIVE_SCHOOL if step == Step.SCHOOL_CONVERSATION else P_WAIVE_SWV
            if rng.random() < waive:
                steps.append((t, act.waive(step, rng.choice(WAIVER_REASONS[step]))))
            else:
                if rng.random() < 0.75:  # mostly before the aanmelding
                    on = local_date(registered_at) - timedelta(days=rng.randint(3, 60))
                else:
                    span = (local_date(t) - local_date(registered_at)).days
                    on = local_date(registered_at) + timedelta(rng.randint(0, span))
                steps.append(
                    (t, act.prerequisite(step, on, rng.choice(PREREQUISITE_NOTES)))
                )

        # Intake: the telephone intake after a wait of 6 to 7 weeks.
        wait = registered_at + timedelta(days=rng.triangular(18, 60, 40))
        t = self.moment_on(self.working_day(local_date(max(wait, t))), t)
        draw = rng.random()
        if draw < P_INADMISSIBLE:
            steps.append(
                (
                    t,
                    act.intake(
                        IntakeDecision.NOT_ADMISSIBLE, rng.choice(NOT_ADMISSIBLE)
                    ),
                )
            )
            return self.maybe_withdrawn(steps)
        if draw < P_INADMISSIBLE + P_REFERRED:
            to = pick(rng, {k: w for k, (w, _) in REFERRED.items()})
            steps.append((t, act.intake(IntakeDecision.REFERRED, REFERRED[to][1], to)))
            return self.maybe_withdrawn(steps)
        steps.append((t, act.intake(IntakeDecision.ADMISSIBLE)))

        # Assignment: thuiszitters go first in the region's queue.
        thuiszitter = r.category == Category.THUISZITTER
        t = self.working_days_later(
            t, rng.randint(1, 5) if thuiszitter else rng.randint(2, 15)
        )
        steps.append((t, act.assign))
        t = self.mediation(steps, t, r.category)

        if rng.random() < P_REOPENED:
            t = self.days_later(t, 10, 60)
            steps.append((t, act.reopen(rng.choice(REOPEN_REASONS))))
            t = self.working_days_later(t, rng.randint(2, 10))
            steps.append((t, act.assign))
            self.mediation(steps, t, r.category, short=True)
            return steps
        return self.maybe_withdrawn(steps)

    def mediation(
        self,
        steps: list[tuple[datetime, Action]],
        t: datetime,
        category: Category,
        *,
        short: bool = False,
    ) -> datetime:
        """First contact, further activities, perhaps a suspension or a
        reassignment, and the closing; returns the closing's moment."""
        rng = self.rng
        # First contact: the norm is 5 working days; most make it, some do not.
        n = rng.choices(range(1, 11), weights=(20, 20, 18, 14, 10, 6, 4, 3, 3, 2))[0]
        t = self.working_days_later(t, n)
        steps.append((t, act.activity(ActivityKind.CONTACT, first=True)))
        more = rng.randint(1, 3) if short else rng.randint(2, 8)
        suspend_after = rng.randint(1, more) if rng.random() < P_SUSPENDED else None
        reassign_after = 1 if not short and rng.random() < P_REASSIGNED else None
        for i in range(1, more + 1):
            if i == reassign_after:
                t = self.days_later(t, 5, 30)
                steps.append((t, act.assign))
            t = self.days_later(t, 3, 21)
            last = i == more
            if last:
                kind = (
                    ActivityKind.AGREEMENT
                    if rng.random() < 0.6
                    else ActivityKind.ADVICE
                )
            else:
                kind = rng.choice(
                    (ActivityKind.CONTACT, ActivityKind.MEETING, ActivityKind.ADVICE)
                )
            steps.append((t, act.activity(kind)))
            if i == suspend_after:
                t = self.days_later(t, 1, 5)
                steps.append((t, act.suspend(rng.choice(SUSPEND_REASONS))))
                t = self.days_later(t, 14, 90)
                steps.append((t, act.resume))
        t = self.days_later(t, 1, 14)
        outcome = pick(rng, OUTCOMES[category])
        steps.append((t, act.close(outcome, pick(rng, EDUCATION_AT_CLOSING[outcome]))))
        return t

    def maybe_withdrawn(
        self, steps: list[tuple[datetime, Action]]
    ) -> list[tuple[datetime, Action]]:
        """Now and then the requester withdraws, at any point before the end."""
        if len(steps) < 2 or self.rng.random() >= P_WITHDRAWN:
            return steps
        cut = self.rng.randint(1, len(steps) - 1)
        before, after = steps[cut - 1][0], steps[cut][0]
        between = before + (after - before) * self.rng.uniform(0.2, 0.9)
        at = self.moment_on(self.working_day(local_date(between)), before)
        if not before < at < after:  # no office hours left in between
            at = before + (after - before) / 2
        return [*steps[:cut], (at, act.withdraw(self.rng.choice(WITHDRAW_REASONS)))]
