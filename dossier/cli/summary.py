"""`dossier summary`: where the store is and how many events of each type it
holds."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from dossier.cli.common import out, session, settings_or_fail, where

PAGE = 1000  # notifications read per query when counting the store's events


def summary() -> None:
    """Show where the store is and how many events of each type it holds."""
    settings = settings_or_fail()
    if not settings.uses_postgres and not settings.sqlite_path.exists():
        out.print(f"Store: {where(settings)} (not created yet)")
        out.print("Events: 0")
        return
    with session() as (settings, service):
        by_type: Counter[str] = Counter()
        start = 1
        while True:
            page = service.recorder.select_notifications(start=start, limit=PAGE)
            by_type.update(n.topic.rpartition(":")[2] for n in page)
            if len(page) < PAGE:
                break
            start = page[-1].id + 1
        out.print(f"Store: {where(settings)}")
        out.print(f"Events: {sum(by_type.values()):,}")
        out.print(f"Cases: {by_type['Case.Registered']:,}")
        if by_type:
            table = Table(title="Events by type")
            table.add_column("type")
            table.add_column("events", justify="right")
            for topic, n in sorted(by_type.items()):
                table.add_row(topic, f"{n:,}")
            out.print(table)
