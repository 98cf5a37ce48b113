"""The audit-trail read model: who changed or read what and when, for the auditors.

Every event of a Case or a Consultant becomes one entry, in the shape of the
Dutch ZGW audittrail (VNG Zaakgericht Werken), with English snake_case names.
Reads of personal data are not events: the HTTP layer logs them with
``record_access`` into the unversioned ``audit_access_log`` table, and
``AuditTrailView.trail`` merges both in time order.

ZGW audittrail       trail item (view)     column (audit_entries / access log)
-------------------  --------------------  ------------------------------------------
uuid                 uuid                  entry_id: uuid5 of aggregate id + version
                                           (stable across rebuilds); uuid4 for reads
bron                 source                none: always "dossier"
actie                action                action: create, partial_update, destroy
                                           (erasure); reads: retrieve, list
actieWeergave        action_display        none: from event_type (Dutch text)
resultaat            result                none: 201 for create, else 200
hoofdObject          main_object           none: /api/v1/cases/{id} or
                                           /api/v1/consultants/{id}
resource             resource              resource: "case" / "consultant"
resourceUrl          resource_url          none for changes (= main_object);
                                           route for reads (path, no query string)
resourceWeergave     resource_id           resource_id / case_id (ids only)
toelichting          comment               comment (erasure reason) / purpose
aanmaakdatum         recorded_at           recorded_at / at: epoch seconds; RFC 3339
                                           UTC in the item
wijzigingen          changes {old, new}    changes (JSON); null for reads
gebruikersId         actor_id              actor_id
gebruikersWeergave   actor_role            actor_role (no user names are held here)
(ours)               event_type, position, event_type (``Case.Assigned``), position
                     resource_version,     (log position, primary key),
                     request_id, erased,   resource_version, request_id, erased;
                     kind, route, purpose  kind is "change" or "read"

``changes`` holds only the fields that changed, flattened to dotted names
(``prerequisites.school_conversation.date``, ``activities.0.summary``). To know
old values, ``audit_case_state`` keeps each case's (and consultant's) current
flattened state. Personal values (requester, pupil, account, notes, reasons,
summaries, parties) are recorded while the case's personal data exists; a
personal field an event sets or clears is always listed, whatever its value, so
that an entry reads alike whether it was made before or after the key was
destroyed. On ``PersonalDataErased`` every personal value of the case is
replaced by null in all its entries and in its state, and each entry that held
one is marked ``"erased": true`` with its ``"erased_fields"``. Replaying the
shredded log gives the same rows as erasing a live trail.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from operator import itemgetter
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from domain.case import Case, local_date
from domain.consultant import Consultant
from domain.history import plain
from domain.status import CaseStatus, next_status
from domain.values import Personal, Role, Status
from projections.base import DispatchMethod, Projection, RowBatch, insert_rows
from projections.cursors import BadCursor, decode_cursor, decode_sequence, encode_cursor
from storage.db import Database, SQLiteTx, Tx

SOURCE = "dossier"
CASE = "case"
CONSULTANT = "consultant"
ACCESS_LOG_TABLE = "audit_access_log"
MAX_LIMIT = 1000
API_BASE = "/api/v1"
ENTRY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:dossier:audit-trail")

CREATE = "create"
PARTIAL_UPDATE = "partial_update"
DESTROY = "destroy"
RETRIEVE = "retrieve"
LIST = "list"

# actieWeergave: what each event means, for the people reading the trail.
ACTION_DISPLAY: dict[str, str] = {
    "Case.Registered": "Casus aangemeld",
    "Case.PrerequisiteRecorded": "Voorwaarde vastgelegd",
    "Case.PrerequisiteWaived": "Voorwaarde buiten toepassing verklaard",
    "Case.PrerequisitesMet": "Aan de voorwaarden voldaan",
    "Case.IntakeDecided": "Intakebesluit genomen",
    "Case.Assigned": "Consulent toegewezen",
    "Case.ActivityRecorded": "Activiteit vastgelegd",
    "Case.Suspended": "Casus opgeschort",
    "Case.Resumed": "Casus hervat",
    "Case.Closed": "Casus afgesloten",
    "Case.Withdrawn": "Casus ingetrokken",
    "Case.Reopened": "Casus heropend",
    "Case.PersonalDataErased": "Persoonsgegevens vernietigd",
    "Consultant.Registered": "Consulent aangemaakt",
    "Consultant.Updated": "Consulent gewijzigd",
}
READ_DISPLAY = {RETRIEVE: "Gegevens ingezien", LIST: "Lijst ingezien"}

PURPOSE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
ROUTE = re.compile(r"^/[A-Za-z0-9/_.~{}:%-]{0,499}$")


def _json(value: Any) -> str:
    return _ENCODER.encode(value)


# json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
# without making a new encoder for every value.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _loads(value: Any) -> Any:
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


def _epoch(moment: datetime, name: str) -> float:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return moment.timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


@cache
def _item_pattern(prefix: str) -> re.Pattern[str]:
    """The keys of a flattened list's items (``activities.<n>.on``), ``<n>`` caught."""
    return re.compile(re.escape(prefix) + r"\.(\d+)\.")


def _count(state: _State, prefix: str) -> int:
    """How many items of a flattened list (``activities.<n>.on``) there are.

    Each key is looked at once: the numbers found so far are kept with how many
    keys were looked at, and keys are only ever added to ``values`` (a dict, so
    in the order added), never removed: the ones not yet seen are at its end."""
    values = state.values
    found, seen = state.items.get(prefix) or (set(), 0)
    if seen < len(values):
        pattern = _item_pattern(prefix)
        found.update(
            m.group(1) for k in islice(values, seen, None) if (m := pattern.match(k))
        )
        state.items[prefix] = (found, len(values))
    return len(found)


# --- the access log (reads) --------------------------------------------------------


def create_access_log(tx: Tx, db: Database) -> None:
    """Create ``audit_access_log`` if it is not there (idempotent, not versioned)."""
    seq = (
        "seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        if db.dialect == "postgres"
        else "seq INTEGER PRIMARY KEY AUTOINCREMENT"
    )
    tx.execute(
        "CREATE TABLE IF NOT EXISTS {t} (" + seq + ","
        " entry_id TEXT NOT NULL UNIQUE, case_id TEXT,"
        " actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, request_id TEXT,"
        " route TEXT NOT NULL, purpose TEXT NOT NULL,"
        " at DOUBLE PRECISION NOT NULL)",
        t=ACCESS_LOG_TABLE,
    )
    for column in ("case_id", "actor_id", "at"):
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + column + ")",
            t=ACCESS_LOG_TABLE,
            i=f"{ACCESS_LOG_TABLE}_{column}",
        )


def record_access(
    tx: Tx,
    *,
    case_id: UUID | str | None,
    actor_id: str,
    role: Role | str,
    request_id: str | None,
    route: str,
    purpose: str,
    at: datetime,
) -> str:
    """Log a read of personal data; the new row's uuid.

    The row holds ids and codes only, never personal data: ``route`` is a path
    (a query string, which may carry a searched name, is cut off) and
    ``purpose`` a code such as ``case_detail``. ``case_id`` is None for a read
    of a list. Rows stay when a case is erased.
    """
    path = route.split("?", 1)[0].split("#", 1)[0]
    if not ROUTE.match(path):
        raise ValueError("route must be a path such as /api/v1/cases/{id}")
    if not PURPOSE.match(purpose):
        raise ValueError("purpose must be a short lower-case code, not free text")
    case = str(UUID(str(case_id))) if case_id is not None else None
    entry_id = str(uuid4())
    tx.execute(
        "INSERT INTO {t} (entry_id, case_id, actor_id, actor_role, request_id,"
        " route, purpose, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            entry_id,
            case,
            actor_id,
            str(role),
            request_id,
            path,
            purpose,
            _epoch(at, "at"),
        ),
        t=ACCESS_LOG_TABLE,
    )
    return entry_id


# --- the projection (changes) ------------------------------------------------------


@dataclass
class _State:
    """One case's or consultant's flattened state, as kept in ``audit_case_state``."""

    resource: str
    values: dict[str, Any] = field(default_factory=dict)
    personal: set[str] = field(default_factory=set)
    erased: bool = False
    version: int = 0
    position: int = 0
    dirty: bool = False
    # Whether its row is in the table already (else it is inserted, not upserted).
    stored: bool = False
    # Per flattened list counted (``_count``): its items' numbers found so far,
    # and how many keys of ``values`` were looked at for them.
    items: dict[str, tuple[set[str], int]] = field(default_factory=dict)


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
AUDITED = (Case.Event, Case.Registered, Consultant.Event, Consultant.Registered)
# The types plain() returns as they are.
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})
# An entry (a dict) as a row of audit_entries.
_ENTRY_ROW = itemgetter(*ENTRY)


def _state_row(resource_id: str, s: _State) -> tuple[Any, ...]:
    """A state as a row of audit_case_state (STATE's order)."""
    return (
        resource_id,
        s.resource,
        _json(s.values),
        _json(sorted(s.personal)),
        int(s.erased),
        s.version,
        s.position,
    )


class AuditTrailProjection(Projection):
    """Maintains ``audit_entries_v<N>`` (one row per event of a case or a consultant)
    and ``audit_case_state_v<N>`` (each one's current flattened state)."""

    name = "audit_trail"
    tables = ("audit_entries", "audit_case_state")
    needs_personal_data = True

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self._rows = RowBatch(self.table("audit_case_state"), "resource_id", STATE)
        self._preloaded: set[str] = set()
        self._states: dict[str, _State] = {}
        self._entries: list[dict[str, Any]] = []

    def create_tables(self, tx: Tx, db: Database) -> None:
        entries = self.table("audit_entries")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " position BIGINT PRIMARY KEY,"
            " entry_id TEXT NOT NULL,"
            " resource TEXT NOT NULL, resource_id TEXT NOT NULL,"
            " resource_version INTEGER NOT NULL,"
            " action TEXT NOT NULL, event_type TEXT NOT NULL,"
            " actor_id TEXT, actor_role TEXT, request_id TEXT,"
            " recorded_at DOUBLE PRECISION NOT NULL,"
            " changes " + db.json_type + " NOT NULL,"
            " erased INTEGER NOT NULL DEFAULT 0,"
            " comment TEXT)",
            t=entries,
        )
        for name, columns in (
            ("resource_id", "resource_id, position"),
            ("actor_id", "actor_id"),
            ("recorded_at", "recorded_at, position"),
        ):
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + columns + ")",
                t=entries,
                i=f"{entries}_{name}",
            )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " resource_id TEXT PRIMARY KEY,"
            " resource TEXT NOT NULL,"
            " state " + db.json_type + " NOT NULL,"
            " personal_fields " + db.json_type + " NOT NULL,"
            " erased INTEGER NOT NULL DEFAULT 0,"
            " version INTEGER NOT NULL,"
            " position BIGINT NOT NULL)",
            t=self.table("audit_case_state"),
        )
        create_access_log(tx, db)

    # --- the batch's working set -----------------------------------------------------

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        """Read the state of every case and consultant in the batch with one query."""
        self._states.clear()
        self._entries.clear()
        self._rows = RowBatch(self.table("audit_case_state"), "resource_id", STATE)
        self._preloaded = {
            str(e.originator_id) for e in events if isinstance(e, AUDITED)
        }
        self._rows.load(
            tx,
            sorted(self._preloaded),
            dialect="sqlite" if isinstance(tx, SQLiteTx) else "postgres",
        )

    def end_batch(self, tx: Tx) -> None:
        """Write the batch's entries, then the states they moved on."""
        if self._entries:
            insert_rows(tx, self.table("audit_entries"), ENTRY, self._entry_rows())
        changed = [(i, s) for i, s in self._states.items() if s.dirty]
        if any(not s.stored for _, s in changed):
            insert_rows(
                tx,
                self.table("audit_case_state"),
                STATE,
                (_state_row(i, s) for i, s in changed if not s.stored),
            )
        for resource_id, s in changed:
            if s.stored:
                self._rows.put(
                    dict(zip(STATE, _state_row(resource_id, s), strict=True))
                )
        self._rows.flush(tx)
        self._states.clear()
        self._entries.clear()

    def _entry_rows(self) -> Iterator[tuple[Any, ...]]:
        """The batch's entries as rows, each made as it is written (so the server
        stores the first while the next are made)."""
        for entry in self._entries:
            entry["changes"] = _json(entry["changes"])
            yield _ENTRY_ROW(entry)

    def _state(self, tx: Tx, resource_id: str, resource: str) -> _State:
        state = self._states.get(resource_id)
        if state is not None:
            return state
        row = self._rows.get(resource_id)
        if row is None and resource_id not in self._preloaded:
            # Not preloaded (an event handled outside a runner's batch).
            found = tx.fetchone(
                "SELECT " + ", ".join(STATE) + " FROM {t} WHERE resource_id = %s",
                (resource_id,),
                t=self.table("audit_case_state"),
            )
            row = dict(zip(STATE, found, strict=True)) if found else None
        if row is None:
            state = _State(resource=resource)
        else:
            state = _State(
                resource=str(row["resource"]),
                values=dict(_loads(row["state"])),
                personal=set(_loads(row["personal_fields"])),
                erased=bool(row["erased"]),
                version=int(row["version"]),
                position=int(row["position"]),
                stored=True,
            )
        self._states[resource_id] = state
        return state

    def _case(self, tx: Tx, event: Any) -> _State:
        return self._state(tx, str(event.originator_id), CASE)

    def _status_state(self, tx: Tx, event: Any) -> CaseStatus:
        """The status machine's state as the case's flattened state keeps it."""
        values = self._case(tx, event).values
        before = values.get("status_before_suspension")
        return CaseStatus(Status(values["status"]), Status(before) if before else None)

    def _next_status(self, tx: Tx, event: Any) -> str:
        """The case's status after ``event``, by the case's status machine."""
        return str(next_status(self._status_state(tx, event), event).status)

    # --- recording ----------------------------------------------------------------

    def _record(
        self,
        tx: Tx,
        event: Any,
        position: int,
        resource: str,
        updates: Mapping[str, Any],
        *,
        action: str = PARTIAL_UPDATE,
        comment: str | None = None,
    ) -> None:
        """Apply ``updates`` (field -> value; a ``Personal`` marks a personal field)
        to the state and add the entry with what changed."""
        resource_id = str(event.originator_id)
        state = self._state(tx, resource_id, resource)
        values = state.values
        old: dict[str, Any] = {}
        new: dict[str, Any] = {}
        personal: set[str] = set()
        for key, raw in updates.items():
            # What plain() gives, for the most common types without its checks.
            kind = type(raw)
            if kind in _AS_THEY_ARE:
                value = raw
            elif kind is Personal:
                value = raw.get()
            else:
                value = plain(raw)
            if isinstance(raw, Personal):
                state.personal.add(key)
                state.erased = state.erased or raw.erased
                # Listed whenever the event sets or clears it, never by comparing
                # values: those may already be unreadable (erased).
                changed = action == CREATE or key in values
                changed = changed or raw.value is not None or raw.erased
                if changed:
                    personal.add(key)
            else:
                changed = action == CREATE or values.get(key) != value
            if changed:
                if action != CREATE:
                    old[key] = values.get(key)
                new[key] = value
            values[key] = value
        changes: dict[str, Any] = {"old": old, "new": new}
        if state.erased and personal:
            _erase_changes(changes, personal)
        actor = getattr(event, "by", None)
        self._entries.append(
            {
                "position": position,
                "entry_id": entry_uuid(resource_id, event.originator_version),
                "resource": resource,
                "resource_id": resource_id,
                "resource_version": event.originator_version,
                "action": action,
                "event_type": type(event).__qualname__,
                "actor_id": actor.user_id if actor is not None else None,
                "actor_role": str(actor.role) if actor is not None else None,
                "request_id": actor.request_id if actor is not None else None,
                "recorded_at": event.timestamp.timestamp(),
                "changes": changes,
                "erased": int(bool(changes.get("erased"))),
                "comment": comment,
            }
        )
        state.version = event.originator_version
        state.position = position
        state.dirty = True

    def _erase_case(self, tx: Tx, case_id: str, state: _State) -> None:
        """Null every personal value of the case in its state and its entries, those
        written by earlier batches and those of this batch not yet written."""
        state.erased = True
        for key in state.personal:
            state.values[key] = None
        for row in self._entries:
            mine = row["resource_id"] == case_id and row["resource"] == CASE
            if mine and _erase_changes(row["changes"], state.personal):
                row["erased"] = 1
        entries = self.table("audit_entries")
        stored = tx.fetchall(
            "SELECT position, changes FROM {t}"
            " WHERE resource_id = %s AND resource = %s",
            (case_id, CASE),
            t=entries,
        )
        updates: list[tuple[Any, ...]] = []
        for position, text in stored:
            changes = dict(_loads(text))
            if _erase_changes(changes, state.personal):
                updates.append((_json(changes), int(position)))
        tx.executemany(
            "UPDATE {t} SET changes = %s, erased = 1 WHERE position = %s",
            updates,
            t=entries,
        )

    # --- events ---------------------------------------------------------------------

    @DispatchMethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Reference counters and the reference index are bookkeeping, not audited."""

    @handle.register
    def _(self, event: Case.Registered, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "reference": event.reference,
                "status": str(next_status(None, event).status),
                "channel": event.channel,
                "requester_role": event.requester_role,
                "requester": event.requester,
                "consent_given": event.consent_given,
                "pupil": event.pupil,
                "municipality": event.municipality,
                "pc4": event.pc4,
                "school_name": event.school_name,
                "brin": event.brin,
                "cluster": event.cluster,
                "sector": event.sector,
                "samenwerkingsverband": event.samenwerkingsverband,
                "region": event.region,
                "category": event.category,
                "service": event.service,
                "at_home_since": event.at_home_since,
                "receives_education": event.receives_education,
                "school_decision_on": event.school_decision_on,
                "account": event.account,
                "consultant_id": None,
                "personal_data_erased": False,
            },
            action=CREATE,
        )

    @handle.register
    def _(self, event: Case.PrerequisiteRecorded, position: int, tx: Tx) -> None:
        p = f"prerequisites.{event.step}"
        updates: dict[str, Any] = {
            f"{p}.kind": "recorded",
            f"{p}.date": event.on,
            f"{p}.note": event.note,
        }
        if f"{p}.reason" in self._case(tx, event).values:  # it was waived before
            updates |= {f"{p}.reason": Personal(None), f"{p}.waived_by": None}
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.PrerequisiteWaived, position: int, tx: Tx) -> None:
        p = f"prerequisites.{event.step}"
        updates: dict[str, Any] = {
            f"{p}.kind": "waived",
            f"{p}.reason": event.reason,
            f"{p}.waived_by": event.by.user_id,
        }
        if f"{p}.note" in self._case(tx, event).values:  # it was recorded before
            updates |= {f"{p}.date": None, f"{p}.note": Personal(None)}
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.PrerequisitesMet, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "prerequisites_rule_version": event.rule_version,
                "prerequisites_decision": event.decision,
            },
        )

    @handle.register
    def _(self, event: Case.IntakeDecided, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "intake.decision": event.decision,
                "intake.reason": event.reason,
                "intake.referred_to": event.referred_to,
                "intake.decided_on": local_date(event.timestamp),
            },
        )

    @handle.register
    def _(self, event: Case.Assigned, position: int, tx: Tx) -> None:
        updates: dict[str, Any] = {"consultant_id": event.consultant_id}
        updates["status"] = self._next_status(tx, event)  # listed only if it moved
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.ActivityRecorded, position: int, tx: Tx) -> None:
        state = self._case(tx, event)
        values = state.values
        p = f"activities.{_count(state, 'activities')}"
        updates: dict[str, Any] = {
            f"{p}.kind": event.kind,
            f"{p}.date": event.on,
            f"{p}.summary": event.summary,
            f"{p}.parties": event.parties,
            f"{p}.consultant_id": values.get("consultant_id"),
        }
        updates["status"] = self._next_status(tx, event)  # listed only if it moved
        self._record(tx, event, position, CASE, updates)

    @handle.register
    def _(self, event: Case.Suspended, position: int, tx: Tx) -> None:
        moved = next_status(self._status_state(tx, event), event)
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status_before_suspension": _text(moved.before_suspension),
                "status": str(moved.status),
                "suspension_reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.Resumed, position: int, tx: Tx) -> None:
        state = self._case(tx, event)
        p = f"resumptions.{_count(state, 'resumptions')}"
        moved = next_status(self._status_state(tx, event), event)
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": str(moved.status),
                "status_before_suspension": _text(moved.before_suspension),
                "suspension_reason": Personal(None),
                f"{p}.on": local_date(event.timestamp),
                f"{p}.reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.Closed, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "outcome.outcome": event.outcome,
                "outcome.education_status": event.education_status,
                "outcome.summary": event.summary,
                "outcome.closed_on": local_date(event.timestamp),
            },
        )

    @handle.register
    def _(self, event: Case.Withdrawn, position: int, tx: Tx) -> None:
        moved = next_status(self._status_state(tx, event), event)
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": str(moved.status),
                "status_before_suspension": _text(moved.before_suspension),
                "withdrawal_reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.Reopened, position: int, tx: Tx) -> None:
        state = self._case(tx, event)
        p = f"reopenings.{_count(state, 'reopenings')}"
        self._record(
            tx,
            event,
            position,
            CASE,
            {
                "status": self._next_status(tx, event),
                "consultant_id": None,
                "outcome.outcome": None,
                "outcome.education_status": None,
                "outcome.summary": Personal(None),
                "outcome.closed_on": None,
                f"{p}.on": local_date(event.timestamp),
                f"{p}.reason": event.reason,
            },
        )

    @handle.register
    def _(self, event: Case.PersonalDataErased, position: int, tx: Tx) -> None:
        case_id = str(event.originator_id)
        self._erase_case(tx, case_id, self._case(tx, event))
        self._record(
            tx,
            event,
            position,
            CASE,
            {"personal_data_erased": True, "erasure_reason": event.reason},
            action=DESTROY,
            comment=event.reason,
        )

    @handle.register
    def _(self, event: Consultant.Registered, position: int, tx: Tx) -> None:
        self._record(
            tx,
            event,
            position,
            CONSULTANT,
            {
                "name": event.name,
                "region": event.region,
                "kind": event.kind,
                "capacity": event.capacity,
                "active": True,
            },
            action=CREATE,
        )

    @handle.register
    def _(self, event: Consultant.Updated, position: int, tx: Tx) -> None:
        self._record(tx, event, position, CONSULTANT, dict(event.changes))


def _text(status: Status | None) -> str | None:
    return None if status is None else str(status)


def _erase_changes(changes: dict[str, Any], personal: set[str]) -> bool:
    """Null the personal fields in an entry's changes; whether it held any."""
    erased: set[str] = set(changes.get("erased_fields", ()))
    for side in ("old", "new"):
        values = changes.get(side) or {}
        for key in values.keys() & personal:
            values[key] = None
            erased.add(key)
    if not erased:
        return False
    changes["erased"] = True
    changes["erased_fields"] = sorted(erased)
    return True


# --- queries ------------------------------------------------------------------------


CHANGE, READ = 0, 1  # at the same moment, changes come before reads

ENTRY_COLUMNS = ", ".join(ENTRY)
READ_COLUMNS = "seq, entry_id, case_id, actor_id, actor_role, request_id, route,"
READ_COLUMNS += " purpose, at"


def _main_object(resource: str, resource_id: str) -> str:
    collection = "cases" if resource == CASE else "consultants"
    return f"{API_BASE}/{collection}/{resource_id}"


def change_to_dict(r: tuple[Any, ...]) -> dict[str, Any]:
    """An entry row as the trail shows it (JSON-friendly)."""
    resource, resource_id, action = str(r[2]), str(r[3]), str(r[5])
    main_object = _main_object(resource, resource_id)
    return {
        "kind": "change",
        "uuid": str(r[1]),
        "source": SOURCE,
        "position": int(r[0]),
        "event_type": str(r[6]),
        "action": action,
        "action_display": ACTION_DISPLAY.get(str(r[6]), str(r[6])),
        "result": 201 if action == CREATE else 200,
        "main_object": main_object,
        "resource": resource,
        "resource_id": resource_id,
        "resource_url": main_object,
        "resource_version": int(r[4]),
        "case_id": resource_id if resource == CASE else None,
        "actor_id": r[7],
        "actor_role": r[8],
        "request_id": r[9],
        "recorded_at": _iso(float(r[10])),
        "changes": _loads(r[11]),
        "erased": bool(r[12]),
        "comment": r[13],
        "route": None,
        "purpose": None,
    }


def read_to_dict(r: tuple[Any, ...]) -> dict[str, Any]:
    """An access-log row as the trail shows it (JSON-friendly)."""
    case_id = r[2]
    action = RETRIEVE if case_id is not None else LIST
    return {
        "kind": "read",
        "uuid": str(r[1]),
        "source": SOURCE,
        "position": None,
        "event_type": None,
        "action": action,
        "action_display": READ_DISPLAY[action],
        "result": 200,
        "main_object": _main_object(CASE, case_id) if case_id else None,
        "resource": CASE,
        "resource_id": case_id,
        "resource_url": str(r[6]),
        "resource_version": None,
        "case_id": case_id,
        "actor_id": r[3],
        "actor_role": r[4],
        "request_id": r[5],
        "recorded_at": _iso(float(r[8])),
        "changes": None,
        "erased": False,
        "comment": r[7],
        "route": str(r[6]),
        "purpose": r[7],
    }


def _decode_trail_cursor(cursor: str) -> tuple[float, int, int]:
    at, rest = decode_cursor(cursor)
    kind, _, seq = rest.partition(":")
    if kind not in ("c", "r"):
        raise BadCursor("cursor is not valid")
    return at, CHANGE if kind == "c" else READ, decode_sequence(seq)


class AuditTrailView:
    """Queries on a version of the audit trail, merged with the access log."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        """``tables``: the projection's base table names to their versioned names."""
        self.entries = tables["audit_entries"]

    @classmethod
    def for_version(cls, version: int) -> AuditTrailView:
        projection = AuditTrailProjection(version)
        return cls({base: projection.table(base) for base in projection.tables})

    def entry(self, tx: Tx, position: int) -> dict[str, Any] | None:
        """The change recorded for the event at this log position."""
        row = tx.fetchone(
            "SELECT " + ENTRY_COLUMNS + " FROM {t} WHERE position = %s",
            (position,),
            t=self.entries,
        )
        return change_to_dict(row) if row else None

    def trail(
        self,
        tx: Tx,
        *,
        case_id: UUID | str | None = None,
        actor: str | None = None,
        from_: datetime | None = None,
        to: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Changes and reads in time order (then log position; at one moment changes
        before reads), from ``from_`` (inclusive) to ``to`` (exclusive); a page and
        the cursor of the next one (None on the last). ``case_id`` is any resource's
        id: a consultant's gives that consultant's changes. ValueError for a bad id,
        limit or naive time; BadCursor for a cursor not handed out here."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        after = _decode_trail_cursor(cursor) if cursor is not None else None
        common: list[tuple[str, list[Any]]] = []
        if actor is not None:
            common.append(("actor_id = %s", [actor]))
        if from_ is not None:
            common.append(("{at} >= %s", [_epoch(from_, "from")]))
        if to is not None:
            common.append(("{at} < %s", [_epoch(to, "to")]))
        case = str(UUID(str(case_id))) if case_id is not None else None

        changes = self._changes(tx, common, case, after, limit + 1)
        reads = self._reads(tx, common, case, after, limit + 1)
        merged = sorted(
            [((float(r[10]), CHANGE, int(r[0])), r) for r in changes]
            + [((float(r[8]), READ, int(r[0])), r) for r in reads],
            key=lambda item: item[0],
        )
        page = merged[:limit]
        items = [
            change_to_dict(r) if kind == CHANGE else read_to_dict(r)
            for (_, kind, _), r in page
        ]
        next_cursor = None
        if len(merged) > limit and page:
            at, kind, seq = page[-1][0]
            next_cursor = encode_cursor(at, f"{'c' if kind == CHANGE else 'r'}:{seq}")
        return items, next_cursor

    def _changes(
        self,
        tx: Tx,
        common: list[tuple[str, list[Any]]],
        case_id: str | None,
        after: tuple[float, int, int] | None,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        where = [(c.replace("{at}", "recorded_at"), p) for c, p in common]
        if case_id is not None:
            where.append(("resource_id = %s", [case_id]))
        if after is not None:
            at, kind, seq = after
            if kind == CHANGE:
                where.append(
                    (
                        "(recorded_at > %s OR (recorded_at = %s AND position > %s))",
                        [at, at, seq],
                    )
                )
            else:
                where.append(("recorded_at > %s", [at]))
        return self._select(
            tx, ENTRY_COLUMNS, self.entries, where, "recorded_at, position", limit
        )

    def _reads(
        self,
        tx: Tx,
        common: list[tuple[str, list[Any]]],
        case_id: str | None,
        after: tuple[float, int, int] | None,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        where = [(c.replace("{at}", "at"), p) for c, p in common]
        if case_id is not None:
            where.append(("case_id = %s", [case_id]))
        if after is not None:
            at, kind, seq = after
            if kind == CHANGE:
                where.append(("at >= %s", [at]))
            else:
                where.append(("(at > %s OR (at = %s AND seq > %s))", [at, at, seq]))
        return self._select(tx, READ_COLUMNS, ACCESS_LOG_TABLE, where, "at, seq", limit)

    @staticmethod
    def _select(
        tx: Tx,
        columns: str,
        table: str,
        where: list[tuple[str, list[Any]]],
        order: str,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        sql = "SELECT " + columns + " FROM {t}"
        params: list[Any] = []
        if where:
            sql += " WHERE " + " AND ".join(c for c, _ in where)
            for _, p in where:
                params.extend(p)
        sql += " ORDER BY " + order + " LIMIT %s"
        params.append(limit)
        return tx.fetchall(sql, params, t=table)


__all__ = [
    "ACCESS_LOG_TABLE",
    "AuditTrailProjection",
    "AuditTrailView",
    "BadCursor",
    "create_access_log",
    "record_access",
]


AuditTrailProjection.view_class = AuditTrailView
