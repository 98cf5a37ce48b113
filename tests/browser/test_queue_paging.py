"""The work queue's pages: "next page" pages its own table only, and the
coordinator's thuiszitters come first over all pages, not within one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.service import CaseService
from domain.values import IntakeDecision, Role, Step
from domain.zone import local_date
from dossier.bootstrap import build_service
from tests.browser.conftest import read_at, web_user
from tests.browser.keyboard_and_http import signed_in_client
from tests.e2e.helpers import CASES, STORES, Api, api_for
from tests.e2e.helpers import server_pool as server_pool  # the pool's fixture
from tests.support.samples import INTAKE, registration

PAGE_SIZE = 50  # web/routes/queue.py
NEXT = re.compile(r'href="\?([^"]*lijst=[^"]*)">Volgende pagina')
REFERENCE = re.compile(r"/zaken/([0-9a-f-]{36})")


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    # A server of its own: its queues are filled past one page.
    return api_for(request, group="paging")


def recorded(api: Api, count: int, make: Callable[[CaseService], UUID]) -> set[str]:
    """``count`` cases made by ``make`` with the application service straight
    on the server's store (the pages are under test here, not the commands:
    the API's own tests drive those), once the server's case list has them."""
    service = build_service(api.server.settings)
    try:
        ids = {str(make(service)) for _ in range(count)}
        head = service.recorder.max_notification_id()
    finally:
        service.close()
    assert head is not None
    read_at(api, CASES, head)
    return ids


def new_registration(service: CaseService) -> UUID:
    pupil = registration().pupil
    unique = replace(pupil, name=f"Sanne {uuid.uuid4().hex[:12]}")
    return service.register(registration(pupil=unique), by=INTAKE).case.id


def awaiting_assignment(service: CaseService) -> UUID:
    """As ``api.case_in("awaiting_assignment")``: prerequisites met, admitted."""
    case_id = new_registration(service)
    today = local_date(datetime.now(UTC))
    for step in (Step.SCHOOL_CONVERSATION, Step.SAMENWERKINGSVERBAND_CONTACT):
        service.record_prerequisite(case_id, step, today, None, by=INTAKE)
    service.decide_intake(case_id, IntakeDecision.ADMISSIBLE, by=INTAKE)
    return case_id


def test_next_page_shows_the_rest_of_its_own_table_only(api: Api) -> None:
    registered = recorded(api, PAGE_SIZE + 1, new_registration)
    user = web_user(api, Role.INTAKE)
    with signed_in_client(api, user) as client:
        first = client.get("/").text
        links = NEXT.findall(first)
        assert len(links) == 1, "only the new registrations' table has more"
        rest = client.get("/?" + links[0].replace("&amp;", "&")).text

    on_first = set(REFERENCE.findall(first))
    on_rest = set(REFERENCE.findall(rest))
    # The other table is not paged along.
    assert 'id="queue-intake"' in first
    assert 'id="queue-intake"' not in rest
    assert len(on_rest) == 1
    assert not on_rest & on_first
    assert registered <= on_first | on_rest


def test_a_thuiszitter_registered_last_heads_the_coordinator_s_queue(
    api: Api,
) -> None:
    recorded(api, PAGE_SIZE, awaiting_assignment)
    at_home = api.case_in(
        "awaiting_assignment", at_home_since="2026-09-01", receives_education=False
    )
    user = web_user(api, Role.COORDINATOR)
    with signed_in_client(api, user) as client:
        queue = client.get("/").text

    assert REFERENCE.findall(queue)[0] == at_home["id"]
