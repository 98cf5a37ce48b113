"""The audit trail as auditors read it: changes (``projections.audit_trail``) and
reads (``projections.audit_access_log``) merged in time order, each item in the
shape of the Dutch ZGW audittrail (VNG Zaakgericht Werken), with English
snake_case names.

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
                     kind, route, purpose, kind is "change" or "read";
                     activity, trace_id    activity: the processing activity
                                           (domain.processing), reads only
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.processing import activity_for
from projections.audit_access_log import ACCESS_LOG_TABLE, epoch
from projections.audit_access_log import READ as READ_OPERATION
from projections.audit_entries import (
    API_BASE,
    CASE,
    CREATE,
    ENTRY,
    SOURCE,
    TABLES,
    json_value,
)
from projections.base import versioned_tables
from projections.cursors import BadCursor, decode_cursor, decode_sequence, encode_cursor
from storage.db import Tx

MAX_LIMIT = 1000
# actie of a read: one case's data, or a list.
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
    "Case.LegalHoldPlaced": "Juridische blokkade geplaatst",
    "Case.LegalHoldLifted": "Juridische blokkade opgeheven",
    "Case.PersonalDataErased": "Persoonsgegevens vernietigd",
    "Consultant.Registered": "Consulent aangemaakt",
    "Consultant.Updated": "Consulent gewijzigd",
}
READ_DISPLAY = {RETRIEVE: "Gegevens ingezien", LIST: "Lijst ingezien"}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


CHANGE, READ = 0, 1  # at the same moment, changes come before reads
KINDS = ("change", "read")  # an item's kind, and the trail's filter on it

ENTRY_COLUMNS = ", ".join(ENTRY)
READ_COLUMNS = "seq, entry_id, case_id, actor_id, actor_role, request_id, route,"
READ_COLUMNS += " purpose, at, activity, trace_id"


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
        "changes": json_value(r[11]),
        "erased": bool(r[12]),
        "comment": r[13],
        "route": None,
        "purpose": None,
        "activity": None,
        "trace_id": None,
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
        "activity": r[9] or str(activity_for(str(r[7]), str(r[4]))),
        "trace_id": r[10],
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
        return cls(versioned_tables(TABLES, version))

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
        role: str | None = None,
        kind: str | None = None,
        from_: datetime | None = None,
        to: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Changes and reads in time order (then log position; at one moment changes
        before reads), from ``from_`` (inclusive) to ``to`` (exclusive); a page and
        the cursor of the next one (None on the last). ``case_id`` is any resource's
        id: a consultant's gives that consultant's changes; ``role`` an actor's
        role; ``kind`` "change" or "read" gives only those. ValueError for a bad
        id, kind, limit or naive time; BadCursor for a cursor not handed out here."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if kind not in (None, *KINDS):
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        after = _decode_trail_cursor(cursor) if cursor is not None else None
        common: list[tuple[str, list[Any]]] = []
        if actor is not None:
            common.append(("actor_id = %s", [actor]))
        if role is not None:
            common.append(("actor_role = %s", [role]))
        if from_ is not None:
            common.append(("{at} >= %s", [epoch(from_, "from")]))
        if to is not None:
            common.append(("{at} < %s", [epoch(to, "to")]))
        case = str(UUID(str(case_id))) if case_id is not None else None

        changes = (
            self._changes(tx, common, case, after, limit + 1) if kind != "read" else []
        )
        reads = (
            self._reads(tx, common, case, after, limit + 1) if kind != "change" else []
        )
        merged = sorted(
            [((float(r[10]), CHANGE, int(r[0])), r) for r in changes]
            + [((float(r[8]), READ, int(r[0])), r) for r in reads],
            key=lambda item: item[0],
        )
        page = merged[:limit]
        items = [
            change_to_dict(r) if side == CHANGE else read_to_dict(r)
            for (_, side, _), r in page
        ]
        next_cursor = None
        if len(merged) > limit and page:
            at, side, seq = page[-1][0]
            next_cursor = encode_cursor(at, f"{'c' if side == CHANGE else 'r'}:{seq}")
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
        # The log's change rows are for the Logboek export: the trail takes its
        # changes from the events, which no command can bypass.
        where.append(("operation = %s", [READ_OPERATION]))
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
