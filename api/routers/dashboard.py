"""The coordinators' dashboard: a school year's figures, now or as of a moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import ContainerDep, may_query
from api.params import MAX_POSITION, Moment, moment
from api.problems import Problem
from api.reads import serving_view
from domain.permissions import Read
from domain.values import Region
from domain.zone import local_date
from projections.dashboard import DashboardProjection
from projections.deadlines import DeadlinesProjection
from projections.figures import school_year_of
from projections.workload import WorkloadProjection

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
    now = datetime.now(tz=UTC)
    at = min(as_of, now) if as_of is not None else now
    year = school_year or school_year_of(local_date(at))
    view, _ = serving_view(container, DashboardProjection, min_position)
    workload, _ = serving_view(container, WorkloadProjection, None)
    with container.db.reading() as tx:
        capacities = {
            c["id"]: c["capacity"] for c in workload.consultants(tx, region=region)
        }
        try:
            figures: dict[str, Any] = view.figures(
                tx,
                school_year=year,
                region=region,
                as_of=as_of,
                now=now,
                capacities=capacities,
            )
        except ValueError as error:
            raise Problem(
                422, "invalid-request", "Invalid request", str(error)
            ) from None
    if as_of is not None:
        # The deadline clocks are kept as they stand now, not with their past:
        # said in the answer rather than left out without a word.
        figures["deadlines"] = None
        figures["deadlines_to_watch"] = None
        figures["not_available"] = {
            name: "the deadline clocks are kept for the present only; "
            "ask without as_of for them"
            for name in ("deadlines", "deadlines_to_watch")
        }
    else:
        deadlines, _ = serving_view(container, DeadlinesProjection, None)
        with container.db.reading() as tx:
            figures["deadlines"] = deadlines.counts(tx, region)
            figures["deadlines_to_watch"] = [
                r.as_dict() for r in deadlines.missed_or_at_risk(tx, region=region)
            ]
    return figures
