"""The event store's append on PostgreSQL as one statement: a server-side function
that writes a save's case keys and idempotency record, takes the event table's
lock, links the new events into the hash chain, inserts them and returns their
positions, committed with the statement itself (autocommit).

Why: with the library's pipelined transaction the lock was held across three
round trips and two stretches of our Python (reading the chain's head, hashing
the links, sending COMMIT), and on a busy server the holder sat idle in
transaction most of that time, waiting for the GIL. Here nothing of Python runs
between taking the lock and the commit: the lock is held for the function's
own work and the commit's WAL flush. The guarantee is the library's: positions
are drawn under the EXCLUSIVE lock and committed before the next writer draws
any, so a reader tailing ``position > last`` never passes over a gap that fills
later. The link is the one storage/chain.py computes (``link``):
sha256(previous hash || position as 8 bytes big-endian || event digest).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Composed, Identifier, Literal

from storage.chain import GENESIS

FUNCTION = "dossier_append"


def create_function_statement(
    schema: str,
    events_table: str,
    key_table: str,
    idempotency_table: str,
    channel: str,
    lock_timeout_seconds: int,
) -> Composed:
    """``CREATE OR REPLACE FUNCTION <schema>.dossier_append(...)``."""
    events = Identifier(schema, events_table)
    return SQL(
        "CREATE OR REPLACE FUNCTION {function}("
        " e_ids uuid[], e_versions bigint[], e_topics text[], e_states bytea[],"
        " e_digests bytea[],"
        " k_ids uuid[], k_keys bytea[], k_epochs bigint[],"
        " i_users text[], i_keys text[], i_fingerprints text[], i_resources text[],"
        " i_versions integer[], i_statuses integer[], i_created double precision[])"
        " RETURNS bigint[] LANGUAGE plpgsql AS $body$"
        " DECLARE"
        "  n integer := cardinality(e_ids);"
        "  head_found boolean;"
        "  previous bytea;"
        "  positions bigint[];"
        "  hashes bytea[];"
        " BEGIN"
        "  IF k_ids IS NOT NULL THEN"
        "   INSERT INTO {keys} (case_id, key, epoch)"
        "    SELECT * FROM unnest(k_ids, k_keys, k_epochs);"
        "  END IF;"
        "  IF i_users IS NOT NULL THEN"
        "   INSERT INTO {idempotency} SELECT * FROM unnest(i_users, i_keys,"
        "    i_fingerprints, i_resources, i_versions, i_statuses, i_created);"
        "  END IF;"
        "  PERFORM set_config('lock_timeout', {lock_timeout}, true);"
        "  LOCK TABLE {events} IN EXCLUSIVE MODE;"
        "  NOTIFY {channel};"
        "  SELECT chain_hash INTO previous FROM {events}"
        "   ORDER BY notification_id DESC LIMIT 1;"
        "  head_found := FOUND;"
        "  IF NOT head_found THEN previous := {genesis}; END IF;"
        "  positions := ARRAY(SELECT nextval(pg_get_serial_sequence({qualified},"
        "   'notification_id')) FROM generate_series(1, n));"
        # An unchained head (a store from before the chain, until its backfill):
        # the new rows stay unchained too, as the backfill expects.
        "  hashes := array_fill(NULL::bytea, ARRAY[n]);"
        "  IF previous IS NOT NULL THEN"
        "   FOR i IN 1..n LOOP"
        "    previous := sha256(previous || int8send(positions[i]) || e_digests[i]);"
        "    hashes[i] := previous;"
        "   END LOOP;"
        "  END IF;"
        "  INSERT INTO {events} (originator_id, originator_version, topic, state,"
        "   notification_id, event_digest, chain_hash)"
        "   SELECT * FROM unnest(e_ids, e_versions, e_topics, e_states, positions,"
        "    e_digests, hashes);"
        "  RETURN positions;"
        " END $body$"
    ).format(
        function=Identifier(schema, FUNCTION),
        keys=Identifier(schema, key_table),
        idempotency=Identifier(schema, idempotency_table),
        events=events,
        channel=Identifier(channel),
        lock_timeout=Literal(f"{lock_timeout_seconds}s"),
        genesis=Literal(GENESIS),
        qualified=Literal(f'"{schema}"."{events_table}"'),
    )


def call_statement(schema: str) -> Composed:
    return SQL(
        "SELECT {}(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::bytea[],"
        " %s::uuid[], %s::bytea[], %s::bigint[],"
        " %s::text[], %s::text[], %s::text[], %s::text[], %s::integer[],"
        " %s::integer[], %s::double precision[]) AS positions"
    ).format(Identifier(schema, FUNCTION))


def call_arguments(
    stored_events: Sequence[StoredEvent],
    digests: Sequence[bytes],
    keys: dict[Any, tuple[int, bytes]],
    idempotency: Sequence[tuple[Any, ...]],
) -> list[list[Any] | None]:
    """The function's fifteen arrays: events, new keys, idempotency records."""
    events: list[list[Any]] = [
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
        list(digests),
    ]
    # NULL for a group a save does not carry (most saves carry neither): the
    # function skips it, and psycopg dumps no empty list (it inspects each).
    key_columns: list[list[Any] | None] = (
        [
            list(keys),
            [wrapped for _epoch, wrapped in keys.values()],
            [epoch for epoch, _wrapped in keys.values()],
        ]
        if keys
        else [None] * 3
    )
    record_columns: list[list[Any] | None] = (
        [[row[i] for row in idempotency] for i in range(7)]
        if idempotency
        else [None] * 7
    )
    return [*events, *key_columns, *record_columns]
