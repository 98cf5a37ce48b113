"""The Consultant aggregate: an onderwijs(zorg)consulent, their region and capacity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import ConsultantError
from domain.registration import check_text
from domain.values import Actor, Region, Service

MAX_CAPACITY = 200


def check_capacity(capacity: int) -> None:
    if not 0 <= capacity <= MAX_CAPACITY:
        raise ConsultantError(
            f"capacity must be between 0 and {MAX_CAPACITY} open cases",
            rule="invalid-capacity",
        )


class Consultant(Aggregate):
    """A consultant cases are assigned to. Deactivated, never deleted."""

    name: str
    region: str
    kind: str
    capacity: int
    active: bool

    class Event(Aggregate.Event):
        by: Actor

    class Registered(Aggregate.Created):
        by: Actor
        name: str
        region: str
        kind: str
        capacity: int

        def apply(self, consultant: Consultant) -> None:
            consultant.name = self.name
            consultant.region = self.region
            consultant.kind = self.kind
            consultant.capacity = self.capacity
            consultant.active = True

    class Updated(Event):
        changes: dict[str, Any]  # field -> new value: name, region, capacity, active

        def apply(self, consultant: Consultant) -> None:
            for field, value in self.changes.items():
                setattr(consultant, field, value)

    @classmethod
    def register(
        cls,
        *,
        name: str,
        region: Region,
        kind: Service,
        capacity: int,
        by: Actor,
        now: datetime,
    ) -> Consultant:
        check_text("name", name, 200)
        check_capacity(capacity)
        return cls._create(
            cls.Registered,
            timestamp=now,
            by=by,
            name=name,
            region=str(region),
            kind=str(kind),
            capacity=capacity,
        )

    def __init__(self) -> None:
        """State is set by Registered.apply."""

    def update(
        self,
        *,
        name: str | None = None,
        region: Region | None = None,
        capacity: int | None = None,
        active: bool | None = None,
        by: Actor,
        now: datetime,
    ) -> None:
        """Change what is given; a consultant's kind is fixed once registered."""
        changes: dict[str, Any] = {}
        if name is not None and name != self.name:
            check_text("name", name, 200)
            changes["name"] = name
        if region is not None and region != self.region:
            changes["region"] = str(region)
        if capacity is not None and capacity != self.capacity:
            check_capacity(capacity)
            changes["capacity"] = capacity
        if active is not None and active != self.active:
            changes["active"] = active
        if changes:
            self.trigger_event(self.Updated, timestamp=now, by=by, changes=changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "region": self.region,
            "kind": self.kind,
            "capacity": self.capacity,
            "active": self.active,
            "version": self.version,
        }
