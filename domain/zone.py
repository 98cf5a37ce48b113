"""The time zone Dossier counts its days in (Europe/Amsterdam), and a moment's day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local_date(moment: datetime) -> date:
    """The calendar day in the Netherlands on which a moment fell."""
    return moment.astimezone(AMSTERDAM).date()
