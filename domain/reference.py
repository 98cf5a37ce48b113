"""Human case references (OC-2026-00123): a counter per year, an index to find a case.

The counter is an aggregate per registration year, so two registrations that
draw a number at the same moment conflict on the counter's version and one of
them retries: no two cases ever get the same reference, on either store. The
index aggregate has a uuid5 id derived from the reference, so a reference can
be looked up and can never point at two cases.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

PREFIX = "OC"


def format_reference(year: int, number: int) -> str:
    """OC-<year>-<5 digits>; past 99,999 in a year the number simply grows wider."""
    return f"{PREFIX}-{year}-{number:05d}"


class ReferenceCounter(Aggregate):
    """The last reference number issued in one registration year."""

    year: int
    last: int

    class Started(Aggregate.Created):
        year: int

        def apply(self, counter: ReferenceCounter) -> None:
            counter.year = self.year
            counter.last = 0

    class Issued(Aggregate.Event):
        number: int

        def apply(self, counter: ReferenceCounter) -> None:
            counter.last = self.number

    @staticmethod
    def id_for(year: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"dossier:reference-counter:{year}")

    @classmethod
    def start(cls, year: int, now: datetime) -> ReferenceCounter:
        return cls._create(cls.Started, id=cls.id_for(year), timestamp=now, year=year)

    def __init__(self) -> None:
        """State is set by Started.apply."""

    def issue(self, now: datetime) -> str:
        self.trigger_event(self.Issued, timestamp=now, number=self.last + 1)
        return format_reference(self.year, self.last)


class CaseReference(Aggregate):
    """Index from a case reference to the case's id."""

    reference: str
    case_id: UUID

    class Created(Aggregate.Created):
        reference: str
        case_id: UUID

        def apply(self, index: CaseReference) -> None:
            index.reference = self.reference
            index.case_id = self.case_id

    @staticmethod
    def id_for(reference: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"dossier:case-reference:{reference.upper()}")

    @classmethod
    def create(cls, reference: str, case_id: UUID, now: datetime) -> CaseReference:
        return cls._create(
            cls.Created,
            id=cls.id_for(reference),
            timestamp=now,
            reference=reference,
            case_id=case_id,
        )

    def __init__(self) -> None:
        """State is set by Created.apply."""
