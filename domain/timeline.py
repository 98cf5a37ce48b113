"""The dates of a case that its deadline clocks run on, and how its events move them.

``next_timeline`` is a pure function of the dates before and the event, in the
spirit of ``next_status``: the Case aggregate keeps its ``Timeline`` with it,
and so does every read model that shows deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from domain.values import IntakeDecision
from domain.zone import local_date


@dataclass(frozen=True)
class Pause:
    """A suspension: from its first day up to (not including) the day it ended."""

    start: date
    end: date | None = None  # None while the case is still suspended


@dataclass(frozen=True)
class Timeline:
    """Dates (Europe/Amsterdam calendar days) taken from a case's events.

    The Case aggregate keeps one up to date as events apply, so every deadline
    is a pure function of the case's events (through this) and a calendar.
    """

    registered_on: date
    at_home_since: date | None = None
    school_decision_on: date | None = None
    intake_decided_on: date | None = None
    # The assignment that the first-contact clock runs from: the latest one made
    # while no activity had yet been recorded since (a reassignment before the
    # first contact restarts the clock for the new consultant).
    assigned_on: date | None = None
    first_activity_on: date | None = None
    ended_on: date | None = None  # closed, withdrawn, not admissible or referred
    pauses: tuple[Pause, ...] = field(default_factory=tuple)

    def suspended(self, on: date) -> Timeline:
        return replace(self, pauses=(*self.pauses, Pause(start=on)))

    def resumed(self, on: date) -> Timeline:
        if not self.pauses or self.pauses[-1].end is not None:
            return self
        last = self.pauses[-1]
        return replace(self, pauses=(*self.pauses[:-1], Pause(last.start, on)))


def next_timeline(timeline: Timeline | None, event: object) -> Timeline:
    """How each event moves the dates the deadline clocks run on: a pure function,
    shared by the aggregate and the read models that show deadlines."""
    # Imported here: domain.case imports this module to keep its timeline by it.
    from domain.case import Case

    if isinstance(event, Case.Registered):
        return Timeline(
            registered_on=local_date(event.timestamp),
            at_home_since=event.at_home_since,
            school_decision_on=event.school_decision_on,
        )
    assert timeline is not None, "a case's first event is Registered"
    t = timeline
    if not isinstance(event, Case.Event):
        return t
    day = local_date(event.timestamp)
    if isinstance(event, Case.IntakeDecided):
        t = replace(t, intake_decided_on=day)
        if event.decision != IntakeDecision.ADMISSIBLE:
            t = replace(t, ended_on=day)
    elif isinstance(event, Case.Assigned):
        if t.first_activity_on is None:
            t = replace(t, assigned_on=day)
    elif isinstance(event, Case.ActivityRecorded):
        if t.first_activity_on is None:
            t = replace(t, first_activity_on=event.on)
    elif isinstance(event, Case.Suspended):
        t = t.suspended(day)
    elif isinstance(event, Case.Resumed):
        t = t.resumed(day)
    elif isinstance(event, Case.Closed):
        t = replace(t, ended_on=day)
    elif isinstance(event, Case.Withdrawn):
        t = replace(t.resumed(day), ended_on=day)
    elif isinstance(event, Case.Reopened):
        t = replace(t, ended_on=None, assigned_on=None, first_activity_on=None)
    return t
