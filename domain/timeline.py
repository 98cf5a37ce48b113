"""The dates of a case that its deadline clocks run on, kept by the Case aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date


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
