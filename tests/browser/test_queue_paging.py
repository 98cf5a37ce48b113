"""The work queue's pages: "next page" pages its own table only, and the
coordinator's thuiszitters come first over all pages, not within one."""

from __future__ import annotations

import re

import pytest

from domain.values import Role
from tests.browser.conftest import web_user
from tests.browser.keyboard_and_http import signed_in_client
from tests.e2e.helpers import STORES, Api, api_for
from tests.e2e.helpers import server_pool as server_pool  # the pool's fixture

PAGE_SIZE = 50  # web/routes/queue.py
NEXT = re.compile(r'href="\?([^"]*lijst=[^"]*)">Volgende pagina')
REFERENCE = re.compile(r"/zaken/([0-9a-f-]{36})")


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    # A server of its own: its queues are filled past one page.
    return api_for(request, group="paging")


def test_next_page_shows_the_rest_of_its_own_table_only(api: Api) -> None:
    registered = {api.register()["id"] for _ in range(PAGE_SIZE + 1)}
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
    for _ in range(PAGE_SIZE):
        api.case_in("awaiting_assignment")
    at_home = api.case_in(
        "awaiting_assignment", at_home_since="2026-09-01", receives_education=False
    )
    user = web_user(api, Role.COORDINATOR)
    with signed_in_client(api, user) as client:
        queue = client.get("/").text

    assert REFERENCE.findall(queue)[0] == at_home["id"]
