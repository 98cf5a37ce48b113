"""`dossier retention propose` and `dossier destruction list|show|remove|review|
approve|run`: the retention worker's round by hand, and a destruction list's
steps. Review and approval are given as a named user (``--as``), whose role
decides whether they may; a proposal and a run are the system's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from domain.destruction import DestructionList
from domain.service import CaseService
from domain.values import SYSTEM_ACTOR, Actor, HoldReason
from domain.zone import AMSTERDAM
from dossier.bootstrap import build_read_database
from dossier.cli.common import CliError, log_access, out, session
from dossier.settings import Settings
from projections.audit_access_log import CHANGE
from projections.base import versioned_tables
from projections.case_list import CaseListProjection
from projections.destruction_lists import DestructionListsProjection
from projections.registry import resolve
from projections.retention import ReadModelMissing, propose_due
from projections.runner import ProjectionRunner
from projections.state import read_serving_version
from storage.db import Database
from storage.users import UserStore

retention_app = typer.Typer(
    help="The retention period: propose what it makes due.", no_args_is_help=True
)
destruction_app = typer.Typer(
    help="Destruction lists: show, review, approve, run.", no_args_is_help=True
)

ListId = Annotated[str, typer.Argument(help="The list's id (from `destruction list`).")]
As = Annotated[str, typer.Option("--as", help="The user giving this step.")]


@contextmanager
def _records() -> Iterator[tuple[Settings, CaseService, Database]]:
    """The session, and the read models the lists need brought to the head."""
    with session(must_exist=True) as (settings, service):
        db = build_read_database(settings)
        try:
            names = [CaseListProjection.name, DestructionListsProjection.name]
            for cls in resolve(names, intake_norm_weeks=settings.intake_norm_weeks):
                ProjectionRunner(service, db, cls, batch_size=2000).catch_up()
            yield settings, service, db
        finally:
            db.close()


def _actor(db: Database, name: str) -> Actor:
    user = UserStore(db).named(name)
    if user is None or not user.active:
        raise CliError(f"no active user {name} (`dossier users list`)")
    return user.actor(request_id="cli")


def _list_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise CliError(f"{text!r} is not a list id") from None


def _moment(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    moment = datetime.fromtimestamp(epoch, tz=UTC).astimezone(AMSTERDAM)
    return moment.isoformat(sep=" ", timespec="seconds")


@retention_app.command("propose")
def retention_propose() -> None:
    """Propose a destruction list of the cases ended longer ago than
    DOSSIER_RETENTION_YEARS (default 2). It erases nothing."""
    with _records() as (settings, service, db):
        try:
            proposal = propose_due(
                service, db, years=settings.retention_years, by=SYSTEM_ACTOR
            )
        except ReadModelMissing as error:
            raise CliError(str(error)) from None
    made = proposal.destruction_list
    if made is None:
        out.print("No case is due for destruction.")
        return
    out.print(
        f"Destruction list {made.id} proposed: {len(made.listed)} cases "
        f"(ended before {made.rule['ended_before']}), {len(made.held)} under "
        "legal hold left out. It waits for review and approval."
    )


@destruction_app.command("list")
def destruction_list() -> None:
    """The destruction lists and certificates, newest first."""
    with _records() as (_, _service, db):
        view = DestructionListsProjection.view_class(_serving_tables(db))
        with db.reading() as tx:
            rows = view.recent(tx)
    table = Table(
        "list", "kind", "state", "proposed", "cases", "off", "erased", "skipped"
    )
    for r in rows:
        table.add_row(
            r.list_id,
            r.kind,
            r.state,
            _moment(r.proposed_at),
            str(r.listed),
            str(r.removed),
            str(r.erased),
            str(r.skipped),
        )
    out.print(table)


def _serving_tables(db: Database) -> dict[str, str]:
    version = read_serving_version(db, DestructionListsProjection.name)
    assert version is not None, "caught up just now"
    return versioned_tables(DestructionListsProjection.tables, version)


def _print(lst: DestructionList, users: UserStore) -> None:
    c = lst.certificate()
    facts = Table(title=f"Destruction list {c['list_id']}", show_header=False)
    facts.add_column(style="bold")
    facts.add_column()
    rule = ", ".join(f"{k} {v}" for k, v in c["rule"].items())
    facts.add_row("kind", c["kind"])
    facts.add_row("state", c["state"])
    facts.add_row("rule", rule)
    for step in ("proposed", "reviewed", "approved", "completed"):
        done = c[step]
        if done is None:
            facts.add_row(step, "-")
            continue
        user = users.get(done["by"])
        facts.add_row(step, f"{done['at']} by {user.name if user else done['by']}")
    out.print(facts)
    cases = Table("reference", "case id", "ended on", "outcome", "why", title="Cases")
    for row in c["cases"]:
        cases.add_row(
            row["reference"],
            row["case_id"],
            row["ended_on"] or "-",
            row["outcome"],
            row["rule"] or "",
        )
    for row in c["removed"]:
        why = row["reason"] + (
            f" {row['file_reference']}" if row["file_reference"] else ""
        )
        cases.add_row(row["reference"], row["case_id"], "-", "taken off", why)
    for row in c["held"]:
        cases.add_row(
            row["reference"],
            row["case_id"],
            row["ended_on"] or "-",
            "not proposed",
            row["rule"],
        )
    out.print(cases)


@destruction_app.command("show")
def destruction_show(list_id: ListId) -> None:
    """One list: its rule, steps and cases (the certificate once completed)."""
    with session(must_exist=True) as (settings, service):
        lst = service.get_destruction_list(_list_id(list_id))
        db = build_read_database(settings)
        try:
            _print(lst, UserStore(db))
        finally:
            db.close()


@destruction_app.command("remove")
def destruction_remove(
    list_id: ListId,
    reference: Annotated[str, typer.Argument(help="The case's reference, OC-….")],
    by: As,
    reason: Annotated[HoldReason, typer.Option("--reason", help="Why it stays.")],
    file: Annotated[
        str | None, typer.Option("--file", help="The file number, such as KL-2026-014.")
    ] = None,
) -> None:
    """Take a case off a proposed list (record manager)."""
    with session(must_exist=True) as (settings, service):
        db = build_read_database(settings)
        try:
            actor = _actor(db, by)
        finally:
            db.close()
        case_id = service.find_case_id(reference)
        service.remove_from_destruction_list(
            _list_id(list_id), case_id, reason, file, by=actor
        )
        out.print(f"{reference.upper()} taken off the list ({reason.value}).")


@destruction_app.command("review")
def destruction_review(list_id: ListId, by: As) -> None:
    """Finish the review of a proposed list (record manager)."""
    _step(list_id, by, "reviewed")


@destruction_app.command("approve")
def destruction_approve(list_id: ListId, by: As) -> None:
    """Approve a reviewed list (privacy officer); only then may it run."""
    _step(list_id, by, "approved")


def _step(list_id: str, by: str, step: str) -> None:
    with session(must_exist=True) as (settings, service):
        db = build_read_database(settings)
        try:
            actor = _actor(db, by)
        finally:
            db.close()
        if step == "reviewed":
            service.finish_destruction_review(_list_id(list_id), by=actor)
        else:
            service.approve_destruction_list(_list_id(list_id), by=actor)
        out.print(f"List {list_id} {step}.")


@destruction_app.command("run")
def destruction_run(list_id: ListId) -> None:
    """Erase every case an approved list still waits on. Safe to run again
    after a stop: it goes on where it stopped and erases no case twice."""
    with session(must_exist=True) as (settings, service):
        before = service.get_destruction_list(_list_id(list_id)).erased()
        lst = service.run_destruction_list(_list_id(list_id), by=SYSTEM_ACTOR)
        log_access(
            settings,
            service,
            sorted(lst.erased() - before),
            "run_destruction",
            "destruction run",
            actor=SYSTEM_ACTOR,
            operation=CHANGE,
        )
        erased = sum(1 for o in lst.outcomes.values() if o["outcome"] != "skipped")
        skipped = len(lst.outcomes) - erased
        out.print(
            f"List {lst.id} {lst.state}: {erased} cases erased, {skipped} skipped."
        )
