"""How the audit trail records a change: each case's and consultant's flattened
state, the old and new values of what an event changed, and erasure.

``changes`` holds only the fields that changed, flattened to dotted names
(``prerequisites.school_conversation.date``, ``activities.0.summary``). To know
old values, ``audit_case_state`` keeps each case's (and consultant's) current
flattened state. Personal values (requester, pupil, account, notes, reasons,
summaries, parties) are recorded while the case's personal data exists, and
only sealed under the case's key (``projections.audit_sealing``): destroying
the key shreds them in every row and old row version at once. A
personal field an event sets or clears is always listed, whatever its value, so
that an entry reads alike whether it was made before or after the key was
destroyed. On ``PersonalDataErased`` every personal value of the case is
replaced by null in all its entries and in its state, and each entry that held
one is marked ``"erased": true`` with its ``"erased_fields"``. Replaying the
shredded log gives the same rows as erasing a live trail.

What each event changes is in ``projections.audit_trail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from operator import itemgetter
from typing import Any

from domain.case import Case
from domain.consultant import Consultant
from domain.history import plain
from domain.sealing import KeyScope, Unopened
from domain.status import CaseStatus, next_status
from domain.values import Personal, Status
from projections.audit_access_log import create_access_log
from projections.audit_entries import (
    CASE,
    CREATE,
    ENTRY,
    PARTIAL_UPDATE,
    STATE,
    TABLES,
    entry_uuid,
    json_text,
    json_value,
)
from projections.audit_sealing import (
    SEALED_FIELDS,
    Sealers,
    open_changes,
    open_state,
    sealed_fields,
)
from projections.base import Projection, RowBatch, insert_rows
from storage.db import Database, SQLiteTx, Tx


@cache
def _item_pattern(prefix: str) -> re.Pattern[str]:
    """The keys of a flattened list's items (``activities.<n>.on``), ``<n>`` caught."""
    return re.compile(re.escape(prefix) + r"\.(\d+)\.")


def item_count(state: FlatState, prefix: str) -> int:
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


@dataclass
class FlatState:
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
    # Per flattened list counted (``item_count``): its items' numbers found so far,
    # and how many keys of ``values`` were looked at for them.
    items: dict[str, tuple[set[str], int]] = field(default_factory=dict)


AUDITED = (Case.Event, Case.Registered, Consultant.Event, Consultant.Registered)
# The types plain() returns as they are.
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})
# An entry (a dict) as a row of audit_entries.
_ENTRY_ROW = itemgetter(*ENTRY)


def _state_row(resource_id: str, s: FlatState) -> tuple[Any, ...]:
    """A state as a row of audit_case_state (STATE's order)."""
    return (
        resource_id,
        s.resource,
        json_text(s.values),
        json_text(sorted(s.personal)),
        int(s.erased),
        s.version,
        s.position,
    )


class AuditRecorder(Projection):
    """Keeps ``audit_entries_v<N>`` (one row per event of a case or a consultant)
    and ``audit_case_state_v<N>`` (each one's current flattened state): the
    working set of a batch, and ``_record``, which the event handlers of
    ``AuditTrailProjection`` call with the fields each event sets."""

    tables = TABLES
    needs_personal_data = True
    # Personal values are kept as their events sealed them (Unopened), so the
    # runner decodes without opening them: a rebuild decrypts nothing.
    keeps_values_sealed = True

    def __init__(self, version: int) -> None:
        super().__init__(version)
        self._rows = RowBatch(self.table("audit_case_state"), "resource_id", STATE)
        self._preloaded: set[str] = set()
        self._states: dict[str, FlatState] = {}
        self._entries: list[dict[str, Any]] = []
        self._sealers: Sealers | None = None

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
            # The trail of one case or one actor in time order (the access
            # overview, the Logboek's filters): read in order from the index,
            # never by walking every entry in time order for the few that match.
            # Added without a new version: an index changes no row.
            ("resource_time", "resource_id, recorded_at, position"),
            ("actor_time", "actor_id, recorded_at, position"),
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

    def checksum_rows(self, tx: Tx) -> Iterable[tuple[Any, ...]]:
        """As every projection's, with the sealed values opened (each sealing has
        a nonce of its own, so two versions differ in their bytes; opened, a
        version from before sealing compares equal)."""
        assert self.keyring is not None
        with KeyScope():
            sealers = Sealers(self.keyring.key_for)
            for row in super().checksum_rows(tx):
                if row[0] == "audit_entries":
                    changes = dict(json_value(row[12]))
                    open_changes(changes, str(row[4]), sealers)
                    row = (*row[:12], _as_stored(row[12], changes), *row[13:])
                elif row[0] == "audit_case_state":
                    values = dict(json_value(row[3]))
                    open_state(values, json_value(row[4]), str(row[1]), sealers)
                    row = (*row[:3], _as_stored(row[3], values), *row[4:])
                yield row

    # --- the batch's working set -----------------------------------------------------

    def preload(self, tx: Tx, events: Sequence[Any]) -> None:
        """Read the state of every case and consultant in the batch with one query."""
        self._states.clear()
        self._entries.clear()
        self._sealers = None
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
        self._sealers = None

    def _sealing(self) -> Sealers:
        """The batch's sealers (keys read within the runner's KeyScope)."""
        if self._sealers is None:
            assert self.keyring is not None, "the runner gives the audit trail its keys"
            self._sealers = Sealers(self.keyring.key_for)
        return self._sealers

    def _entry_rows(self) -> Iterator[tuple[Any, ...]]:
        """The batch's entries as rows, each made as it is written (so the server
        stores the first while the next are made)."""
        for entry in self._entries:
            entry["changes"] = json_text(entry["changes"])
            yield _ENTRY_ROW(entry)

    def _state(self, tx: Tx, resource_id: str, resource: str) -> FlatState:
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
            state = FlatState(resource=resource)
        else:
            state = FlatState(
                resource=str(row["resource"]),
                values=dict(json_value(row["state"])),
                personal=set(json_value(row["personal_fields"])),
                erased=bool(row["erased"]),
                version=int(row["version"]),
                position=int(row["position"]),
                stored=True,
            )
        self._states[resource_id] = state
        return state

    def _case(self, tx: Tx, event: Any) -> FlatState:
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
            elif kind is Unopened:  # kept as the event sealed it, never opened
                value = self._sealing().keep(resource_id, raw)  # None: erased
            elif kind is Personal:
                value = raw.get()
                if value is not None:  # kept only sealed (None: erased since)
                    value = self._sealing().seal(resource_id, value)
            else:
                value = plain(raw)
            if isinstance(raw, Personal):
                if kind is Unopened:
                    present, erased = value is not None, value is None
                else:
                    present, erased = raw.value is not None, raw.erased
                state.personal.add(key)
                state.erased = state.erased or erased
                # Listed whenever the event sets or clears it, never by comparing
                # values: those may already be unreadable (erased).
                changed = action == CREATE or key in values or present or erased
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
        if sealed := sealed_fields(changes, state.personal):
            changes[SEALED_FIELDS] = sealed
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

    def _erase_case(self, tx: Tx, case_id: str, state: FlatState) -> None:
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
            changes = dict(json_value(text))
            if _erase_changes(changes, state.personal):
                updates.append((json_text(changes), int(position)))
        tx.executemany(
            "UPDATE {t} SET changes = %s, erased = 1 WHERE position = %s",
            updates,
            t=entries,
        )


def _as_stored(column: Any, value: dict[str, Any]) -> Any:
    """A JSON column's value in the form the store gave it (text or parsed)."""
    return json_text(value) if isinstance(column, str | bytes) else value


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
    changes.pop(SEALED_FIELDS, None)  # nothing sealed is left
    changes["erased"] = True
    changes["erased_fields"] = sorted(erased)
    return True
