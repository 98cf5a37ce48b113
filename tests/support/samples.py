"""Sample registrations and actors for tests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import uuid4

from domain.registration import Pupil, Registration, Requester, School
from domain.values import (
    Actor,
    Category,
    Channel,
    Region,
    RequesterRole,
    Role,
    Sector,
    Service,
)

INTAKE = Actor("intake-1", Role.INTAKE, "req-intake")
COORDINATOR = Actor("coordinator-1", Role.COORDINATOR, "req-coord")
AUDITOR = Actor("auditor-1", Role.AUDITOR, "req-audit")


def consultant_actor(consultant_id: uuid.UUID) -> Actor:
    return Actor(str(consultant_id), Role.CONSULTANT, "req-consultant")


def registration(**changes: Any) -> Registration:
    """A valid registration of a primary-school pupil in Amsterdam."""
    base = Registration(
        channel=Channel.WEB,
        requester=Requester(
            RequesterRole.PARENT, "Jan de Vries", "jan@example.nl", "0612345678"
        ),
        consent_given=True,
        pupil=Pupil("Sanne de Vries", date(2015, 3, 14), "Amsterdam", "1011"),
        school=School("Basisschool De Regenboog", "12AB", None),
        sector=Sector.PO,
        samenwerkingsverband="PO2707",
        region=Region.NOORD_HOLLAND,
        category=Category.TOELATING,
        service=Service.ONDERWIJSCONSULENT,
        at_home_since=None,
        receives_education=True,
        account="School weigert toelating na verhuizing.",
    )
    return replace(base, **changes)


def canaries(*fields: str) -> dict[str, str]:
    """A unique string per field, to plant as personal data and search for later."""
    tag = uuid4().hex[:12]
    return {field: f"Canary{field.title()}{tag}" for field in fields}
