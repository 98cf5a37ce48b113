"""Every read model by name: what workers run and what `projections rebuild` takes."""

from __future__ import annotations

from projections.audit_trail import AuditTrailProjection
from projections.base import Projection
from projections.case_list import CaseListProjection
from projections.dashboard import DashboardProjection
from projections.deadlines import DeadlinesProjection
from projections.destruction_lists import DestructionListsProjection
from projections.workload import WorkloadProjection


def all_projections(intake_norm_weeks: int = 6) -> dict[str, type[Projection]]:
    """The read models, configured (the deadlines know the intake norm)."""
    classes: list[type[Projection]] = [
        CaseListProjection.configured(intake_norm_weeks=intake_norm_weeks),
        DashboardProjection,
        DeadlinesProjection.configured(intake_norm_weeks=intake_norm_weeks),
        WorkloadProjection,
        AuditTrailProjection,
        DestructionListsProjection,
    ]
    return {cls.name: cls for cls in classes}


def resolve(
    names: list[str] | None, *, intake_norm_weeks: int = 6
) -> list[type[Projection]]:
    """The projection classes named (all when none); ValueError names the unknown."""
    known = all_projections(intake_norm_weeks)
    if not names:
        return list(known.values())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown projection {', '.join(unknown)}; known: {', '.join(known)}"
        )
    return [known[n] for n in names]
