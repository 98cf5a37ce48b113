"""Every read model by name: what workers run and what `projections rebuild` takes."""

from __future__ import annotations

from projections.base import Projection
from projections.case_list import CaseListProjection

PROJECTIONS: dict[str, type[Projection]] = {
    cls.name: cls for cls in (CaseListProjection,)
}


def resolve(names: list[str] | None) -> list[type[Projection]]:
    """The projection classes named (all when none); ValueError names the unknown."""
    if not names:
        return list(PROJECTIONS.values())
    unknown = [n for n in names if n not in PROJECTIONS]
    if unknown:
        raise ValueError(
            f"unknown projection {', '.join(unknown)}; known: {', '.join(PROJECTIONS)}"
        )
    return [PROJECTIONS[n] for n in names]
