"""`dossier users ...`: API users and their tokens."""

from __future__ import annotations

import secrets
import sys
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
from storage.passwords import PasswordRefused, PasswordStore, check_password_rules
from storage.users import USER_ROLES, UserError, UserStore
from storage.web_sessions import SessionStore

users_app = typer.Typer(help="API users and their tokens.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="a unique user name")],
    role: Annotated[str, typer.Option(help=f"one of {', '.join(USER_ROLES)}")],
    consultant_id: Annotated[
        str | None, typer.Option(help="for a consultant: their consultant id")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from stdin (for scripts)")
    ] = False,
    no_password: Annotated[
        bool, typer.Option(help="an API-only user: no sign-in to the pages")
    ] = False,
) -> None:
    """Add a user with a password for the pages (prompted, or from stdin) and
    print their API token (shown this once only)."""
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
        password = None if no_password else read_password(password_stdin)
        db = build_read_database(settings)
        try:
            user, token = UserStore(db).add(name, chosen, consultant_id=consultant)
            if password is not None:
                PasswordStore(db).set(user.id, password)
        except UserError as error:
            fail(str(error))
        finally:
            db.close()
    out.print(f"user {user.name} ({user.role}) added; token (shown once):")
    out.print(token)


def read_password(from_stdin: bool) -> str:
    """A password that meets the rules, from stdin or asked twice (hidden)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        fail("no terminal to ask for a password: use --password-stdin or --no-password")
    else:
        password = typer.prompt(
            "Password for the web pages", hide_input=True, confirmation_prompt=True
        )
    try:
        check_password_rules(password)
    except PasswordRefused as error:
        fail(str(error))
    return password


@users_app.command("password")
def users_password(
    name: Annotated[str, typer.Argument()],
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from stdin (for scripts)")
    ] = False,
) -> None:
    """Set a user's password for the pages; their open sessions end."""
    password = read_password(password_stdin)
    with read_database() as db:
        user = UserStore(db).named(name)
        if user is None or not user.active:
            fail(f"no active user named {name!r}")
        PasswordStore(db).set(user.id, password)
        SessionStore(db, idle_seconds=0).end_all_of(user.id)
    out.print(f"password of {user.name} set; their sessions ended")


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
    """A demo user per role with a fresh token and password each (for `make run`;
    never in production: the old demo tokens and passwords stop working)."""
    with session() as (settings, _service):
        db = build_read_database(settings)
        try:
            store = UserStore(db)
            passwords = PasswordStore(db)
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
                user, token = store.rotate(name)
                password = secrets.token_urlsafe(12)
                passwords.set(user.id, password)
                lines.append((name, password, f"  {role:<12} {token}"))
        finally:
            db.close()
    out.print("Sign in to the pages as (new passwords each time):")
    for name, password, _ in lines:
        out.print(f"  {name:<17} {password}", soft_wrap=True)
    out.print("API tokens (new each time; send as Authorization: Bearer <token>):")
    for _, _, line in lines:
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
