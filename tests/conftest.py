"""Fixtures for every layer: a real PostgreSQL database per run, SQLite per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dossier.settings import Settings
from tests.support.stores import drop_schema, store_settings

ADMIN_URL_VARIABLE = "DOSSIER_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HOW_TO_PROVIDE = (
    "The test suite needs a PostgreSQL server and never skips it. Start one "
    "(on this machine: pg_ctlcluster --skip-systemctl-redirect "
    "$(ls /etc/postgresql) main start), or point {var} at a server where the "
    "user may create databases, e.g. {var}=postgresql://postgres@127.0.0.1:5432/postgres"
)


def _admin_url() -> str:
    return os.environ.get(ADMIN_URL_VARIABLE, DEFAULT_ADMIN_URL)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of this run's own, dropped at the end."""
    admin_url = _admin_url()
    name = f"dossier_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        pytest.exit(
            f"PostgreSQL unreachable at {admin_url}: {error}\n"
            + HOW_TO_PROVIDE.format(var=ADMIN_URL_VARIABLE),
            returncode=3,
        )
    base = admin_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """The same test, once on each store."""
    chosen = store_settings(request.param, tmp_path / "var", request, "t")
    yield chosen
    drop_schema(chosen)
