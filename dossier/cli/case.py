"""`dossier case show|history|erase|hold|release`: one case, as it stands or
stood, its events, the erasure of its personal data and its legal hold."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from domain.case import Case
from domain.errors import CaseNotFound, ConsultantNotFound
from domain.service import CaseService
from domain.values import (
    Actor,
    ErasureReason,
    HoldReason,
    LiftReason,
    Personal,
    Role,
    Status,
)
from domain.zone import AMSTERDAM, local_date
from dossier.cli.common import CliError, log_access, out, session
from projections.audit_access_log import CHANGE

CLI_ACTOR = Actor("cli", Role.COORDINATOR)

case_app = typer.Typer(help="Show, trace or erase one case.", no_args_is_help=True)


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
    with session(must_exist=True) as (settings, service):
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
        log_access(
            settings, service, [case_id], "case_detail", "case show", actor=CLI_ACTOR
        )
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
    if case.legal_hold is not None:
        hold = case.legal_hold
        file = f" {hold['reference']}" if hold["reference"] else ""
        rows.append(("legal hold", f"{hold['reason']}{file} since {hold['placed_on']}"))
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
    with session(must_exist=True) as (settings, service):
        case_id = _find(service, reference)
        result = service.erase_personal_data(case_id, reason, by=CLI_ACTOR)
        log_access(
            settings,
            service,
            [case_id],
            "erase_personal_data",
            "case erase",
            actor=CLI_ACTOR,
            operation=CHANGE,
        )
        out.print(
            f"Personal data of {result.case.reference} erased "
            f"({reason.value}); its history and statistics remain."
        )


FileNumber = Annotated[
    str | None,
    typer.Option("--file", help="The file number, such as KL-2026-014 (no names)."),
]


@case_app.command("hold")
def case_hold(
    reference: Annotated[str, typer.Argument(help="The case's reference, OC-….")],
    reason: Annotated[HoldReason, typer.Option("--reason", help="Why it is held.")],
    file: FileNumber = None,
) -> None:
    """Place a legal hold: no retention or erasure until it is lifted."""
    with session(must_exist=True) as (settings, service):
        case_id = _find(service, reference)
        result = service.place_legal_hold(case_id, reason, file, by=CLI_ACTOR)
        log_access(
            settings,
            service,
            [case_id],
            "place_legal_hold",
            "case hold",
            actor=CLI_ACTOR,
            operation=CHANGE,
        )
        out.print(f"{result.case.reference} is under legal hold ({reason.value}).")


@case_app.command("release")
def case_release(
    reference: Annotated[str, typer.Argument(help="The case's reference, OC-….")],
    reason: Annotated[LiftReason, typer.Option("--reason", help="Why it is lifted.")],
    file: FileNumber = None,
) -> None:
    """Lift a case's legal hold."""
    with session(must_exist=True) as (settings, service):
        case_id = _find(service, reference)
        result = service.lift_legal_hold(case_id, reason, file, by=CLI_ACTOR)
        log_access(
            settings,
            service,
            [case_id],
            "lift_legal_hold",
            "case release",
            actor=CLI_ACTOR,
            operation=CHANGE,
        )
        out.print(f"{result.case.reference}: legal hold lifted ({reason.value}).")
