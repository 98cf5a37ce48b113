"""What a demo seeding reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DemoSummary:
    """What a seeding recorded: counts only, never personal data."""

    cases: int
    consultants: int
    by_status: dict[str, int]
    by_region: dict[str, int]
    by_category: dict[str, int]
    events: int
    seconds: float
    first_registration: datetime | None
    end: datetime
