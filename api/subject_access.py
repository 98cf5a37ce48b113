"""The subject access export of one case (AVG article 15): everything Dossier
holds about the pupil and the requester (their personal data, opened), the
case's facts and its events in words, its deadlines and outcome, and who read
or changed it and why; for the API (JSON) and the case's inzageverzoek page.

Producing it is itself a read of the case's personal data, logged with the
purpose ``subject_access`` before the accesses are gathered, so the export
lists itself. Once the case is erased it says so, and the personal data reads
null everywhere (its events' personal values cannot be opened any more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import Request

from api.access_overview import every_access
from api.container import Container
from api.presenters import case_public
from api.reads import log_reads
from api.schemas import CasePublic
from domain.history import HistoryEntry
from domain.values import Actor
from projections.audit_queries import ACTION_DISPLAY

PURPOSE = "subject_access"
ERASED_NOTE = (
    "De persoonsgegevens van deze zaak zijn gewist; Dossier bewaart van deze "
    "zaak alleen nog gegevens die niet tot een persoon te herleiden zijn."
)


@dataclass(frozen=True)
class SubjectExport:
    """What the export holds, for the JSON document and the page alike."""

    case: CasePublic
    history: list[HistoryEntry]
    accesses: list[dict[str, Any]]
    produced_at: datetime
    produced_by: Actor
    organisation: str

    @property
    def erased(self) -> bool:
        return self.case.erased


def subject_export(
    container: Container, actor: Actor, request: Request, case_id: UUID
) -> SubjectExport:
    """The export of the case (CaseNotFound, NotPermitted), its making logged."""
    service = container.service
    case = service.get_case(case_id)
    case.check_may_read(actor)
    history = service.history(case_id)
    log_reads(container, actor, request, [case_id], PURPOSE)
    return SubjectExport(
        case=case_public(case, service.deadlines(case)),
        history=history,
        # Every change of the case is in the trail before it is listed.
        accesses=every_access(
            container, case_id, service.log_position_of(case_id, case.version)
        ),
        produced_at=service.clock.now(),
        produced_by=actor,
        organisation=container.organisation,
    )


def export_document(export: SubjectExport) -> dict[str, Any]:
    """The export as a JSON document."""
    case = export.case.model_dump(mode="json")
    personal = {
        "pupil": case["pupil"],
        "requester": case["requester"],
        "account": case["account"],
    }
    return {
        "organisation": export.organisation,
        "produced_at": export.produced_at.isoformat(),
        "produced_by": {
            "user_id": export.produced_by.user_id,
            "role": str(export.produced_by.role),
        },
        "case_id": case["id"],
        "reference": case["reference"],
        "erased": export.erased,
        "note": ERASED_NOTE if export.erased else None,
        "personal_data": None if export.erased else personal,
        "case": case,
        "deadlines": case["deadlines"],
        "outcome": case["outcome"],
        "history": [
            {
                "version": e.version,
                "at": e.recorded_at.isoformat(),
                "event": e.type,
                "description": ACTION_DISPLAY.get(f"Case.{e.type}", e.type),
                "by_role": str(e.actor.role) if e.actor else None,
                "data": e.data,
            }
            for e in export.history
        ],
        "accesses": export.accesses,
    }
