"""What every command shares: the two consoles, one-line errors, and the
session that opens the store for one command and closes it after."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit
from uuid import UUID

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError
from rich.console import Console
from typer.core import TyperGroup

from domain.clock import Clock
from domain.errors import DossierError
from domain.service import CaseService
from domain.values import Actor
from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections.audit_access_log import READ, create_access_log, record_access
from storage.db import Database
from storage.kek import KekError

# No markup: free text such as a case's account is printed as it was written.
out = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


class CliError(Exception):
    """Bad input or an unusable store: reported as one line, exit status 1."""


class OneLineErrors(TyperGroup):
    """Reports usage errors (unknown option, missing argument, bad value) as one
    line on stderr instead of the framework's usage box, like every other error."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except Exception as error:
            # Duck-typed: the click exceptions typer raises may be its own copy.
            exit_code = getattr(error, "exit_code", None)
            if type(error).__name__ == "Abort":  # Ctrl-C or end of input at a prompt
                err.print("error: aborted")
                sys.exit(1)
            if not hasattr(error, "format_message") or not isinstance(exit_code, int):
                raise
            message = " ".join(str(error.format_message()).split())
            if type(error).__name__ == "NoArgsIsHelpError":
                # The help text itself: printed already when rich renders it.
                if message:
                    err.print(error.format_message())
            else:
                err.print(f"error: {message}", soft_wrap=True)
            sys.exit(exit_code)
        sys.exit(code if isinstance(code, int) else 0)


# --- composition root -----------------------------------------------------------------


def compose(clock: Clock | None = None) -> tuple[Settings, CaseService]:
    """This process's composition root: settings from DOSSIER_*, then the service."""
    settings = Settings()
    return settings, build_service(settings, clock=clock)


@contextmanager
def session(
    *, clock: Clock | None = None, must_exist: bool = False
) -> Iterator[tuple[Settings, CaseService]]:
    """The service for one command; every expected failure becomes one line."""
    service: CaseService | None = None
    try:
        if must_exist:
            _check_store_exists(Settings())
        try:
            settings, service = compose(clock)
        except OSError as error:  # such as a data directory that cannot be made
            raise CliError(f"the store could not be opened: {error}") from None
        yield settings, service
    except CliError as error:
        fail(str(error))
    except ValidationError as error:
        fail(_settings_problem(error))
    except (DossierError, KekError) as error:
        fail(str(error))
    except (PersistenceError, psycopg.Error, sqlite3.Error) as error:
        fail(f"the store ({where(Settings())}) failed: {_first_line(error)}")
    finally:
        if service is not None:
            service.factory.close()


def _check_store_exists(settings: Settings) -> None:
    # Reading must not leave an empty database behind where none was.
    if not settings.uses_postgres and not settings.sqlite_path.exists():
        raise CliError(
            f"no store at {settings.sqlite_path.resolve()} "
            "(set DOSSIER_DATA_DIR, or run `dossier demo`)"
        )


def _settings_problem(error: ValidationError) -> str:
    # Built from the locations and messages only: the input could be a URL
    # with its password in it.
    problems = [
        f"DOSSIER_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
        for e in error.errors()
    ]
    return "invalid setting " + "; ".join(problems)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    message = lines[0] if lines else type(error).__name__
    password = urlsplit(os.environ.get("DOSSIER_DATABASE_URL", "")).password
    if password:
        for secret in {password, unquote(password)}:
            message = message.replace(secret, "***")
    return message


def fail(message: str) -> NoReturn:
    err.print(f"error: {' '.join(message.split())}", soft_wrap=True)
    raise typer.Exit(1)


def where(settings: Settings) -> str:
    """Where the store is, without the password."""
    if not settings.uses_postgres:
        return f"SQLite {settings.sqlite_path.resolve()}"
    parts = settings.postgres_parts()
    return (
        f"PostgreSQL {parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
        f" (schema {settings.database_schema})"
    )


def settings_or_fail() -> Settings:
    """The settings from DOSSIER_*, or one line saying which is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        fail(_settings_problem(error))


def settings_with(**overrides: object) -> Settings:
    """The settings, with the options given on the command line over them."""
    try:
        base = Settings()
        return base.model_copy(update={k: v for k, v in overrides.items() if v})
    except ValidationError as error:
        problems = "; ".join(str(e["msg"]) for e in error.errors())
        fail(f"invalid setting: {problems}")


@contextmanager
def read_database() -> Iterator[Database]:
    """The read models' database for one command, closed after it."""
    with session() as (settings, _service):
        db = build_read_database(settings)
        try:
            yield db
        finally:
            db.close()


def log_access(
    settings: Settings,
    service: CaseService,
    case_ids: Sequence[UUID],
    purpose: str,
    command: str,
    *,
    actor: Actor,
    operation: str = READ,
) -> None:
    """Log a command line's read (``case show``) or change of cases' personal
    data in the access log, as the HTTP layer logs its own: who, when, which
    case, the command as its route (``/cli/case/show``), the purpose and so
    the processing activity. Nothing is written for no case."""
    if not case_ids:
        return
    db = build_read_database(settings)
    try:
        with db.transaction() as tx:
            create_access_log(tx, db)
            record_access(
                tx,
                case_ids=list(case_ids),
                actor_id=actor.user_id,
                role=actor.role,
                request_id=actor.request_id,
                route="/cli/" + command.replace(" ", "/"),
                purpose=purpose,
                at=service.clock.now(),
                operation=operation,
            )
    finally:
        db.close()
