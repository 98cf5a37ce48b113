"""What an audit-trail entry is, for the projection that writes entries and the
queries that read them: its tables and columns, its actions, its stable uuid and
its JSON columns.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import NAMESPACE_URL, uuid5

SOURCE = "dossier"
CASE = "case"
CONSULTANT = "consultant"
API_BASE = "/api/v1"
ENTRY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dossier:audit-trail")

# The projection's tables (base names).
TABLES = ("audit_entries", "audit_case_state")

# actie: what a change did (reads are retrieve or list: projections.audit_queries).
CREATE = "create"
PARTIAL_UPDATE = "partial_update"
DESTROY = "destroy"

# The columns of the two tables, in order.
ENTRY = (
    "position",
    "entry_id",
    "resource",
    "resource_id",
    "resource_version",
    "action",
    "event_type",
    "actor_id",
    "actor_role",
    "request_id",
    "recorded_at",
    "changes",
    "erased",
    "comment",
)
STATE = (
    "resource_id",
    "resource",
    "state",
    "personal_fields",
    "erased",
    "version",
    "position",
)


def json_text(value: Any) -> str:
    """JSON as stored: sorted keys, compact, not ASCII-escaped."""
    return _ENCODER.encode(value)


# json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
# without making a new encoder for every value.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def json_value(value: Any) -> Any:
    """JSON columns read back as text (SQLite) or already parsed (PostgreSQL)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def entry_uuid(resource_id: str, version: int) -> str:
    """A change's uuid: the same in every rebuild, from the event's aggregate and
    version: ``str(uuid5(ENTRY_NAMESPACE, f"{resource_id}:{version}"))``, made
    without the UUID objects (a quarter of the time)."""
    digest = _ENTRY_HASH.copy()
    digest.update(f"{resource_id}:{version}".encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# SHA-1 as uuid5 prescribes, for stable ids, not for security.
_ENTRY_HASH = hashlib.sha1(ENTRY_NAMESPACE.bytes, usedforsecurity=False)
