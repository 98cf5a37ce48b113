"""The bulk loader on both stores: every case it writes reads back whole through
the service (personal values opened under its own key), in one process or with
worker processes; references are unique, indexed and in order; and a
registration afterwards draws the next number."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.case import Case
from domain.reference import ReferenceCounter
from domain.service import CaseService
from domain.values import Actor, Role
from dossier.bulk import load
from tests.support.clock import FakeClock
from tests.support.samples import registration

CASES = 30


def stored_cases(service: CaseService) -> list[Case]:
    ids: list[UUID] = []
    for n in service.recorder.select_notifications(start=1, limit=100_000):
        if n.topic.endswith("Case.Registered") and n.originator_version == 1:
            ids.append(UUID(str(n.originator_id)))
    return [service.get_case(case_id) for case_id in ids]


@pytest.mark.parametrize("workers", [0, 2])
def test_bulk_loaded_cases_read_back_whole_with_their_personal_data(
    service: CaseService, workers: int
) -> None:
    report = load(service, CASES, batch=7, workers=workers)

    cases = stored_cases(service)
    assert len(cases) == CASES == report.cases
    head = service.recorder.max_notification_id()
    # The 8 consultants (4 of each service), then every event it counted.
    assert head == report.events + 8
    for case in cases:
        assert case.pupil.value["name"] == "Leerling Bulk"
        assert len(case.prerequisites) > 0
        assert service.find_case_id(case.reference) == case.id
        assert service.keyring.key_for(case.id) is not None
    references = [c.reference for c in cases]
    assert len(set(references)) == CASES
    # Issued in registration order, one series per year without gaps.
    by_year = Counter(r.split("-")[1] for r in references)
    for year, count in by_year.items():
        numbers = [int(r.split("-")[2]) for r in references if f"-{year}-" in r]
        assert numbers == list(range(1, count + 1))
    # Recorded as they would have happened: nothing after today.
    assert max(c.modified_on for c in cases) < datetime.now(UTC)
    statuses = Counter(str(c.status) for c in cases)
    assert len(statuses) >= 3, statuses


def test_registering_after_a_bulk_load_draws_the_next_reference(
    service: CaseService, clock: FakeClock
) -> None:
    load(service, 9, batch=4, workers=0, start=clock.now() - timedelta(days=3))
    last = max(c.reference for c in stored_cases(service))
    year = int(last.split("-")[1])
    counter: ReferenceCounter = service.repository.get(ReferenceCounter.id_for(year))
    assert isinstance(counter, ReferenceCounter)
    assert counter.last == int(last.split("-")[2])
    assert service.snapshots is not None
    assert list(service.snapshots.get(ReferenceCounter.id_for(year)))

    result = service.register(registration(), by=Actor("intake-1", Role.INTAKE))

    assert result.case.reference == f"OC-{year}-{counter.last + 1:05d}"


def test_loading_again_adds_new_cases_after_the_first(service: CaseService) -> None:
    load(service, 5, batch=3, workers=0, seed=3)
    load(service, 4, batch=3, workers=0, seed=3)

    cases = stored_cases(service)
    assert len({c.id for c in cases}) == 9
    assert len({c.reference for c in cases}) == 9
