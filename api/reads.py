"""Reading read models over HTTP: the serving version, min_position, and logging
every read of personal data in the access log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from fastapi import Request

from api.container import Container
from api.problems import Problem
from api.tracing import TraceContext
from domain.case import Case
from domain.deadlines import Deadline
from domain.errors import NotPermitted
from domain.processing import is_known_purpose
from domain.sealing import KeyRing, KeyScope, open_text
from domain.search import blind_words
from domain.values import Actor, Role
from domain.zone import local_date
from projections.audit_access_log import (
    CHANGE,
    READ,
    Trace,
    create_access_log,
    record_access,
)
from projections.audit_sealing import open_trail, withhold_changes
from projections.audit_trail import AuditTrailProjection
from projections.base import Projection
from projections.case_list import CaseListProjection
from projections.case_list_view import CaseFilter, CasePage, CaseRow
from projections.cursors import BadCursor
from projections.state import read_serving_version

READ_WAIT_SECONDS = 3.0


def serving_view(
    container: Container,
    projection_class: type[Projection],
    min_position: int | None,
) -> tuple[Any, int]:
    """The view class's instance on the serving version (waiting, when asked, for
    ``min_position``), and that version. The view class is ``projection.View``."""
    if min_position is not None and not container.wait_for(
        min_position, READ_WAIT_SECONDS, [projection_class.name]
    ):
        raise Problem(
            503,
            "read-model-behind",
            "Read model behind",
            f"{projection_class.name} has not yet reached position {min_position}",
            headers={"Retry-After": "1"},
        )
    version = read_serving_version(container.db, projection_class.name)
    if version is None:
        raise Problem(
            503,
            "read-model-missing",
            "Read model not built",
            f"{projection_class.name} has not been built yet",
            headers={"Retry-After": "5"},
        )
    projection = projection_class(version)
    tables = {base: projection.table(base) for base in projection.tables}
    return projection_class.view_class(tables), version


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def serves(*purposes: str) -> Callable[[Endpoint], Endpoint]:
    """Declare the purposes an endpoint logs its reads of personal data with (a
    code the register, domain.processing, knows: checked here, at import).
    ``log_reads`` refuses a purpose its endpoint did not declare, so a test
    walking the app's routes finds every route that reads personal data."""
    for purpose in purposes:
        if not is_known_purpose(purpose):
            raise ValueError(f"{purpose!r} is not in the processing register")

    def declare(endpoint: Endpoint) -> Endpoint:
        endpoint.processing_purposes = frozenset(purposes)  # type: ignore[attr-defined]
        return endpoint

    return declare


def declared_purposes(endpoint: Any) -> frozenset[str]:
    """The purposes ``serves`` declared on an endpoint (none when it did not)."""
    found: frozenset[str] = getattr(endpoint, "processing_purposes", frozenset())
    return found


def log_reads(
    container: Container,
    actor: Actor,
    request: Request,
    case_ids: Sequence[UUID],
    purpose: str,
) -> None:
    """Write who read which case's personal data, when, through which route, in
    which trace, for which processing activity (the purpose's, by the register)."""
    _log_access(container, actor, request, case_ids, purpose, READ)


def log_change(
    container: Container, actor: Actor, request: Request, case_id: UUID, command: str
) -> None:
    """Write that ``actor`` changed a case over HTTP with ``command`` (its answer
    showed the case): the Logboek's record of the change, with its trace."""
    log_changes(container, actor, request, [case_id], command)


def log_changes(
    container: Container,
    actor: Actor,
    request: Request,
    case_ids: Sequence[UUID],
    command: str,
) -> None:
    """As ``log_change``, for every case one command changed (a destruction
    run's erasures); nothing for none."""
    if case_ids:
        _log_access(container, actor, request, case_ids, command, CHANGE)


def request_trace(request: Request) -> Trace:
    """The request's trace context (api.tracing), as the access log stores it."""
    found: TraceContext | None = getattr(request.state, "trace", None)
    if found is None:
        return Trace()
    return Trace(found.trace_id, found.span_id, found.parent_span_id, found.started_at)


def _log_access(
    container: Container,
    actor: Actor,
    request: Request,
    case_ids: Sequence[UUID],
    purpose: str,
    operation: str,
) -> None:
    endpoint = request.scope.get("endpoint")
    if operation == READ and purpose not in declared_purposes(endpoint):
        raise RuntimeError(
            f"{getattr(endpoint, '__qualname__', endpoint)} logs reads for"
            f" {purpose!r} without declaring it (api.reads.serves)"
        )
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    # The service's clock, so reads and changes interleave truly in the trail.
    now = container.service.clock.now()
    targets: list[UUID | None] = list(case_ids) or [None]
    with container.db.transaction() as tx:
        record_access(
            tx,
            case_ids=targets,
            actor_id=actor.user_id,
            role=actor.role,
            request_id=actor.request_id,
            route=path,
            purpose=purpose,
            at=now,
            trace=request_trace(request),
            operation=operation,
        )


@dataclass(frozen=True)
class CaseAt:
    """A case as it was (or is), its deadline clocks, and its latest version."""

    case: Case
    deadlines: tuple[Deadline, ...]
    latest_version: int


def case_at(
    container: Container,
    actor: Actor,
    request: Request,
    case_id: UUID,
    *,
    purpose: str,
    version: int | None = None,
    as_of: datetime | None = None,
    clocks_on: date | None = None,
    clocks_when_recorded: bool = False,
    opened: bool = True,
) -> CaseAt:
    """The case now, at ``version`` or as it stood at ``as_of``, if ``actor`` may
    read it, the read logged with ``purpose``; for the API and the pages.

    The clocks are computed for ``clocks_on``, else (``clocks_when_recorded``)
    for the day that version was recorded, else for the day of ``as_of``, else
    for today. ``opened=False``: the case at a version or moment is read with
    its personal values sealed until shown (``ServiceReads.get_case``).
    CaseNotFound, NotPermitted; Problem 404 for a version the case has not
    reached, 422 for both a version and a moment."""
    if version is not None and as_of is not None:
        raise Problem(
            422, "invalid-request", "Invalid request", "give version or as_of, not both"
        )
    service = container.service
    now = version is None and as_of is None
    current: Case | None = None
    if now or not Case.may_read_any(actor):
        # Whether a consultant may read it depends on the case as it is now.
        current = service.get_case(case_id)
        current.check_may_read(actor)
        latest = current.version
    else:  # no need to load the case now (a long case's costliest read)
        latest = service.latest_version(case_id)
    if version is not None and version > latest:
        raise Problem(
            404,
            "version-not-found",
            "Version not found",
            f"the case has no version {version}",
        )
    case = (
        current
        if now and current is not None
        else service.get_case(case_id, version=version, as_of=as_of, opened=opened)
    )
    log_reads(container, actor, request, [case_id], purpose)
    today = clocks_on
    if today is None and clocks_when_recorded:
        today = local_date(case.modified_on)
    elif today is None and as_of is not None:
        today = as_of.date()
    return CaseAt(case, service.deadlines(case, today), latest)


def case_list_page(
    container: Container,
    actor: Actor,
    request: Request,
    filters: CaseFilter,
    *,
    limit: int,
    cursor: str | None,
    min_position: int | None = None,
) -> CasePage:
    """One page of the case list as ``actor`` may see it (a consultant: their own
    cases only), its reads of personal data logged; for the API and the pages."""
    if actor.role == Role.CONSULTANT:
        if filters.consultant_id not in (None, actor.user_id):
            raise NotPermitted("a consultant sees only the cases assigned to them")
        filters = replace(filters, consultant_id=actor.user_id)
    keyring = container.service.keyring
    if filters.q:
        filters = replace(
            filters, name_words=tuple(blind_words(keyring.search_secret(), filters.q))
        )
    view, _ = serving_view(container, CaseListProjection, min_position)
    try:
        with container.db.reading() as tx:
            page: CasePage = view.page(tx, filters, limit=limit, cursor=cursor)
    except BadCursor:
        raise _bad_cursor() from None
    rows = open_pupil_names(page.rows, keyring)
    log_reads(container, actor, request, [UUID(r.case_id) for r in rows], "case_list")
    return CasePage(rows, page.next_cursor)


def open_pupil_names(rows: Sequence[CaseRow], keyring: KeyRing) -> list[CaseRow]:
    """The rows with their sealed pupil names opened, the page's keys read with
    one query (None where erased)."""
    ids = [UUID(r.case_id) for r in rows]
    with KeyScope():
        keyring.prefetch(set(ids))
        return [
            replace(r, pupil_name=open_text(keyring.key_for(i), i, r.pupil_name))
            for r, i in zip(rows, ids, strict=True)
        ]


@dataclass(frozen=True)
class TrailFilter:
    """What the audit trail is filtered on (ids and codes, never a name)."""

    case_id: UUID | None = None
    actor: str | None = None
    role: str | None = None
    kind: str | None = None  # "change" or "read"
    from_: datetime | None = None
    to: datetime | None = None


def audit_trail_page(
    container: Container,
    filters: TrailFilter,
    *,
    limit: int,
    cursor: str | None,
    min_position: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the audit trail (changes and reads in time order) and the
    cursor of the next, personal values left out (null): for the pages, which
    show the names of the fields changed. Problem 422 for a cursor not handed
    out here or a bad filter."""
    found = _trail_page(container, filters, limit, cursor, min_position)
    for item in found[0]:
        if item["changes"] is not None:
            withhold_changes(item["changes"])
    return found


def opened_trail_page(
    container: Container,
    actor: Actor,
    request: Request,
    filters: TrailFilter,
    *,
    limit: int,
    cursor: str | None,
    min_position: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """As ``audit_trail_page``, with the personal values opened (null where
    erased), each case's read of them logged with its purpose."""
    found = _trail_page(container, filters, limit, cursor, min_position)
    opened = open_trail(found[0], container.service.keyring)
    if opened:
        log_reads(container, actor, request, opened, "audit_trail")
    return found


def _trail_page(
    container: Container,
    filters: TrailFilter,
    limit: int,
    cursor: str | None,
    min_position: int | None,
) -> tuple[list[dict[str, Any]], str | None]:
    view, _ = serving_view(container, AuditTrailProjection, min_position)
    try:
        with container.db.reading() as tx:
            found: tuple[list[dict[str, Any]], str | None] = view.trail(
                tx,
                case_id=filters.case_id,
                actor=filters.actor,
                role=filters.role,
                kind=filters.kind,
                from_=filters.from_,
                to=filters.to,
                limit=limit,
                cursor=cursor,
            )
    except BadCursor:
        raise _bad_cursor() from None
    except ValueError as error:
        raise Problem(422, "invalid-request", "Invalid request", str(error)) from None
    return found


def change_at(
    container: Container, case_id: UUID, version: int
) -> dict[str, Any] | None:
    """The audit trail's entry for a case's event at ``version``: what it changed
    (old and new values, personal ones opened, null once erased), who, when, the
    request. The caller logs the read of the case's personal data (the replay
    does, reading the case at that version)."""
    position = container.service.log_position_of(case_id, version)
    view, _ = serving_view(container, AuditTrailProjection, None)
    with container.db.reading() as tx:
        entry: dict[str, Any] | None = view.entry(tx, position)
    if entry is not None:
        open_trail([entry], container.service.keyring)
    return entry


def _bad_cursor() -> Problem:
    return Problem(
        422,
        "invalid-request",
        "Invalid request",
        "cursor is not one this service handed out",
        errors=[{"field": "cursor", "message": "not valid"}],
    )


def prepare_access_log(container: Container) -> None:
    with container.db.transaction() as tx:
        create_access_log(tx, container.db)
