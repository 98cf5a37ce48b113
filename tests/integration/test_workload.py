"""The workload read model on a real store: consultants' open cases against their
capacity, through assignment, reassignment, suspension, closing and reopening."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.service import CaseService
from domain.values import (
    Category,
    EducationStatus,
    IntakeDecision,
    Outcome,
    Region,
    Service,
    Step,
)
from projections.runner import ProjectionRunner
from projections.workload import WorkloadProjection, WorkloadView
from storage.db import Database
from tests.support.samples import COORDINATOR, INTAKE, registration

ZORG = Service.ONDERWIJSZORGCONSULENT


class Workload:
    """The workload projection beside the service that feeds it."""

    def __init__(self, service: CaseService, db: Database) -> None:
        self.service = service
        self.db = db
        self.runner = ProjectionRunner(service, db, WorkloadProjection)
        self.view = WorkloadView.for_version(self.runner.version)

    def consultant(
        self,
        name: str,
        capacity: int,
        region: Region = Region.NOORD_HOLLAND,
        kind: Service = Service.ONDERWIJSCONSULENT,
    ) -> UUID:
        return self.service.register_consultant(
            name, region, kind, capacity, by=COORDINATOR
        ).id

    def waiting_case(self, **changes: Any) -> UUID:
        """A case admitted and awaiting assignment."""
        case_id = self.service.register(registration(**changes), by=INTAKE).case.id
        for step in Step:
            self.service.record_prerequisite(
                case_id, step, date(2026, 10, 1), None, by=INTAKE
            )
        self.service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
        return case_id

    def assigned_case(self, consultant_id: UUID, **changes: Any) -> UUID:
        case_id = self.waiting_case(**changes)
        self.service.assign(case_id, consultant_id, by=COORDINATOR)
        return case_id

    def close(self, case_id: UUID) -> None:
        self.service.close_case(
            case_id,
            Outcome.BACK_AT_SCHOOL,
            EducationStatus.ATTENDING,
            "Terug op de eigen school.",
            by=COORDINATOR,
        )

    def one(self, consultant_id: UUID) -> dict[str, Any]:
        self.runner.catch_up()
        with self.db.reading() as tx:
            found = self.view.consultant(tx, consultant_id)
        assert found is not None
        return found

    def open_cases(self, *consultant_ids: UUID) -> list[int]:
        return [self.one(c)["open_cases"] for c in consultant_ids]

    def listed(self, **filters: Any) -> list[str]:
        self.runner.catch_up()
        with self.db.reading() as tx:
            return [c["name"] for c in self.view.consultants(tx, **filters)]

    def by_region(self) -> dict[str, dict[str, Any]]:
        self.runner.catch_up()
        with self.db.reading() as tx:
            return self.view.by_region(tx)


@pytest.fixture
def workload(service: CaseService, read_db: Database) -> Workload:
    return Workload(service, read_db)


def test_a_registered_consultant_is_listed_with_no_open_cases(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 30)

    assert workload.one(anna) == {
        "id": str(anna),
        "name": "Anna Bakker",
        "region": "noord-holland",
        "kind": "onderwijsconsulent",
        "capacity": 30,
        "active": True,
        "open_cases": 0,
        "utilisation": 0.0,
    }


def test_assigned_cases_count_against_the_consultants_capacity(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 4)
    for _ in range(3):
        workload.assigned_case(anna)
    workload.waiting_case()

    found = workload.one(anna)

    assert (found["open_cases"], found["utilisation"]) == (3, 0.75)


def test_a_reassignment_moves_one_case_from_the_old_to_the_new_consultant(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 4)
    bram = workload.consultant("Bram Visser", 2)
    moved = workload.assigned_case(anna)
    workload.assigned_case(anna)
    assert workload.open_cases(anna, bram) == [2, 0]

    workload.service.assign(moved, bram, by=COORDINATOR)

    assert workload.open_cases(anna, bram) == [1, 1]
    assert workload.one(bram)["utilisation"] == 0.5


def test_a_suspended_case_still_counts_and_a_closed_one_no_longer(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 10)
    case_id = workload.assigned_case(anna)
    workload.assigned_case(anna)

    workload.service.suspend(case_id, "Procedure bij de rechter.", by=COORDINATOR)
    assert workload.open_cases(anna) == [2]
    workload.service.resume(case_id, by=COORDINATOR)
    assert workload.open_cases(anna) == [2]

    workload.close(case_id)

    assert workload.open_cases(anna) == [1]


def test_withdrawing_counts_only_when_the_case_was_assigned(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 10)
    assigned = workload.assigned_case(anna)
    suspended = workload.assigned_case(anna)
    workload.service.suspend(suspended, "Ziekenhuisopname.", by=COORDINATOR)
    waiting = workload.waiting_case()
    assert workload.open_cases(anna) == [2]

    workload.service.withdraw(waiting, "Opgelost.", by=COORDINATOR)
    assert workload.open_cases(anna) == [2]
    workload.service.withdraw(suspended, "Verhuisd.", by=COORDINATOR)
    assert workload.open_cases(anna) == [1]
    workload.service.withdraw(assigned, "Opgelost.", by=COORDINATOR)

    assert workload.open_cases(anna) == [0]


def test_a_reopened_case_counts_for_nobody_until_assigned_again(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 10)
    bram = workload.consultant("Bram Visser", 10)
    case_id = workload.assigned_case(anna)
    workload.close(case_id)

    workload.service.reopen(case_id, "Plaatsing ging niet door.", by=COORDINATOR)
    assert workload.open_cases(anna, bram) == [0, 0]

    workload.service.assign(case_id, bram, by=COORDINATOR)
    assert workload.open_cases(anna, bram) == [0, 1]
    workload.close(case_id)
    workload.service.reopen(case_id, "Opnieuw aangemeld.", by=COORDINATOR)
    workload.service.assign(case_id, anna, by=COORDINATOR)

    assert workload.open_cases(anna, bram) == [1, 0]


def test_a_capacity_change_and_a_deactivation_update_the_consultant(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 10)
    workload.assigned_case(anna)
    workload.assigned_case(anna)

    workload.service.update_consultant(anna, capacity=8, by=COORDINATOR)
    assert workload.one(anna)["utilisation"] == 0.25
    workload.service.update_consultant(anna, capacity=0, by=COORDINATOR)
    assert workload.one(anna)["utilisation"] is None
    workload.service.update_consultant(
        anna, name="Anna de Boer-Bakker", active=False, by=COORDINATOR
    )

    found = workload.one(anna)
    assert (found["name"], found["active"], found["capacity"]) == (
        "Anna de Boer-Bakker",
        False,
        0,
    )
    # A deactivated consultant keeps the cases not yet handed over.
    assert found["open_cases"] == 2


def test_consultants_filter_by_region_kind_and_whether_active(
    workload: Workload,
) -> None:
    workload.consultant("Anna Bakker", 10)
    bram = workload.consultant("Bram Visser", 10)
    workload.consultant("Carla Smit", 10, kind=ZORG)
    workload.consultant("Dirk Jansen", 10, region=Region.UTRECHT)
    workload.service.update_consultant(bram, active=False, by=COORDINATOR)

    assert workload.listed() == [
        "Anna Bakker",
        "Bram Visser",
        "Carla Smit",
        "Dirk Jansen",
    ]
    assert workload.listed(region="noord-holland", kind="onderwijsconsulent") == [
        "Anna Bakker",
        "Bram Visser",
    ]
    assert workload.listed(kind=ZORG) == ["Carla Smit"]
    assert workload.listed(active=False) == ["Bram Visser"]
    assert workload.listed(active=True, region="utrecht") == ["Dirk Jansen"]
    assert workload.listed(region="zeeland") == []


def test_an_unknown_consultant_is_not_found(workload: Workload) -> None:
    workload.runner.catch_up()
    with workload.db.reading() as tx:
        assert workload.view.consultant(tx, UUID(int=7)) is None


def test_by_region_totals_capacity_and_open_cases_per_kind(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 4)
    bram = workload.consultant("Bram Visser", 6)
    carla = workload.consultant("Carla Smit", 5, kind=ZORG)
    dirk = workload.consultant("Dirk Jansen", 0, region=Region.UTRECHT)
    zorg = {"service": ZORG, "category": Category.ONDERWIJSZORGARRANGEMENT}
    workload.assigned_case(anna)
    workload.assigned_case(bram)
    workload.assigned_case(bram)
    workload.assigned_case(carla, **zorg)
    workload.assigned_case(dirk)
    # Bram leaves: his capacity no longer counts, his two cases still do.
    workload.service.update_consultant(bram, active=False, by=COORDINATOR)

    regions = workload.by_region()

    assert regions == {
        "noord-holland": {
            "consultants": 2,
            "capacity": 9,
            "open_cases": 4,
            "utilisation": 4 / 9,
            "kinds": {
                "onderwijsconsulent": {
                    "consultants": 1,
                    "capacity": 4,
                    "open_cases": 3,
                    "utilisation": 0.75,
                },
                "onderwijszorgconsulent": {
                    "consultants": 1,
                    "capacity": 5,
                    "open_cases": 1,
                    "utilisation": 0.2,
                },
            },
        },
        "utrecht": {
            "consultants": 1,
            "capacity": 0,
            "open_cases": 1,
            "utilisation": None,
            "kinds": {
                "onderwijsconsulent": {
                    "consultants": 1,
                    "capacity": 0,
                    "open_cases": 1,
                    "utilisation": None,
                }
            },
        },
    }


def test_a_consultant_moving_region_takes_their_open_cases_along(
    workload: Workload,
) -> None:
    anna = workload.consultant("Anna Bakker", 4)
    workload.assigned_case(anna)

    workload.service.update_consultant(anna, region=Region.UTRECHT, by=COORDINATOR)

    regions = workload.by_region()
    assert list(regions) == ["utrecht"]
    assert (regions["utrecht"]["capacity"], regions["utrecht"]["open_cases"]) == (4, 1)
