"""In-process API tests: the HTTP contract (statuses, bodies, problems, headers,
roles) against the real app on each store, without a server process.

Each test module gets one app per store (module scope: building one costs a new
store and its read models), shared by its tests, which work on cases of their
own. On PostgreSQL the read models are fed by `dossier worker` in production;
here the app feeds them itself (embedded_projections), so a read that waits for
``min_position`` is served as it is on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http_api import STORES, Api
from tests.support.in_process import running
from tests.support.stores import store_settings

# As tests/e2e/conftest.py's servers: the read models look for new events often.
POLL_SECONDS = 0.2


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    store: str = request.param
    settings = store_settings(
        store,
        tmp_path_factory.mktemp(f"api-{store}") / "var",
        request,
        "api",
        embedded_projections=True,
        poll_seconds=POLL_SECONDS,
    )
    with running(settings) as (service, connect):
        api = Api(service, store, connect)
        yield api
        api.close()
