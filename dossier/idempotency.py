"""Looking up recorded Idempotency-Keys (written with the events they belong to)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from dossier.stores import IDEMPOTENCY_TABLE
from projections.db import Database


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


def event_position(db: Database, resource_id: UUID, version: int) -> int:
    """The log position of one aggregate's event (to answer a replay the same)."""
    if db.dialect == "postgres":
        sql = (
            "SELECT notification_id FROM {t}"
            " WHERE originator_id = %s AND originator_version = %s"
        )
        params: tuple[Any, ...] = (resource_id, version)
        table = "dossier_events"
    else:
        sql = (
            "SELECT rowid FROM {t} WHERE originator_id = %s AND originator_version = %s"
        )
        params = (resource_id.hex, version)
        table = "stored_events"
    with db.reading() as tx:
        row = tx.fetchone(sql, params, t=table)
    return int(row[0]) if row else 0
