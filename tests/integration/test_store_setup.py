"""Processes starting on one PostgreSQL store (several `dossier serve`, a
`dossier worker` joining, a CLI command), as tests/e2e/test_scaling.py found
them failing:

- on a new store, servers starting together create each table once (two
  CREATE TABLE IF NOT EXISTS at once both insert the table's row type, and one
  fails: "duplicate key value violates unique constraint
  pg_type_typname_nsp_index", and that server exits);
- on a store in use, setting up the event store's tables waits for no lock that
  running writers hold. It runs in one transaction that holds a share lock on
  the event table from its CREATE INDEX IF NOT EXISTS; a registration holds the
  key table's row lock and waits for the event table's. An ALTER TABLE of the
  key table there (it takes the strongest lock even when the column is there)
  made the two wait for each other: PostgreSQL broke the deadlock by failing
  the registration (a 503)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from storage.keyrings import KEY_TABLE
from storage.passwords import PasswordStore
from storage.sign_in_throttle import SignInThrottle
from storage.users import UserStore
from storage.web_sessions import SessionStore
from tests.support.stores import drop_schema, store_settings
from tests.support.together import all_at_once

pytestmark = pytest.mark.postgres

# A bound for a start that is blocked, never a target.
START_SECONDS = 30
SERVERS = 4
ROUNDS = 5  # the race is lost now and then: a new store each round


def server_tables(settings: Settings) -> None:
    """What `dossier serve` sets up beside the event store, with a database
    connection of its own (as another process has)."""
    db = build_read_database(settings)
    try:
        UserStore(db)
        PasswordStore(db)
        SessionStore(db, idle_seconds=60)
        SignInThrottle(db)
    finally:
        db.close()


def test_servers_starting_together_on_a_new_store_create_their_tables_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    for n in range(ROUNDS):
        settings = store_settings("postgres", tmp_path / f"{n}", request, "setup")
        try:
            _, failures = all_at_once(partial(server_tables, settings), SERVERS)
        finally:
            drop_schema(settings)
        assert failures == [], f"round {n}: {failures}"


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    settings = store_settings("postgres", tmp_path / "var", request, "setup")
    build_service(settings).close()  # the first process made the tables
    yield settings
    drop_schema(settings)


def test_a_process_starting_waits_for_no_lock_a_writer_holds_on_the_key_table(
    store: Settings,
) -> None:
    assert store.database_url is not None
    started = threading.Event()
    errors: list[BaseException] = []

    def start() -> None:
        try:
            build_service(store).close()
        except BaseException as error:  # reported in the test's thread
            errors.append(error)
        started.set()

    with psycopg.connect(store.database_url) as writer:
        # What a registration holds once it has stored its case's key.
        writer.execute(
            sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(
                sql.Identifier(store.database_schema, KEY_TABLE)
            )
        )
        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        finished = started.wait(START_SECONDS)
        writer.rollback()  # lets a blocked start go on
    thread.join(START_SECONDS)

    assert finished, (
        f"a starting process waited for the key table's lock held by a writer"
        f" (not done after {START_SECONDS} s)"
    )
    assert not errors, errors


def test_a_key_table_from_before_wrapping_gains_its_epoch_column_at_start(
    store: Settings,
) -> None:
    assert store.database_url is not None
    table = sql.Identifier(store.database_schema, KEY_TABLE)
    with psycopg.connect(store.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN epoch").format(table))

    build_service(store).close()

    with psycopg.connect(store.database_url) as conn:
        columns = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s",
            (store.database_schema, KEY_TABLE),
        ).fetchall()
    assert "epoch" in {c[0] for c in columns}
