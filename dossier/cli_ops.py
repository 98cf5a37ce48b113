"""The operators' commands: serve, worker, users and projections."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from domain.values import Role
from dossier.bootstrap import build_read_database
from dossier.cli import err, out, session
from dossier.settings import Settings
from projections.registry import all_projections, resolve
from projections.runner import (
    ProjectionRunner,
    RebuildMismatch,
    drop_retired,
    positions,
    rebuild,
    serving_version,
)
from projections.workload import WorkloadView
from storage.db import Database
from storage.users import USER_ROLES, UserError, UserStore

users_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)
projections_app = typer.Typer(
    help="Read models: status, rebuild.", no_args_is_help=True
)


def register_ops(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(projections_app, name="projections")
    app.command()(serve)
    app.command()(worker)


def _fail(message: str) -> None:
    err.print(f"error: {' '.join(message.split())}", soft_wrap=True)
    raise typer.Exit(1)


def _settings(**overrides: object) -> Settings:
    try:
        base = Settings()
        return base.model_copy(update={k: v for k, v in overrides.items() if v})
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        _fail(f"invalid setting: {problems}")
        raise  # unreachable: _fail exits


@contextmanager
def read_database() -> Iterator[Database]:
    with session() as (settings, _service):
        db = build_read_database(settings)
        try:
            yield db
        finally:
            db.close()


# --- processes ----------------------------------------------------------------------


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn processes")] = None,
) -> None:
    """Serve the HTTP API (and, on SQLite, the read models) until stopped."""
    # Imported here, not at the top: the web stack (FastAPI building every
    # route's schema) is most of a CLI call's start-up, and only `serve` needs it.
    from dossier.serve import serve as serve_app

    settings = _settings(host=host, port=port, workers=workers)
    out.print(f"Dossier on http://{settings.host}:{settings.port}/docs")
    serve_app(settings)


def worker(
    names: Annotated[
        list[str] | None, typer.Argument(help="projections to run (default all)")
    ] = None,
) -> None:
    """Run read-model projections until SIGTERM; the batch in hand finishes."""
    settings = _settings()
    try:
        resolve(names or None)
    except ValueError as error:
        _fail(str(error))
    from dossier.worker import run_worker  # as `serve`: only this command needs it

    run_worker(settings, names or None, poll_seconds=settings.poll_seconds)


# --- users --------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="a unique user name")],
    role: Annotated[str, typer.Option(help=f"one of {', '.join(USER_ROLES)}")],
    consultant_id: Annotated[
        str | None, typer.Option(help="for a consultant: their consultant id")
    ] = None,
) -> None:
    """Add a user and print their API token (shown this once only)."""
    try:
        chosen = Role(role)
        consultant = UUID(consultant_id) if consultant_id else None
    except ValueError:
        _fail(f"role must be one of {', '.join(USER_ROLES)}; consultant id a UUID")
        return
    with read_database() as db:
        try:
            user, token = UserStore(db).add(name, chosen, consultant_id=consultant)
        except UserError as error:
            _fail(str(error))
            return
    out.print(f"user {user.name} ({user.role}) added; token (shown once):")
    out.print(token)


@users_app.command("token")
def users_token(name: Annotated[str, typer.Argument()]) -> None:
    """Give a user a new token (the old one stops working) and print it once."""
    with read_database() as db:
        try:
            user, token = UserStore(db).rotate(name)
        except UserError as error:
            _fail(str(error))
            return
    out.print(f"new token for {user.name} ({user.role}), shown once:")
    out.print(token)


@users_app.command("demo")
def users_demo() -> None:
    """A demo user per role with a fresh token each (for `make run`; never in
    production: the old demo tokens stop working)."""
    with session() as (settings, _service):
        db = build_read_database(settings)
        try:
            store = UserStore(db)
            consultant = busiest_consultant(db)
            existing = {u.name for u in store.list()}
            lines = []
            for role in USER_ROLES:
                if role == Role.CONSULTANT and consultant is None:
                    continue
                name = f"demo-{role}"
                if name not in existing:
                    linked = consultant if role == Role.CONSULTANT else None
                    store.add(name, role, consultant_id=linked)
                _, token = store.rotate(name)
                lines.append(f"  {role:<12} {token}")
        finally:
            db.close()
    out.print("Demo tokens (new each time; send as Authorization: Bearer <token>):")
    for line in lines:
        out.print(line, soft_wrap=True)


def busiest_consultant(db: Database) -> UUID | None:
    """The consultant with the most open cases, so the demo consultant has work."""
    with db.reading() as tx:
        version = serving_version(tx, "workload")
        if version is None:
            return None
        rows = WorkloadView.for_version(version).consultants(tx, active=True)
    if not rows:
        return None
    return UUID(max(rows, key=lambda r: r["open_cases"])["id"])


@users_app.command("list")
def users_list() -> None:
    """List users (never their tokens)."""
    with read_database() as db:
        users = UserStore(db).list()
    table = Table("name", "role", "consultant", "active")
    for u in users:
        table.add_row(u.name, str(u.role), str(u.consultant_id or ""), str(u.active))
    out.print(table)


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument()]) -> None:
    """Revoke a user: their token stops working at once."""
    with read_database() as db:
        try:
            user = UserStore(db).revoke(name)
        except UserError as error:
            _fail(str(error))
            return
    out.print(f"user {user.name} revoked")


# --- projections --------------------------------------------------------------------


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
            _fail(str(error))
            return
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
            _fail(f"not switched: {error}")
            return
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
            _fail(str(error))
            return
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
