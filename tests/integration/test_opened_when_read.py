"""A case read with its personal values left sealed until shown (the replay's
read), on a real store: the same case as one read opened, no key read until a
value is, and nothing readable once the key is destroyed after the read."""

from __future__ import annotations

from uuid import UUID

from api.presenters import case_facts
from domain.history import plain
from domain.sealing import KeyScope, Unopened, scoped_keys
from domain.service import CaseService
from domain.values import ActivityKind, ErasureReason, IntakeDecision, Region, Step
from domain.values import Service as ConsultancyService
from domain.zone import local_date
from tests.support.samples import COORDINATOR, INTAKE, consultant_actor, registration


def case_with_activities(service: CaseService, activities: int = 5) -> UUID:
    case_id = service.register(registration(), by=INTAKE).case.id
    today = local_date(service.clock.now())
    for step in Step:
        service.record_prerequisite(case_id, step, today, "Gesprek gevoerd.", by=INTAKE)
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    consultant = service.register_consultant(
        "Anna Bakker",
        Region.NOORD_HOLLAND,
        ConsultancyService.ONDERWIJSCONSULENT,
        30,
        by=COORDINATOR,
    ).id
    service.assign(case_id, consultant, by=COORDINATOR)
    for n in range(activities):
        service.record_activity(
            case_id,
            ActivityKind.CONTACT,
            today,
            f"Gesprek {n} met de ouders.",
            ["ouders"],
            by=consultant_actor(consultant),
        )
    return case_id


def test_a_case_read_sealed_shows_what_the_case_read_opened_shows(
    service: CaseService,
) -> None:
    case_id = case_with_activities(service)
    for version in (1, 5, 9):
        opened = service.get_case(case_id, version=version)
        with KeyScope():
            sealed = service.get_case(case_id, version=version, opened=False)
            assert isinstance(sealed.pupil, Unopened)
            assert case_facts(sealed, ()) == case_facts(opened, ())
            assert plain(sealed.activities) == plain(opened.activities)
            assert sealed.pupil == opened.pupil


def test_reading_a_case_sealed_reads_its_key_only_when_a_value_is_shown(
    service: CaseService,
) -> None:
    case_id = case_with_activities(service)

    with KeyScope():
        case = service.get_case(case_id, version=9, opened=False)
        assert scoped_keys() == {}
        assert case.pupil.get("name") == "Sanne de Vries"
        assert list(scoped_keys() or {}) == [case_id]


def test_a_case_read_sealed_reads_as_erased_once_its_key_is_destroyed(
    service: CaseService,
) -> None:
    case_id = case_with_activities(service)
    case = service.get_case(case_id, opened=False)
    assert case.requester.get("email") == "jan@example.nl"
    service.withdraw(case_id, "Ouders trekken de aanmelding in.", by=INTAKE)

    service.erase_personal_data(
        case_id, ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
    )

    # The values read before the erasure, read again: gone with the key.
    assert case.requester.erased
    assert case.requester.get("email") is None
    assert case.pupil.get("name") is None
    assert case_facts(case, ())["erased"]
    assert plain(case.activities)[0]["summary"] is None
