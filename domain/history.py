"""A case's history as plain entries: version, event type, time, actor and data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.values import Actor, Personal


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    type: str
    recorded_at: datetime
    actor: Actor | None
    data: dict[str, Any]


def history_entry(event: Any) -> HistoryEntry:
    fields = dict(vars(event))
    for key in ("originator_id", "originator_version", "timestamp", "originator_topic"):
        fields.pop(key, None)
    actor = fields.pop("by", None)
    return HistoryEntry(
        version=event.originator_version,
        type=type(event).__name__,
        recorded_at=event.timestamp,
        actor=actor if isinstance(actor, Actor) else None,
        data={k: plain(v) for k, v in fields.items()},
    )


def plain(value: Any) -> Any:
    """A JSON-friendly copy: personal values opened (or None once erased)."""
    if isinstance(value, Personal):
        return value.get()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
