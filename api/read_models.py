"""How far each read model has come: its versions, positions and lag behind the
event log (in events and in seconds), and whether a rebuild is under way; for
/readyz and the admin's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.container import Container
from domain.sealing import LeftSealed
from projections.state import BUILDING, positions


@dataclass(frozen=True)
class ReadModelState:
    """One version of one read model."""

    name: str
    version: int
    status: str  # serving, building (a rebuild fills it) or retired
    position: int
    lag_events: int
    # How long the oldest event it has not processed has waited (0: caught up).
    lag_seconds: float

    @property
    def building(self) -> bool:
        return self.status == BUILDING


def read_model_states(container: Container) -> tuple[int, list[ReadModelState]]:
    """The event log's head and every read model version's state."""
    service = container.service
    head = service.recorder.max_notification_id() or 0
    now = service.clock.now()
    waited: dict[int, float] = {}
    states: list[ReadModelState] = []
    for name, version, position, status in positions(container.db):
        behind = max(0, head - position)
        if behind and position not in waited:
            waited[position] = _waited(container, position, now.timestamp())
        states.append(
            ReadModelState(
                name, version, status, position, behind, waited.get(position, 0.0)
            )
        )
    return head, states


def _waited(container: Container, position: int, now: float) -> float:
    """Seconds since the first event after ``position`` was recorded."""
    service = container.service
    found = service.recorder.select_notifications(start=position + 1, limit=1)
    if not found:
        return 0.0
    with LeftSealed():  # only its time is looked at
        event: Any = service.mapper.to_domain_event(found[0])
    recorded: datetime = event.timestamp
    return max(0.0, now - recorded.timestamp())
