"""The deadline clocks of a case, computed purely from its Timeline and a calendar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.calendar import WorkingDayCalendar
from domain.timeline import Pause, Timeline

FIRST_CONTACT_WORKING_DAYS = 5
THUISZITTER_MONTHS = 3
GPO_WINDOW_DAYS = 42
INTAKE_AT_RISK_DAYS = 7
THUISZITTER_AT_RISK_DAYS = 14
GPO_AT_RISK_DAYS = 7


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    AT_RISK = "at_risk"
    MET = "met"
    MISSED = "missed"
    # The case ended before the clock's own event and before its due date
    # (closed without any contact, withdrawn before intake): neither met nor
    # missed, and no longer running.
    ENDED = "ended"


@dataclass(frozen=True)
class Deadline:
    """One clock of a case: when it started, when it is due, and where it stands.

    ``met_on`` is the day the event that stops the clock happened (also when that
    was too late); it is None while the clock runs, and when the case ended
    without that event.
    """

    name: str
    started_on: date
    due: date | None  # None while an open suspension has stopped the clock
    state: ClockState
    met_on: date | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "started_on": self.started_on.isoformat(),
            "due": None if self.due is None else self.due.isoformat(),
            "state": str(self.state),
            "met_on": None if self.met_on is None else self.met_on.isoformat(),
        }


def add_months(d: date, months: int) -> date:
    """The same day of the month ``months`` later, clamped to that month's end."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (first_of_next - timedelta(days=1)).day
    return date(year, month + 1, min(d.day, last_day))


def days_at_home(t: Timeline, today: date) -> int | None:
    """Calendar days the pupil has been at home, up to the case's end or today.

    A fact rather than a clock, so a suspension does not pause it; never negative.
    """
    if t.at_home_since is None:
        return None
    until = t.ended_on if t.ended_on is not None else today
    return max(0, (until - t.at_home_since).days)


def _until(pauses: Sequence[Pause], stopped_on: date) -> tuple[Pause, ...]:
    """The pauses as they were when the clock stopped on ``stopped_on``.

    A suspension after the clock stopped cannot move its due date, and one still
    open then is cut off there, so a stopped clock always has a due date.
    """
    return tuple(
        Pause(p.start, stopped_on if p.end is None else min(p.end, stopped_on))
        for p in pauses
        if p.start < stopped_on
    )


def _stopped(
    name: str, started_on: date, due: date | None, stopped_on: date, met_on: date | None
) -> Deadline:
    """A clock that no longer runs: stopped by its own event (``met_on``), met
    or missed by its date; or by the case's end without that event, which misses
    it only when the due date had already passed (else: ended)."""
    # With the pauses cut off by _until the due date is always known; None would
    # mean the clock was paused when it stopped, so it never ran out.
    on_time = due is None or stopped_on <= due
    if met_on is None:
        state = ClockState.ENDED if on_time else ClockState.MISSED
    else:
        state = ClockState.MET if on_time else ClockState.MISSED
    return Deadline(name, started_on, due, state, met_on)


def _open_state(due: date | None, today: date, at_risk: bool) -> ClockState:
    if due is None:
        return ClockState.PAUSED
    if today > due:
        return ClockState.MISSED
    return ClockState.AT_RISK if at_risk else ClockState.RUNNING


def _calendar_clock(
    name: str,
    started_on: date,
    days: int,
    t: Timeline,
    calendar: WorkingDayCalendar,
    today: date,
    *,
    at_risk_days: int,
    stopped_on: date | None,
    met_on: date | None,
) -> Deadline:
    """A clock of ``days`` calendar days from ``started_on``, pushed by pauses."""
    if stopped_on is not None:
        pauses = _until(t.pauses, stopped_on)
        due = calendar.add_calendar_days_paused(started_on, days, pauses)
        return _stopped(name, started_on, due, stopped_on, met_on)
    due = calendar.add_calendar_days_paused(started_on, days, t.pauses)
    at_risk = due is not None and (due - today).days <= at_risk_days
    return Deadline(name, started_on, due, _open_state(due, today, at_risk))


def _intake(
    t: Timeline, calendar: WorkingDayCalendar, today: date, norm_weeks: int
) -> Deadline:
    decided = t.intake_decided_on
    return _calendar_clock(
        "intake",
        t.registered_on,
        norm_weeks * 7,
        t,
        calendar,
        today,
        at_risk_days=INTAKE_AT_RISK_DAYS,
        stopped_on=decided if decided is not None else t.ended_on,
        met_on=decided,
    )


def _first_contact(
    t: Timeline,
    assigned_on: date,
    calendar: WorkingDayCalendar,
    today: date,
    at_risk_working_days: int,
) -> Deadline:
    name = "first_contact"
    contact = t.first_activity_on
    stopped_on = contact if contact is not None else t.ended_on
    if stopped_on is not None:
        pauses = _until(t.pauses, stopped_on)
        due = calendar.add_working_days(assigned_on, FIRST_CONTACT_WORKING_DAYS, pauses)
        return _stopped(name, assigned_on, due, stopped_on, contact)
    due = calendar.add_working_days(assigned_on, FIRST_CONTACT_WORKING_DAYS, t.pauses)
    at_risk = (
        due is not None
        and calendar.working_days_between(today, due, t.pauses) <= at_risk_working_days
    )
    return Deadline(name, assigned_on, due, _open_state(due, today, at_risk))


def compute_deadlines(
    t: Timeline,
    calendar: WorkingDayCalendar,
    today: date,
    *,
    intake_norm_weeks: int = 6,
    at_risk_working_days: int = 2,
) -> tuple[Deadline, ...]:
    """Every clock that applies to the case, in a fixed order, as of ``today``.

    Clocks that do not apply (no assignment yet, pupil not at home, no school
    decision) are left out rather than reported as not applicable.
    """
    deadlines = [_intake(t, calendar, today, intake_norm_weeks)]
    if t.assigned_on is not None:
        deadlines.append(
            _first_contact(t, t.assigned_on, calendar, today, at_risk_working_days)
        )
    if t.at_home_since is not None:
        # The span is measured in months on the calendar, then counted in days so
        # that pauses push it exactly as they push the other calendar-day clocks.
        span = add_months(t.at_home_since, THUISZITTER_MONTHS) - t.at_home_since
        deadlines.append(
            _calendar_clock(
                "thuiszitter_3_months",
                t.at_home_since,
                span.days,
                t,
                calendar,
                today,
                at_risk_days=THUISZITTER_AT_RISK_DAYS,
                # The case's end is not the pupil's return to school.
                stopped_on=t.ended_on,
                met_on=None,
            )
        )
    if t.school_decision_on is not None:
        deadlines.append(
            _calendar_clock(
                "gpo_window",
                t.school_decision_on,
                GPO_WINDOW_DAYS,
                t,
                calendar,
                today,
                at_risk_days=GPO_AT_RISK_DAYS,
                # Nothing in a case's life files with the Geschillencommissie.
                stopped_on=t.ended_on,
                met_on=None,
            )
        )
    return tuple(deadlines)
