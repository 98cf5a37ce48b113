"""Dates and a case's Timeline as text: how the read models store them.

Days are ISO dates in TEXT columns (None stays NULL). The case list and the
deadlines keep each case's ``Timeline`` (moved on by ``next_timeline``) in a
TEXT column, as JSON with ISO dates.
"""

from __future__ import annotations

import json
from datetime import date

from domain.timeline import Pause, Timeline


def iso_day(d: date | None) -> str | None:
    """A day as stored: ``2026-11-02``, or None."""
    return d.isoformat() if d else None


def day_from_iso(value: str | None) -> date | None:
    """A stored day back (None or "" stays None)."""
    return date.fromisoformat(value) if value else None


def timeline_to_json(t: Timeline) -> str:
    day = iso_day
    return json.dumps(
        {
            "registered_on": day(t.registered_on),
            "at_home_since": day(t.at_home_since),
            "school_decision_on": day(t.school_decision_on),
            "intake_decided_on": day(t.intake_decided_on),
            "assigned_on": day(t.assigned_on),
            "first_activity_on": day(t.first_activity_on),
            "ended_on": day(t.ended_on),
            "pauses": [[day(p.start), day(p.end)] for p in t.pauses],
        }
    )


def timeline_from_json(text: str) -> Timeline:
    data = json.loads(text)
    day = day_from_iso
    registered_on = day(data["registered_on"])
    assert registered_on is not None
    return Timeline(
        registered_on=registered_on,
        at_home_since=day(data["at_home_since"]),
        school_decision_on=day(data["school_decision_on"]),
        intake_decided_on=day(data["intake_decided_on"]),
        assigned_on=day(data["assigned_on"]),
        first_activity_on=day(data["first_activity_on"]),
        ended_on=day(data["ended_on"]),
        pauses=tuple(
            Pause(start, day(end))
            for start, end in ((day(s), e) for s, e in data["pauses"])
            if start is not None
        ),
    )
