"""Empty stores for tests: a PostgreSQL schema of a test's own, or for a settings
object a copy of it on a store nobody else uses."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from dossier.settings import Settings


@contextmanager
def new_schema(url: str) -> Iterator[str]:
    """A new, empty schema in the database at ``url``; dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def store_of_its_own(settings: Settings) -> Iterator[Settings]:
    """``settings`` on an empty store of the same kind: a new schema in the same
    PostgreSQL database, or a new directory beside SQLite's; removed afterwards
    (close what uses it first)."""
    if settings.database_url is not None:
        with new_schema(settings.database_url) as schema:
            yield settings.model_copy(update={"database_schema": schema})
        return
    settings.data_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir.parent) as directory:
        yield settings.model_copy(update={"data_dir": Path(directory)})
