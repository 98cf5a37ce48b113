"""Settings for a store of a test's own: SQLite in a directory, or a new PostgreSQL
schema in the run's database (tests/conftest.py's ``postgres_url``)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dossier.settings import Settings


def store_settings(
    store: str,
    data_dir: Path,
    request: pytest.FixtureRequest,
    prefix: str,
    **overrides: Any,
) -> Settings:
    """Settings on ``store`` ("sqlite" or "postgres"); on PostgreSQL a schema named
    ``<prefix>_<random>`` is made first (the run's database is dropped at its end,
    and every schema with it). ``overrides`` are further settings."""
    if store == "sqlite":
        return Settings(database_url=None, data_dir=data_dir, **overrides)
    url: str = request.getfixturevalue("postgres_url")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return Settings(
        database_url=url, database_schema=schema, data_dir=data_dir, **overrides
    )


def drop_schema(settings: Settings) -> None:
    """Drop the PostgreSQL schema ``store_settings`` made (nothing on SQLite)."""
    if settings.database_url:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {settings.database_schema} CASCADE")
