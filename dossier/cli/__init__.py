"""The command line (`dossier`): seed demo data, see what the store holds, show,
trace or erase one case, and the operators' commands (serve, worker, users,
projections). Each command group has its module; this one puts them together."""

from __future__ import annotations

import typer

from dossier.cli import (
    case,
    chain,
    demo,
    keys,
    processes,
    projections,
    records,
    summary,
    users,
)
from dossier.cli.common import OneLineErrors

app = typer.Typer(
    cls=OneLineErrors,
    help="Dossier: case management for the onderwijs(zorg)consulenten.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's local variables may hold personal data: never print them.
    pretty_exceptions_enable=False,
)
# In the order `dossier --help` has always listed them.
app.add_typer(case.case_app, name="case")
app.command()(demo.demo)
app.command()(summary.summary)
app.add_typer(users.users_app, name="users")
app.add_typer(projections.projections_app, name="projections")
app.add_typer(keys.keys_app, name="keys")
app.command()(processes.serve)
app.command()(processes.worker)
app.add_typer(records.retention_app, name="retention")
app.add_typer(records.destruction_app, name="destruction")
app.command()(chain.verify)
app.add_typer(chain.chain_app, name="chain")

__all__ = ["app"]
