"""`dossier serve` and `dossier worker`: the long-running processes."""

from __future__ import annotations

from typing import Annotated

import typer

from dossier.cli.common import fail, out, settings_with
from projections.registry import resolve


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn processes")] = None,
) -> None:
    """Serve the HTTP API (and, on SQLite, the read models) until stopped."""
    settings = settings_with(host=host, port=port, workers=workers)
    out.print(f"Dossier on http://{settings.host}:{settings.port}/docs")
    # Imported here: building the web app (every route's schema) was half the
    # start-up of every other `dossier` command.
    from dossier.serve import serve as serve_app

    serve_app(settings)


def worker(
    names: Annotated[
        list[str] | None, typer.Argument(help="projections to run (default all)")
    ] = None,
) -> None:
    """Run read-model projections until SIGTERM; the batch in hand finishes."""
    settings = settings_with()
    try:
        resolve(names or None)
    except ValueError as error:
        fail(str(error))
    from dossier.worker import run_worker

    run_worker(settings, names or None, poll_seconds=settings.poll_seconds)
