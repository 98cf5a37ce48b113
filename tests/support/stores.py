"""Empty stores for tests: a PostgreSQL schema of a test's own, and a store
emptied for the next example of a property test."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager

import psycopg
from psycopg import sql

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
