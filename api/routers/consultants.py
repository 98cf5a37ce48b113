"""Consultants: register, change, list with their workload."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api.deps import ActorDep, ContainerDep, may_query, permitted
from api.params import MAX_POSITION, IfMatch, expected_version
from api.reads import serving_view
from api.schemas import ConsultantCreate, ConsultantPublic, ConsultantUpdate
from domain.consultant import Consultant
from domain.permissions import Command, Read
from domain.values import Region, Service
from projections.workload import WorkloadProjection

router = APIRouter(prefix="/api/v1/consultants", tags=["consultants"])
MANAGERS = permitted(Command.MANAGE_CONSULTANTS)
READERS = may_query(Read.READ_CONSULTANTS)


def consultant_public(
    consultant: Consultant, response: Response | None = None
) -> ConsultantPublic:
    if response is not None:
        response.headers["ETag"] = f'"{consultant.version}"'
    return ConsultantPublic(**consultant.as_dict())


@router.post(
    "",
    status_code=201,
    response_model=ConsultantPublic,
    dependencies=[Depends(MANAGERS)],
)
def register_consultant(
    body: ConsultantCreate,
    response: Response,
    *,
    container: ContainerDep,
    actor: ActorDep,
) -> ConsultantPublic:
    """Register a consultant with region, kind and capacity."""
    consultant = container.service.register_consultant(
        body.name, body.region, body.kind, body.capacity, by=actor
    )
    response.headers["Location"] = f"{router.prefix}/{consultant.id}"
    return consultant_public(consultant, response)


@router.patch(
    "/{consultant_id}",
    response_model=ConsultantPublic,
    dependencies=[Depends(MANAGERS)],
)
def update_consultant(
    consultant_id: UUID,
    body: ConsultantUpdate,
    response: Response,
    *,
    container: ContainerDep,
    actor: ActorDep,
    if_match: IfMatch = None,
) -> ConsultantPublic:
    """Change a consultant's name, region, capacity or whether they are active;
    with If-Match, only if the consultant is still at that version (412)."""
    consultant = container.service.update_consultant(
        consultant_id,
        by=actor,
        name=body.name,
        region=body.region,
        capacity=body.capacity,
        active=body.active,
        expected_version=expected_version(if_match),
    )
    return consultant_public(consultant, response)


@router.get(
    "/{consultant_id}",
    response_model=ConsultantPublic,
    dependencies=[Depends(READERS)],
)
def get_consultant(
    consultant_id: UUID, response: Response, *, container: ContainerDep
) -> ConsultantPublic:
    """One consultant as they are now, with open cases when the read model has them."""
    consultant = container.service.get_consultant(consultant_id)
    public = consultant_public(consultant, response)
    view, _ = serving_view(container, WorkloadProjection, None)
    with container.db.reading() as tx:
        load = view.consultant(tx, consultant_id)
    if load is not None:
        public.open_cases = load["open_cases"]
        public.utilisation = load["utilisation"]
    return public


@router.get(
    "",
    response_model=list[ConsultantPublic],
    dependencies=[Depends(READERS)],
)
def list_consultants(
    *,
    container: ContainerDep,
    region: Region | None = None,
    kind: Service | None = None,
    active: bool | None = None,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> list[dict[str, Any]]:
    """Consultants with their open cases against capacity (read model)."""
    view, _ = serving_view(container, WorkloadProjection, min_position)
    with container.db.reading() as tx:
        rows = view.consultants(tx, region=region, kind=kind, active=active)
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "region": r["region"],
            "kind": r["kind"],
            "capacity": r["capacity"],
            "active": r["active"],
            "version": None,
            "open_cases": r["open_cases"],
            "utilisation": r["utilisation"],
        }
        for r in rows
    ]
