"""Request bodies bounded while they are read, over a real server on each store:
413 before a declared or a chunked body over the limit is read, and the server
answers on afterwards. (The rest of the hostile input is in
tests/api/test_hardening.py, in process.)"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.helpers import (
    CASES,
    STORES,
    Api,
    api_for,
    assert_problem,
    registration,
    server_pool,  # noqa: F401 (the fixture api_for asks for)
)

MAX_BODY = 1_000_000  # the default DOSSIER_MAX_BODY_BYTES


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    return api_for(request)


def test_a_declared_body_over_the_limit_answers_413_before_it_is_read(
    api: Api,
) -> None:
    body = b'{"x": "' + b"a" * (MAX_BODY + 10) + b'"}'
    response = api.client("intake").post(
        CASES, content=body, headers={"Content-Type": "application/json"}
    )

    problem = assert_problem(response, 413)
    assert problem["type"].endswith("body-too-large")


def test_a_chunked_body_over_the_limit_answers_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"x": "'
        for _ in range(40):
            yield b"a" * 50_000
        yield b'"}'

    with api.fresh("intake") as client:
        response = client.post(
            CASES, content=chunks(), headers={"Content-Type": "application/json"}
        )

    assert_problem(response, 413)


def test_a_body_within_the_limit_is_read_as_usual(api: Api) -> None:
    response = api.client("intake").post(
        CASES, json=registration(account="Lang verhaal. " * 20_000)
    )

    # 280,000 characters: within the byte limit, over the account's own rule.
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "account"


def test_the_server_keeps_answering_after_a_refused_body(api: Api) -> None:
    # (a server may close the connection after a 413)
    with api.fresh("intake") as client, contextlib.suppress(httpx.TransportError):
        client.post(CASES, content=b"{" * (MAX_BODY + 1))
    assert api.client("coordinator").get(CASES).status_code == 200
