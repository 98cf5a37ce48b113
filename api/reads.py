"""Reading read models over HTTP: the serving version, min_position, and logging
every read of personal data in the access log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from fastapi import Request

from api.container import Container
from api.problems import Problem
from domain.errors import NotPermitted
from domain.sealing import KeyScope, open_text
from domain.search import blind_words
from domain.values import Actor, Role
from projections.audit_access_log import create_access_log, record_access
from projections.base import Projection
from projections.case_list import CaseFilter, CaseListProjection, CasePage
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


def log_reads(
    container: Container,
    actor: Actor,
    request: Request,
    case_ids: Sequence[UUID],
    purpose: str,
) -> None:
    """Write who read which case's personal data, when, through which route."""
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
        )


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
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "cursor is not one this service handed out",
            errors=[{"field": "cursor", "message": "not valid"}],
        ) from None
    ids = [UUID(r.case_id) for r in page.rows]
    with KeyScope():  # the page's names opened with one read of their keys
        keyring.prefetch(set(ids))
        rows = [
            replace(r, pupil_name=open_text(keyring.key_for(i), i, r.pupil_name))
            for r, i in zip(page.rows, ids, strict=True)
        ]
    log_reads(container, actor, request, ids, "case_list")
    return CasePage(rows, page.next_cursor)


def prepare_access_log(container: Container) -> None:
    with container.db.transaction() as tx:
        create_access_log(tx, container.db)
