"""`dossier projections ...`: the read models' status, rebuild and catch-up."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from dossier.bootstrap import build_read_database
from dossier.cli.common import err, fail, out, session
from projections.rebuild import RebuildMismatch, drop_retired, rebuild
from projections.registry import all_projections, resolve
from projections.runner import ProjectionRunner
from projections.state import positions

projections_app = typer.Typer(
    help="Read models: status, rebuild.", no_args_is_help=True
)


@projections_app.command("status")
def projections_status() -> None:
    """Each read model's versions: status, position, lag."""
    with session() as (settings, service):
        db = build_read_database(settings)
        try:
            head = service.recorder.max_notification_id() or 0
            rows = positions(db)
        finally:
            db.close()
    table = Table("projection", "version", "status", "position", "lag (events)")
    known = set(all_projections())
    for name, version, position, status in rows:
        if name in known:
            table.add_row(
                name, str(version), status, str(position), str(max(0, head - position))
            )
    out.print(f"log head: {head}")
    out.print(table)


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str, typer.Argument(help="the read model to rebuild")],
    compare: Annotated[
        bool,
        typer.Option(
            help="compare every row with the serving version before switching"
        ),
    ] = True,
    batch: Annotated[int, typer.Option(min=1, max=100_000)] = 5000,
) -> None:
    """Build a new version beside the serving one, verify it, switch atomically."""
    with session() as (settings, service):
        try:
            (cls,) = resolve([name], intake_norm_weeks=settings.intake_norm_weeks)
        except ValueError as error:
            fail(str(error))
        db = build_read_database(settings)
        head = service.recorder.max_notification_id() or 0
        started = time.monotonic()
        try:
            with Progress(
                TextColumn("rebuilding " + name),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} events/s"),
                TimeRemainingColumn(),
                console=err,
            ) as bar:
                task = bar.add_task("rebuild", total=head, rate="-")

                def advance(_n: int, position: int) -> None:
                    rate = position / max(time.monotonic() - started, 1e-6)
                    bar.update(task, completed=min(position, head), rate=f"{rate:,.0f}")

                report = rebuild(
                    service,
                    db,
                    cls,
                    batch_size=batch,
                    on_batch=advance,
                    compare=compare,
                )
            dropped = drop_retired(db, cls)
        except RebuildMismatch as error:
            fail(f"not switched: {error}")
        finally:
            db.close()
    rate = report.position / report.seconds if report.seconds else 0.0
    before = (
        "first build"
        if report.old_version is None
        else f"replaces v{report.old_version}, "
        + ("verified row by row" if report.compared_with_old else "not compared")
    )
    out.print(
        f"{name}: v{report.new_version} serving ({before}); {report.rows} rows at "
        f"position {report.position}; {report.seconds:.1f} s, {rate:,.0f} events/s; "
        f"dropped: {', '.join(f'v{v}' for v in dropped) or 'none'}"
    )


@projections_app.command("catch-up")
def projections_catch_up(
    names: Annotated[
        list[str] | None, typer.Argument(help="projections (default all)")
    ] = None,
) -> None:
    """Bring read models up to the log's head once, then stop."""
    with session() as (settings, service):
        try:
            classes = resolve(
                names or None, intake_norm_weeks=settings.intake_norm_weeks
            )
        except ValueError as error:
            fail(str(error))
        db = build_read_database(settings)
        try:
            for cls in classes:
                started = time.monotonic()
                runner = ProjectionRunner(service, db, cls, batch_size=2000)
                done = runner.catch_up()
                seconds = time.monotonic() - started
                out.print(
                    f"{cls.name}: {done} events in {seconds:.1f} s, "
                    f"at position {runner.position}"
                )
        finally:
            db.close()
