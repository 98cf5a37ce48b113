"""The retention worker's question: which ended cases may now be proposed for
destruction. Read from the case list (status, erased, the timeline's end day)
and the destruction lists (cases already waiting on one); the domain checks
each candidate on the case itself before it goes on a list
(``CaseService.propose_destruction``), so a read model behind only leaves a
case for the next proposal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.destruction import DestructionList, retention_rule
from domain.errors import DestructionError
from domain.service import CaseService
from domain.values import ENDED_STATUSES, Actor
from domain.zone import local_date
from projections.base import versioned_tables
from projections.case_list import CaseListProjection
from projections.destruction_lists import DestructionListsProjection
from projections.state import read_serving_version
from storage.db import Database


class ReadModelMissing(Exception):
    """The read models the question needs have not been built yet."""


@dataclass(frozen=True)
class Proposal:
    """What a proposal round did: the list made (None when nothing was due)."""

    destruction_list: DestructionList | None
    candidates: int


def _tables(
    db: Database,
    projection: type[CaseListProjection] | type[DestructionListsProjection],
) -> dict[str, str]:
    version = read_serving_version(db, projection.name)
    if version is None:
        raise ReadModelMissing(f"the {projection.name} read model is not built yet")
    return versioned_tables(projection.tables, version)


def ended_before(db: Database, cutoff: date) -> list[UUID]:
    """Cases ended before ``cutoff`` and not erased, by the case list."""
    table = _tables(db, CaseListProjection)["case_list"]
    statuses = sorted(ENDED_STATUSES)
    marks = ", ".join(["%s"] * len(statuses))
    with db.reading() as tx:
        rows = tx.fetchall(
            "SELECT case_id, timeline FROM {t}"
            " WHERE erased = 0 AND status IN (" + marks + ")",
            [str(s) for s in statuses],
            t=table,
        )
    due: list[UUID] = []
    for case_id, timeline in rows:
        ended = json.loads(timeline).get("ended_on") if timeline else None
        if ended is not None and date.fromisoformat(ended) < cutoff:
            due.append(UUID(str(case_id)))
    return due


def on_open_lists(db: Database) -> set[UUID]:
    """Cases waiting on a destruction list not yet completed."""
    view = DestructionListsProjection.view_class(
        _tables(db, DestructionListsProjection)
    )
    with db.reading() as tx:
        return {UUID(c) for c in view.cases_on_open_lists(tx)}


def propose_due(
    service: CaseService, db: Database, *, years: int, by: Actor
) -> Proposal:
    """One round of the retention worker: a destruction list of the cases due
    (none is made when nothing is). It proposes; it never erases."""
    rule = retention_rule(years, local_date(service.clock.now()))
    candidates = ended_before(db, date.fromisoformat(rule["ended_before"]))
    try:
        made = service.propose_destruction(
            candidates, years=years, by=by, exclude=on_open_lists(db)
        )
    except DestructionError as nothing:
        if nothing.rule != "nothing-due":
            raise
        return Proposal(None, len(candidates))
    return Proposal(made, len(candidates))
