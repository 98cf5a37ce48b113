"""`dossier users ...`: API users and their tokens."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from domain.errors import ConsultantNotFound
from domain.values import Role
from dossier.bootstrap import build_read_database
from dossier.cli.common import fail, out, read_database, session
from projections.state import serving_version
from projections.workload import WorkloadView
from storage.db import Database
from storage.users import USER_ROLES, UserError, UserStore

users_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)


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
        fail(f"role must be one of {', '.join(USER_ROLES)}; consultant id a UUID")
    with session() as (settings, service):
        if consultant is not None:
            try:
                service.get_consultant(consultant)
            except ConsultantNotFound:
                fail(
                    f"there is no consultant {consultant} "
                    "(GET /api/v1/consultants lists them)"
                )
        db = build_read_database(settings)
        try:
            user, token = UserStore(db).add(name, chosen, consultant_id=consultant)
        except UserError as error:
            fail(str(error))
        finally:
            db.close()
    out.print(f"user {user.name} ({user.role}) added; token (shown once):")
    out.print(token)


@users_app.command("token")
def users_token(name: Annotated[str, typer.Argument()]) -> None:
    """Give a user a new token (the old one stops working) and print it once."""
    with read_database() as db:
        try:
            user, token = UserStore(db).rotate(name)
        except UserError as error:
            fail(str(error))
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
            fail(str(error))
    out.print(f"user {user.name} revoked")
