"""The coordinators' dashboard: a school year's figures, now or as of a moment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.dashboard_reads import dashboard_figures
from api.deps import ContainerDep, may_query
from api.params import MAX_POSITION, Moment, moment
from domain.permissions import Read
from domain.values import Region

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("", dependencies=[Depends(may_query(Read.READ_DASHBOARD))])
def dashboard(
    *,
    container: ContainerDep,
    school_year: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}-[0-9]{4}$", examples=["2026-2027"])
    ] = None,
    region: Region | None = None,
    as_of: Annotated[
        Moment | None, Query(description="RFC 3339 time with offset")
    ] = None,
    min_position: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> dict[str, Any]:
    """The dashboard figures for a school year (default: the current one)."""
    moment("as_of", as_of)
    return dashboard_figures(
        container,
        school_year=school_year,
        region=None if region is None else str(region),
        as_of=as_of,
        min_position=min_position,
    )
