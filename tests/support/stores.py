"""Stores for tests: settings for a store of a test's own (SQLite in a directory,
or a new PostgreSQL schema in the run's database), and a store emptied for the
next example of a property test."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

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


def empty_store(settings: Settings) -> None:
    """Delete every row of every table of the store ``settings`` names; the
    tables stay (a few milliseconds, where making the tables anew takes a few
    hundred). Close what uses the store first."""
    if settings.database_url is not None:
        schema = settings.database_schema
        with psycopg.connect(settings.database_url) as conn:  # one transaction
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            for (table,) in tables:
                conn.execute(
                    sql.SQL("DELETE FROM {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(table)
                    )
                )
        return
    if not settings.sqlite_path.exists():
        return
    with closing(sqlite3.connect(settings.sqlite_path)) as db, db:
        names = db.execute(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for (name,) in names:
            db.execute(f'DELETE FROM "{name}"')
