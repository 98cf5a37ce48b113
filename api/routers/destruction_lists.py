"""Destruction lists and their certificates: propose what the retention period
makes due, take cases off with a reason, finish the review, approve, run.

Who may do which step is ``domain.permissions`` (record manager proposes and
reviews, privacy officer approves); every answer holds case references and
ids, codes, dates and user ids, never personal data.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status

from api.deps import ActorDep, ContainerDep, may_query, permitted
from api.destruction_schemas import Certificate, ListSummaries
from api.params import MAX_POSITION
from api.problems import Problem
from api.reads import log_changes, serving_view
from api.schemas import DestructionRemoval
from domain.destruction import DestructionList
from domain.permissions import Command, Read
from projections.destruction_lists import DestructionListsProjection
from projections.retention import ReadModelMissing, propose_due

router = APIRouter(prefix="/api/v1/destruction-lists", tags=["destruction lists"])
READER = may_query(Read.READ_DESTRUCTION)


@router.get(
    "",
    summary="The lists and certificates, newest first",
    dependencies=[Depends(READER)],
)
def list_lists(
    *,
    container: ContainerDep,
    kind: Annotated[str | None, Query(pattern="^(retention|on_request)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> ListSummaries:
    view, _ = serving_view(container, DestructionListsProjection, min_position)
    with container.db.reading() as tx:
        rows = view.recent(tx, limit=limit, kind=kind)
    return ListSummaries(items=list(rows))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Propose a list of the cases the retention period makes due",
    dependencies=[Depends(permitted(Command.PROPOSE_DESTRUCTION))],
)
def propose(*, container: ContainerDep, actor: ActorDep) -> Certificate:
    """Proposes only: nothing is erased before review, approval and a run."""
    try:
        proposal = propose_due(
            container.service, container.db, years=container.retention_years, by=actor
        )
    except ReadModelMissing as error:
        raise Problem(
            503,
            "read-model-missing",
            "Read model not built",
            str(error),
            headers={"Retry-After": "5"},
        ) from None
    if proposal.destruction_list is None:
        raise Problem(
            409, "nothing-due", "Nothing due", "no case is due for destruction"
        )
    return _certificate(proposal.destruction_list)


@router.get(
    "/{list_id}",
    summary="One list; once completed, its certificate",
    dependencies=[Depends(READER)],
)
def get_list(list_id: UUID, *, container: ContainerDep) -> Certificate:
    return _certificate(container.service.get_destruction_list(list_id))


@router.post(
    "/{list_id}/removals",
    summary="Take a case off a proposed list, with a reason code",
    dependencies=[Depends(permitted(Command.REVIEW_DESTRUCTION))],
)
def remove_case(
    list_id: UUID, body: DestructionRemoval, *, container: ContainerDep, actor: ActorDep
) -> Certificate:
    lst = container.service.remove_from_destruction_list(
        list_id, body.case_id, body.reason, body.file_reference, by=actor
    )
    return _certificate(lst)


@router.post(
    "/{list_id}/review",
    summary="Finish the review of a proposed list",
    dependencies=[Depends(permitted(Command.REVIEW_DESTRUCTION))],
)
def finish_review(
    list_id: UUID, *, container: ContainerDep, actor: ActorDep
) -> Certificate:
    return _certificate(container.service.finish_destruction_review(list_id, by=actor))


@router.post(
    "/{list_id}/approval",
    summary="Approve a reviewed list (another than who proposed or reviewed it)",
    dependencies=[Depends(permitted(Command.APPROVE_DESTRUCTION))],
)
def approve(list_id: UUID, *, container: ContainerDep, actor: ActorDep) -> Certificate:
    return _certificate(container.service.approve_destruction_list(list_id, by=actor))


@router.post(
    "/{list_id}/run",
    summary="Erase the cases an approved list waits on; safe to repeat",
    dependencies=[Depends(permitted(Command.RUN_DESTRUCTION))],
)
def run(
    list_id: UUID, request: Request, *, container: ContainerDep, actor: ActorDep
) -> Certificate:
    """Runs to the end in this request; a run cut off goes on when asked again.
    Each case it erases is logged as a change in the access log."""
    service = container.service
    before = service.get_destruction_list(list_id).erased()
    lst = service.run_destruction_list(list_id, by=actor)
    log_changes(
        container,
        actor,
        request,
        sorted(lst.erased() - before),
        Command.RUN_DESTRUCTION,
    )
    return _certificate(lst)


def _certificate(lst: DestructionList) -> Certificate:
    return Certificate.model_validate(lst.certificate())
