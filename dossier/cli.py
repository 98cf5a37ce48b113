"""The command line (`dossier`): seed demo data, see what the store holds, and
show, trace or erase one case."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, NoReturn
from urllib.parse import unquote, urlsplit
from uuid import UUID

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from pydantic import ValidationError
from rich.console import Console
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
from typer.core import TyperGroup

from domain.case import AMSTERDAM, Case, local_date
from domain.clock import Clock
from domain.errors import CaseNotFound, ConsultantNotFound, DossierError
from domain.service import CaseService
from domain.values import Actor, ErasureReason, Personal, Role, Status
from dossier.bootstrap import build_service
from dossier.bulk import load as bulk_load
from dossier.demo import DemoSummary, SettableClock, seed
from dossier.settings import Settings

CLI_ACTOR = Actor("cli", Role.COORDINATOR)
PAGE = 1000  # notifications read per query when counting the store's events

# No markup: free text such as a case's account is printed as it was written.
out = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False)


class CliError(Exception):
    """Bad input or an unusable store: reported as one line, exit status 1."""


class _OneLineErrors(TyperGroup):
    """Reports usage errors (unknown option, missing argument, bad value) as one
    line on stderr instead of the framework's usage box, like every other error."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except Exception as error:
            # Duck-typed: the click exceptions typer raises may be its own copy.
            exit_code = getattr(error, "exit_code", None)
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


app = typer.Typer(
    cls=_OneLineErrors,
    help="Dossier: case management for the onderwijs(zorg)consulenten.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's local variables may hold personal data: never print them.
    pretty_exceptions_enable=False,
)
case_app = typer.Typer(help="Show, trace or erase one case.", no_args_is_help=True)
app.add_typer(case_app, name="case")


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
        _fail(str(error))
    except ValidationError as error:
        _fail(_settings_problem(error))
    except DossierError as error:
        _fail(str(error))
    except (PersistenceError, psycopg.Error, sqlite3.Error) as error:
        _fail(f"the store ({_where(Settings())}) failed: {_first_line(error)}")
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


def _fail(message: str) -> NoReturn:
    err.print(f"error: {' '.join(message.split())}", soft_wrap=True)
    raise typer.Exit(1)


def _where(settings: Settings) -> str:
    """Where the store is, without the password."""
    if not settings.uses_postgres:
        return f"SQLite {settings.sqlite_path.resolve()}"
    parts = settings.postgres_parts()
    return (
        f"PostgreSQL {parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
        f" (schema {settings.database_schema})"
    )


# --- dossier demo ---------------------------------------------------------------------


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


@app.command()
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
        _fail(f"--commands records at most {BULK_ABOVE:,} cases; use --bulk")
    clock = SettableClock()
    with session(clock=clock) as (settings, service):
        held = service.recorder.max_notification_id() or 0
        if if_empty and held:
            out.print(
                f"The store ({_where(settings)}) already holds {held:,} events; "
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
        out.print(f"Store: {_where(settings)}")
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


# --- dossier summary ------------------------------------------------------------------


@app.command()
def summary() -> None:
    """Show where the store is and how many events of each type it holds."""
    settings = _settings_or_fail()
    if not settings.uses_postgres and not settings.sqlite_path.exists():
        out.print(f"Store: {_where(settings)} (not created yet)")
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
        out.print(f"Store: {_where(settings)}")
        out.print(f"Events: {sum(by_type.values()):,}")
        out.print(f"Cases: {by_type['Case.Registered']:,}")
        if by_type:
            table = Table(title="Events by type")
            table.add_column("type")
            table.add_column("events", justify="right")
            for topic, n in sorted(by_type.items()):
                table.add_row(topic, f"{n:,}")
            out.print(table)


def _settings_or_fail() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        _fail(_settings_problem(error))


# --- dossier case ... -----------------------------------------------------------------


def _find(service: CaseService, reference: str) -> UUID:
    try:
        return service.find_case_id(reference)
    except CaseNotFound:
        raise CliError(f"no case {reference.upper()}") from None


def _parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"--as-of: {value!r} is not an RFC 3339 moment "
            "(such as 2026-03-01T12:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        raise CliError(f"--as-of: {value!r} lacks its UTC offset (such as +01:00 or Z)")
    return moment


@case_app.command("show")
def case_show(
    reference: Annotated[str, typer.Argument(help="The case's reference, OC-….")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Show the case as it stood then (RFC 3339, with offset)."
        ),
    ] = None,
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="Show the case at this version."),
    ] = None,
) -> None:
    """Show one case: status, deadlines, facts and personal data."""
    with session(must_exist=True) as (_, service):
        if as_of is not None and version is not None:
            raise CliError("give --as-of or --version, not both")
        moment = _parse_moment(as_of) if as_of is not None else None
        case_id = _find(service, reference)
        try:
            case = service.get_case(case_id, version=version, as_of=moment)
        except CaseNotFound:
            raise CliError(
                f"case {reference.upper()} was not yet registered at {as_of}"
            ) from None
        if version is not None and case.version < version:
            raise CliError(
                f"case {case.reference} has {case.version} versions, not {version}"
            )
        if moment is not None:
            today = local_date(moment)
        elif version is not None:
            today = local_date(case.modified_on)
        else:
            today = local_date(service.clock.now())
        _print_case(service, case, today)


def _print_case(service: CaseService, case: Case, today: date) -> None:
    facts = Table(title=f"Case {case.reference}", show_header=False)
    facts.add_column(style="bold")
    facts.add_column()
    status = str(case.status)
    if case.status_before_suspension:
        status += f" (was {case.status_before_suspension})"
    rows: list[tuple[str, str]] = [
        ("status", status),
        ("version", str(case.version)),
        ("registered on", str(case.timeline.registered_on)),
        ("category", case.category),
        ("service", case.service),
        ("sector", case.sector),
        ("region", case.region),
        ("samenwerkingsverband", case.samenwerkingsverband or "-"),
        ("municipality", f"{case.municipality or '-'} ({case.pc4 or '-'})"),
        ("school", _school(case)),
        ("channel", case.channel),
        ("requester", f"{_p(case.requester, 'name')} ({case.requester_role})"),
        ("requester contact", _contact(case.requester)),
        ("pupil", _p(case.pupil, "name")),
        ("pupil born", _p(case.pupil, "birth_date")),
        ("at home since", _day(case.at_home_since)),
        ("receives education", "yes" if case.receives_education else "no"),
        ("school decision on", _day(case.school_decision_on)),
        ("account", _p(case.account)),
    ]
    for step, p in sorted(case.prerequisites.items()):
        if p["kind"] == "recorded":
            note = _p(p["note"])
            text = f"recorded: took place on {p['date']}"
            rows.append((step, text if note == "-" else f"{text}; {note}"))
        else:
            rows.append((step, f"waived: {_p(p['reason'])}"))
    if case.prerequisites_decision is not None:
        decision = case.prerequisites_decision
        rows.append(("prerequisites met", f"rule {decision['rule_version']}"))
    if case.intake is not None:
        intake = case.intake
        text = f"{intake['decision']} on {intake['decided_on']}"
        if intake["referred_to"]:
            text += f", referred to {intake['referred_to']}"
        if intake["decision"] != "admissible":
            text += f": {_p(intake['reason'])}"
        rows.append(("intake", text))
    if case.consultant_id is not None:
        rows.append(("consultant", _consultant(service, case.consultant_id)))
    if len(case.assignments) > 1:
        rows.append(("assignments", str(len(case.assignments))))
    # The reason is news only while the case is suspended.
    if case.status == Status.SUSPENDED and case.suspension_reason is not None:
        rows.append(("suspended because", _p(case.suspension_reason)))
    if case.outcome is not None:
        o = case.outcome
        rows.append(
            (
                "outcome",
                f"{o['outcome']} on {o['closed_on']}, pupil {o['education_status']}",
            )
        )
        rows.append(("closing summary", _p(o["summary"])))
    if case.withdrawal_reason is not None:
        rows.append(("withdrawn because", _p(case.withdrawal_reason)))
    for reopening in case.reopenings:
        rows.append(("reopened", f"on {reopening['on']}: {_p(reopening['reason'])}"))
    if case.erased:
        rows.append(("personal data", "erased"))
    for key, value in rows:
        facts.add_row(key, value)
    out.print(facts)

    if case.activities:
        activities = Table(title="Activities")
        for column in ("date", "kind", "parties", "summary"):
            activities.add_column(column)
        for a in case.activities:
            parties = a["parties"]
            shown = (
                "erased" if parties.erased else ", ".join(parties.get() or []) or "-"
            )
            activities.add_row(str(a["date"]), a["kind"], shown, _p(a["summary"]))
        out.print(activities)

    deadlines = Table(title=f"Deadlines as of {today}")
    for column in ("clock", "started", "due", "state", "met on"):
        deadlines.add_column(column)
    for d in service.deadlines(case, today):
        deadlines.add_row(
            d.name, str(d.started_on), _day(d.due), str(d.state), _day(d.met_on)
        )
    out.print(deadlines)


def _p(value: Personal | None, key: str | None = None) -> str:
    """A personal value for display: "erased" once its key is destroyed."""
    if value is None:
        return "-"
    if value.erased:
        return "erased"
    shown = value.get(key)
    return "-" if shown in (None, "") else str(shown)


def _contact(requester: Personal) -> str:
    if requester.erased:
        return "erased"
    parts = [requester.get("email"), requester.get("phone")]
    return ", ".join(p for p in parts if p) or "-"


def _school(case: Case) -> str:
    text = case.school_name or "-"
    if case.brin:
        text += f" ({case.brin})"
    if case.cluster:
        text += f", cluster {case.cluster}"
    return text


def _day(day: date | None) -> str:
    return "-" if day is None else str(day)


def _consultant(service: CaseService, consultant_id: UUID) -> str:
    try:
        c = service.get_consultant(consultant_id)
    except ConsultantNotFound:
        return str(consultant_id)
    return f"{c.name} ({c.kind}, {c.region})"


@case_app.command("history")
def case_history(
    reference: Annotated[str, typer.Argument(help="The case's reference, OC-….")],
) -> None:
    """List a case's events: version, type, time and actor's role."""
    with session(must_exist=True) as (_, service):
        case_id = _find(service, reference)
        table = Table(title=f"History of {reference.upper()}")
        for column in ("version", "event", "recorded at (Amsterdam)", "by"):
            table.add_column(column)
        for entry in service.history(case_id):
            moment = entry.recorded_at.astimezone(AMSTERDAM)
            table.add_row(
                str(entry.version),
                entry.type,
                moment.isoformat(sep=" ", timespec="seconds"),
                str(entry.actor.role) if entry.actor else "-",
            )
        out.print(table)


@case_app.command("erase")
def case_erase(
    reference: Annotated[str, typer.Argument(help="The case's reference, OC-….")],
    reason: Annotated[
        ErasureReason,
        typer.Option("--reason", help="Why the personal data is erased."),
    ],
) -> None:
    """Erase a case's personal data for good; its history stays."""
    with session(must_exist=True) as (_, service):
        case_id = _find(service, reference)
        result = service.erase_personal_data(case_id, reason, by=CLI_ACTOR)
        out.print(
            f"Personal data of {result.case.reference} erased "
            f"({reason.value}); its history and statistics remain."
        )


def _with_operations() -> None:
    # The operators' commands live in their own module, which builds on this one.
    from dossier.cli_ops import register_ops

    register_ops(app)


_with_operations()
