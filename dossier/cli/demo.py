"""`dossier demo`: record realistic demo casework, a school year through the
commands or millions of cases in bulk."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from domain.zone import local_date
from dossier.bulk import load as bulk_load
from dossier.cli.common import err, fail, out, session, where
from dossier.demo import DemoSummary, SettableClock, seed


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        # The average so far: the recent rate swings, as recent cases (recorded
        # last) have short lives.
        elapsed = task.elapsed
        if not elapsed:
            return Text("")
        return Text(f"{task.completed / elapsed:,.0f} cases/s")


# Above this many cases `dossier demo` loads in bulk (the command path's limit).
BULK_ABOVE = 100_000


def demo(
    cases: Annotated[
        int, typer.Option(min=1, max=10_000_000, help="How many cases to record.")
    ] = 1600,
    seed_: Annotated[
        int, typer.Option("--seed", help="Random seed: a seed gives the same data.")
    ] = 2026,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Do nothing when the store holds events."),
    ] = False,
    bulk: Annotated[
        bool | None,
        typer.Option(
            "--bulk/--commands",
            help=(
                "Bulk: cases played on their aggregates in worker processes and "
                "saved in batches (a million in minutes). Commands: a school year "
                "through the service's commands, with users and a clock. "
                f"Default: commands up to {BULK_ABOVE:,} cases, bulk above."
            ),
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Bulk: processes playing cases (default: one per CPU)."
        ),
    ] = None,
) -> None:
    """Record realistic demo casework: a school year, or millions of cases in bulk."""
    in_bulk = cases > BULK_ABOVE if bulk is None else bulk
    if not in_bulk and cases > BULK_ABOVE:
        fail(f"--commands records at most {BULK_ABOVE:,} cases; use --bulk")
    clock = SettableClock()
    with session(clock=clock) as (settings, service):
        held = service.recorder.max_notification_id() or 0
        if if_empty and held:
            out.print(
                f"The store ({where(settings)}) already holds {held:,} events; "
                "nothing seeded.",
                soft_wrap=True,
            )
            return
        columns = (
            TextColumn("bulk loading" if in_bulk else "seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
        )
        try:
            with Progress(*columns, console=err, transient=False) as progress:
                task = progress.add_task("cases", total=cases)
                if in_bulk:
                    report = bulk_load(
                        service,
                        cases,
                        seed=seed_,
                        workers=workers,
                        progress=lambda n: progress.advance(task, n),
                    )
                else:
                    summary = seed(
                        service,
                        clock,
                        cases=cases,
                        seed=seed_,
                        progress=lambda done: progress.update(task, completed=done),
                    )
        except KeyboardInterrupt:
            err.print("interrupted: the store keeps what was recorded so far")
            raise typer.Exit(130) from None
        out.print(f"Store: {where(settings)}")
        if in_bulk:
            out.print(
                f"Loaded {report.cases:,} cases, {report.events:,} events in "
                f"{report.seconds:,.1f} s ({report.cases_per_second:,.0f} cases/s, "
                f"{report.events / max(report.seconds, 1e-9):,.0f} events/s). "
                "Read models catch up in `dossier worker` or "
                "`dossier projections catch-up`.",
                soft_wrap=True,
            )
        else:
            _print_demo_summary(summary)


def _print_demo_summary(s: DemoSummary) -> None:
    first = s.first_registration
    period = f"{local_date(first)} to {local_date(s.end)}" if first else "-"
    facts = Table(title="Demo data recorded", show_header=False)
    facts.add_column(style="bold")
    facts.add_column(justify="right")
    facts.add_row("cases", f"{s.cases:,}")
    facts.add_row("consultants", f"{s.consultants:,}")
    facts.add_row("events", f"{s.events:,}")
    facts.add_row("registered", period)
    facts.add_row("seconds", f"{s.seconds:.1f}")
    facts.add_row("cases per second", f"{s.cases / max(s.seconds, 1e-9):,.0f}")
    out.print(facts)
    for title, counts in (
        ("by status", s.by_status),
        ("by region", s.by_region),
        ("by category", s.by_category),
    ):
        out.print(_counts_table(f"Cases {title}", counts))


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column(title.split()[-1])
    table.add_column("cases", justify="right")
    for key, n in counts.items():
        table.add_row(key, f"{n:,}")
    table.add_row("total", f"{sum(counts.values()):,}", style="bold")
    return table
