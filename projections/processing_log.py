"""The access log in the shape of Logius' Logboek Dataverwerkingen (LDV): one
record per processing of one data subject's personal data, for a period.

LDV field            from the access log row
-------------------  ---------------------------------------------------------
trace_id, span_id    trace_id, span_id (W3C Trace Context of the request)
parent_span_id       parent_span_id (the caller's span, when it sent one)
name                 ``<operation>:<purpose>``, e.g. ``read:case_page``
status               status (``Ok``: only reads and changes that were answered
                     are logged)
start_time/end_time  started_at / at (RFC 3339 UTC, milliseconds)
resource             {"attributes": {"service.name": "dossier"}}
attributes           dpl.core.processing_activity_id: the activity's URI in the
                     register (domain.processing); dpl.core.data_subject_id: the
                     case's pseudonym (never a name); dpl.core.data_subject_id_type;
                     and, in the ``dossier.`` namespace: entry id, operation,
                     purpose, route, actor id and role, request id

Reads of a list that showed no case concern no data subject and are left out.
Rows from before the trace columns have no trace id: theirs is derived from the
entry id (and said so in ``dossier.trace_derived``), so every record has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.processing import REGISTER, SUBJECT_ID_TYPE, Activity, activity_for
from projections.audit_access_log import ACCESS_LOG_TABLE, epoch
from storage.db import Database

COLUMNS = (
    "seq, entry_id, case_id, actor_id, actor_role, request_id, route, purpose, at,"
    " trace_id, span_id, parent_span_id, activity, operation, status, started_at"
)
CHUNK = 1000
RESOURCE = {"attributes": {"service.name": "dossier"}}


def _moment(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ldv_record(
    row: tuple[Any, ...], pseudonym: Callable[[UUID], str]
) -> dict[str, Any]:
    """One access-log row as an LDV record."""
    (_, entry_id, case_id, actor_id, role, request_id, route, purpose, at) = row[:9]
    (trace_id, span_id, parent, activity, operation, status, started) = row[9:]
    chosen = Activity(activity) if activity else activity_for(str(purpose), str(role))
    derived = trace_id is None
    hexed = UUID(str(entry_id)).hex
    attributes: dict[str, Any] = {
        "dpl.core.processing_activity_id": REGISTER[chosen].uri,
        "dpl.core.data_subject_id": pseudonym(UUID(str(case_id))),
        "dpl.core.data_subject_id_type": SUBJECT_ID_TYPE,
        "dossier.entry_id": str(entry_id),
        "dossier.operation": str(operation),
        "dossier.purpose": str(purpose),
        "dossier.route": str(route),
        "dossier.actor_id": str(actor_id),
        "dossier.actor_role": str(role),
        "dossier.request_id": request_id,
    }
    if derived:
        attributes["dossier.trace_derived"] = True
    return {
        "trace_id": hexed if derived else str(trace_id),
        "span_id": hexed[:16] if span_id is None else str(span_id),
        "parent_span_id": parent,
        "name": f"{operation}:{purpose}",
        "status": str(status),
        "start_time": _moment(float(started if started is not None else at)),
        "end_time": _moment(float(at)),
        "resource": RESOURCE,
        "attributes": attributes,
    }


def ldv_records(
    db: Database,
    pseudonym: Callable[[UUID], str],
    *,
    from_: datetime,
    to: datetime,
    case_id: UUID | None = None,
) -> Iterator[dict[str, Any]]:
    """Every access from ``from_`` (inclusive) to ``to`` (exclusive) in time
    order, as LDV records, read a chunk at a time (a long period never sits in
    memory whole). ValueError for a naive moment."""
    start, end = epoch(from_, "from"), epoch(to, "to")
    after: tuple[float, int] = (start, -1)
    where = "case_id IS NOT NULL AND at < %s AND (at > %s OR (at = %s AND seq > %s))"
    extra: list[Any] = []
    if case_id is not None:
        where += " AND case_id = %s"
        extra.append(str(case_id))
    while True:
        at, seq = after
        with db.reading() as tx:
            rows = tx.fetchall(
                "SELECT "
                + COLUMNS
                + " FROM {t} WHERE "
                + where
                + " ORDER BY at, seq LIMIT %s",
                [end, at, at, seq, *extra, CHUNK],
                t=ACCESS_LOG_TABLE,
            )
        for row in rows:
            yield ldv_record(row, pseudonym)
        if len(rows) < CHUNK:
            return
        after = (float(rows[-1][8]), int(rows[-1][0]))
