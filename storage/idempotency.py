"""Idempotency-Keys: the record written with a command's events, and its look-up."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from storage.db import Database

IDEMPOTENCY_TABLE = "idempotency_keys"


@dataclass(frozen=True)
class IdempotencyRecord:
    """A request's Idempotency-Key, recorded in the transaction of its events:
    either both are stored or neither, so a retry can never record twice."""

    user_id: str
    key: str
    fingerprint: str
    resource_id: UUID
    status_code: int

    def row(self, stored_events: Sequence[StoredEvent]) -> tuple[Any, ...]:
        version = max(
            (
                e.originator_version
                for e in stored_events
                if str(e.originator_id) == str(self.resource_id)
            ),
            default=0,
        )
        return (
            self.user_id,
            self.key,
            self.fingerprint,
            str(self.resource_id),
            version,
            self.status_code,
            time.time(),
        )


def idempotency_rows(
    kwargs: dict[str, Any], stored_events: Sequence[StoredEvent]
) -> list[tuple[Any, ...]]:
    record = kwargs.get("idempotency")
    return [record.row(stored_events)] if isinstance(record, IdempotencyRecord) else []


IDEMPOTENCY_COLUMNS = (
    "user_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " resource_id TEXT NOT NULL, version INTEGER NOT NULL,"
    " status_code INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (user_id, key)"
)


@dataclass(frozen=True)
class Recorded:
    fingerprint: str
    resource_id: UUID
    version: int
    status_code: int


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path} {canonical}".encode()).hexdigest()


def find(db: Database, user_id: str, key: str) -> Recorded | None:
    with db.reading() as tx:
        row = tx.fetchone(
            "SELECT fingerprint, resource_id, version, status_code FROM {t}"
            " WHERE user_id = %s AND key = %s",
            (user_id, key),
            t=IDEMPOTENCY_TABLE,
        )
    if row is None:
        return None
    return Recorded(str(row[0]), UUID(str(row[1])), int(row[2]), int(row[3]))
