"""`dossier keys status|rotate`: the key-encryption keys that wrap every case key."""

from __future__ import annotations

import time
from datetime import timedelta

import typer
from rich.table import Table

from dossier.cli.common import out, session
from storage.keyrings import StoreKeyRing

keys_app = typer.Typer(
    help="Key-encryption keys: status, rotation.", no_args_is_help=True
)


def _keyring(service: object) -> StoreKeyRing:
    keyring = getattr(service, "keyring", None)
    assert isinstance(keyring, StoreKeyRing)
    return keyring


@keys_app.command("status")
def keys_status() -> None:
    """Each epoch: when made and retired, how many case keys it wraps, and
    from when it may be destroyed (the backup retention window)."""
    with session() as (settings, service):
        keyring = _keyring(service)
        window = timedelta(days=settings.backup_retention_days)
        in_use = keyring.rows_per_epoch()
        epochs = keyring.keks.epochs()
    table = Table("epoch", "made", "retired", "state", "case keys", "destroyable")
    for e in epochs:
        state = (
            "destroyed" if e.key is None else "retired" if e.retired_at else "current"
        )
        table.add_row(
            str(e.number),
            e.created_at.date().isoformat(),
            e.retired_at.date().isoformat() if e.retired_at else "-",
            state,
            str(in_use.get(e.number, 0)),
            (e.retired_at + window).date().isoformat()
            if e.retired_at and e.key is not None
            else "-",
        )
    out.print(table)
    if in_use.get(None):
        out.print(
            f"{in_use[None]} case keys are not wrapped yet (a store from before"
            " wrapping): `dossier keys rotate` wraps them."
        )


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Wrap every case key under a new epoch, then destroy the epochs retired
    longer ago than DOSSIER_BACKUP_RETENTION_DAYS that wrap no key any more."""
    with session() as (settings, service):
        keyring = _keyring(service)
        started = time.perf_counter()
        rotation = keyring.rotate(
            service.clock.now(), timedelta(days=settings.backup_retention_days)
        )
        seconds = time.perf_counter() - started
    out.print(
        f"{rotation.rewrapped} case keys wrapped under epoch {rotation.epoch}"
        f" in {seconds:.1f} s."
    )
    if rotation.destroyed:
        listed = ", ".join(str(n) for n in rotation.destroyed)
        out.print(f"Destroyed epochs: {listed}.")
    if rotation.unopenable:
        out.print(f"{rotation.unopenable} keys were under a destroyed epoch already.")
