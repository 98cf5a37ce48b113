"""How the domain's value types are written into stored events and snapshots."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

from domain.timeline import Pause, Timeline
from domain.values import Actor, Role


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor(
            user_id=data["user_id"],
            role=Role(data["role"]),
            request_id=data.get("request_id"),
        )


class PauseAsList(Transcoding):
    type = Pause
    name = "pause"

    def encode(self, obj: Pause) -> list[date | None]:
        return [obj.start, obj.end]

    def decode(self, data: list[date | None]) -> Pause:
        start, end = data
        assert start is not None
        return Pause(start=start, end=end)


class TimelineAsDict(Transcoding):
    type = Timeline
    name = "timeline"

    def encode(self, obj: Timeline) -> dict[str, Any]:
        return {
            "registered_on": obj.registered_on,
            "at_home_since": obj.at_home_since,
            "school_decision_on": obj.school_decision_on,
            "intake_decided_on": obj.intake_decided_on,
            "assigned_on": obj.assigned_on,
            "first_activity_on": obj.first_activity_on,
            "ended_on": obj.ended_on,
            "pauses": list(obj.pauses),
        }

    def decode(self, data: dict[str, Any]) -> Timeline:
        return Timeline(**{**data, "pauses": tuple(data["pauses"])})


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    """Everything but personal data, whose sealing needs the key ring."""
    for transcoding in (
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        DateAsISO(),
        ActorAsDict(),
        PauseAsList(),
        TimelineAsDict(),
    ):
        transcoder.register(transcoding)
