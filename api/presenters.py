"""How domain objects are shown over HTTP: personal fields null once erased."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from api.schemas import CasePublic, CaseSummaryPublic, DeadlinePublic
from domain.case import Case
from domain.deadlines import Deadline
from domain.history import plain
from domain.values import Personal, Status
from projections.case_list_view import CaseRow


def _text(value: Personal | None) -> str | None:
    if value is None:
        return None
    got = value.get()
    return str(got) if got is not None else None


def case_public(
    case: Case, deadlines: tuple[Deadline, ...], log_position: int | None = None
) -> CasePublic:
    return CasePublic(
        **case_facts(case, deadlines),
        prerequisites=[
            {"step": step, **plain(p)} for step, p in sorted(case.prerequisites.items())
        ],
        prerequisites_decision=case.prerequisites_decision,
        intake=plain(case.intake),
        assignments=plain(case.assignments),
        activities=plain(case.activities),
        suspension_reason=_text(case.suspension_reason),
        outcome=plain(case.outcome),
        withdrawal_reason=_text(case.withdrawal_reason),
        reopenings=plain(case.reopenings),
        log_position=log_position,
    )


def case_facts(case: Case, deadlines: tuple[Deadline, ...]) -> dict[str, Any]:
    """The case's facts, personal data and clocks, as ``CasePublic`` has them,
    without its history (a long case's thousands of personal values): what
    the replay shows, which opens no more of them than these."""
    pupil = case.pupil
    requester = case.requester
    return dict(
        id=case.id,
        reference=case.reference,
        status=str(case.status),
        version=case.version,
        registered_at=case.created_on,
        # At a version before the erasure was recorded the key is gone all the
        # same: the personal data is erased in every version.
        erased=case.erased or pupil.erased,
        legal_hold=(
            None
            if case.legal_hold is None
            else {k: case.legal_hold[k] for k in ("reason", "reference", "placed_on")}
        ),
        channel=case.channel,
        requester={
            "role": case.requester_role,
            "name": requester.get("name"),
            "email": requester.get("email"),
            "phone": requester.get("phone"),
            "erased": requester.erased,
        },
        consent_given=case.consent_given,
        pupil={
            "name": pupil.get("name"),
            "birth_date": pupil.get("birth_date"),
            "municipality": case.municipality,
            "pc4": case.pc4,
            "erased": pupil.erased,
        },
        school={"name": case.school_name, "brin": case.brin, "cluster": case.cluster},
        sector=case.sector,
        samenwerkingsverband=case.samenwerkingsverband,
        region=case.region,
        category=case.category,
        service=case.service,
        at_home_since=case.at_home_since,
        receives_education=case.receives_education,
        school_decision_on=case.school_decision_on,
        account=_text(case.account),
        consultant_id=case.consultant_id,
        suspended=case.status == Status.SUSPENDED,
        deadlines=[deadline_public(d) for d in deadlines],
    )


def deadline_public(d: Deadline) -> DeadlinePublic:
    return DeadlinePublic(
        name=d.name,
        started_on=d.started_on,
        due=d.due,
        state=str(d.state),
        met_on=d.met_on,
    )


def history_public(entry: Any) -> dict[str, Any]:
    return {
        "version": entry.version,
        "type": entry.type,
        "recorded_at": entry.recorded_at,
        "actor": entry.actor.as_dict() if entry.actor else None,
        "data": entry.data,
    }


def case_summary_public(r: CaseRow) -> CaseSummaryPublic:
    """One row of the case list."""
    return CaseSummaryPublic(
        id=UUID(r.case_id),
        reference=r.reference,
        status=r.status,
        region=r.region,
        category=r.category,
        sector=r.sector,
        service=r.service,
        requester_role=r.requester_role,
        consultant_id=UUID(r.consultant_id) if r.consultant_id else None,
        registered_at=r.registered_at,
        pupil_name=r.pupil_name,
        erased=r.erased,
        at_home_since=date.fromisoformat(r.at_home_since) if r.at_home_since else None,
        next_due=date.fromisoformat(r.next_due) if r.next_due else None,
        version=r.version,
    )
