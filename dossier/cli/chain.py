"""`dossier verify` and `dossier chain backfill|checkpoint|export|public-key`: the
log's hash chain and its signed checkpoints (docs/auditing.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from domain.service import CaseService
from dossier.cli.common import CliError, err, fail, out, session, settings_or_fail
from storage.chain import ChainedLog, ChainError, SnapshotLog, Walk
from storage.checkpoints import (
    Checkpoint,
    CheckpointError,
    SigningKey,
    export_text,
    load_public,
    public_text,
    read_export,
    unsigned,
)
from storage.verification import Progress as Advance
from storage.verification import make_checkpoint, verify_log

chain_app = typer.Typer(
    help="The log's hash chain: backfill, signed checkpoints, their export.",
    no_args_is_help=True,
)


def _log(service: CaseService) -> ChainedLog:
    return cast(ChainedLog, service.recorder)


def _snapshots(service: CaseService) -> SnapshotLog | None:
    store = service.snapshots
    return cast(SnapshotLog, store.recorder) if store is not None else None


@contextmanager
def _bar(what: str, total: int) -> Iterator[Advance]:
    """A progress bar on stderr when it is a terminal (nothing otherwise)."""
    with Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=total)
        yield lambda n: progress.advance(task, n)


def _read_checkpoints(
    path: Path | None, public_key: Path | None, stored: list[Checkpoint], key: Any
) -> list[Checkpoint]:
    """The checkpoints to hold the log to, every signature checked: those kept
    beside the log (signed by this store's key) and those of an export."""
    checked = list(stored)
    keys = [key] if key is not None else []
    if path is not None:
        try:
            exported, exported_key = read_export(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise CliError(f"cannot read {path}: {error.strerror}") from None
        if public_key is not None:
            try:
                trusted = load_public(public_key.read_text(encoding="utf-8"))
            except OSError as error:
                raise CliError(f"cannot read {public_key}: {error.strerror}") from None
        else:
            trusted = exported_key
        bad = unsigned(exported, [trusted])
        if bad:
            raise CliError(
                f"the checkpoint at position {bad[0].position} in {path} is not"
                " signed by the given key (altered, or signed by another key)"
            )
        checked += exported
        keys.append(trusted)
    bad = unsigned(stored, keys)
    if bad:
        raise CliError(
            f"the checkpoint kept at position {bad[0].position} is not signed by"
            " the chain key (the checkpoints table was altered)"
        )
    by_position: dict[int, Checkpoint] = {}
    for checkpoint in checked:
        other = by_position.setdefault(checkpoint.position, checkpoint)
        if other.chain_hash != checkpoint.chain_hash:
            raise CliError(
                f"two signed checkpoints at position {checkpoint.position} differ"
            )
    return list(by_position.values())


def verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="an export of signed checkpoints kept outside the system"),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(help="the public key (PEM) to check the export's signatures by"),
    ] = None,
    snapshots: Annotated[bool, typer.Option(help="check the snapshots too")] = True,
) -> None:
    """Walk the log's hash chain from its first event; report the first break
    (position, aggregate, what differs), checkpoints that no longer match, and
    snapshots that differ. Exit status 1 when anything does."""
    with session(must_exist=True) as (settings, service):
        log = _log(service)
        key_file = SigningKey(settings.chain_key_path)
        try:
            key = key_file.public(make=False) if key_file.path.exists() else None
            held = _read_checkpoints(checkpoints, public_key, log.checkpoints(), key)
        except CheckpointError as error:
            raise CliError(str(error)) from None
        started = time.perf_counter()
        with _bar("verifying", log.chain_count()) as advance:
            walk = verify_log(
                log, _snapshots(service) if snapshots else None, held, advance
            )
        seconds = time.perf_counter() - started
    _report(walk, seconds, len(held))


def _report(walk: Walk, seconds: float, held: int) -> None:
    rate = walk.events / seconds if seconds > 0 else 0.0
    out.print(f"{walk.events:,} events read in {seconds:.1f} s ({rate:,.0f}/s).")
    if walk.unchained and walk.broken is None:
        out.print(
            f"{walk.unchained:,} events are not chained yet (a store from before"
            " the chain): run `dossier chain backfill`."
        )
    if walk.head is not None:
        position, head = walk.head
        out.print(f"Head: position {position}, chain hash {head.hex()}.")
    if held:
        out.print(f"Signed checkpoints matched: {walk.checkpoints_matched} of {held}.")
    if walk.snapshots:
        out.print(f"Snapshots checked: {walk.snapshots:,}.")
    problems = [walk.broken] if walk.broken else []
    problems += walk.snapshot_breaks
    for problem in problems:
        err.print(f"broken: {problem.line()}", soft_wrap=True)
    if problems or walk.unchained:
        raise typer.Exit(1)
    out.print("The log matches its chain.")


@chain_app.command("backfill")
def chain_backfill() -> None:
    """Hash the events (and snapshots) stored before the chain, once. Writers
    wait for one batch at a time, never for the whole log."""
    with session(must_exist=True) as (_settings, service):
        log = _log(service)
        started = time.perf_counter()
        try:
            with _bar("hashing", log.chain_count()) as advance:
                events = log.backfill_chain(advance)
        except ChainError as error:
            raise CliError(str(error)) from None
        store = _snapshots(service)
        snapshots = store.backfill_snapshots() if store is not None else 0
        seconds = time.perf_counter() - started
    out.print(
        f"{events:,} events chained and {snapshots:,} snapshots digested"
        f" in {seconds:.1f} s."
    )


@chain_app.command("checkpoint")
def chain_checkpoint() -> None:
    """Sign the log's head now and keep the checkpoint beside the log."""
    with session(must_exist=True) as (settings, service):
        try:
            made = make_checkpoint(
                _log(service), SigningKey(settings.chain_key_path), service.clock.now()
            )
        except (ChainError, CheckpointError) as error:
            raise CliError(str(error)) from None
    out.print(
        f"Checkpoint: position {made.position}, chain hash {made.chain_hash.hex()},"
        f" key {made.key_id}."
    )


@chain_app.command("export")
def chain_export(
    output: Annotated[
        Path | None, typer.Option(help="write to this file (default: stdout)")
    ] = None,
) -> None:
    """Every signed checkpoint and the public key, as JSON, for an auditor to
    keep outside the system (`dossier verify --checkpoints FILE` later)."""
    with session(must_exist=True) as (settings, service):
        try:
            public = SigningKey(settings.chain_key_path).public(make=False)
        except CheckpointError as error:
            raise CliError(str(error)) from None
        text = export_text(_log(service).checkpoints(), public)
    if output is None:
        out.print(text, soft_wrap=True)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror}")


@chain_app.command("public-key")
def chain_public_key() -> None:
    """The public key (PEM) the checkpoints are signed with, to keep apart."""
    settings = settings_or_fail()
    try:
        public = SigningKey(settings.chain_key_path).public()
    except (CheckpointError, OSError) as error:
        fail(str(error))
    out.print(public_text(public).strip())
