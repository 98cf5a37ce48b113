"""The real servers of the HTTP end-to-end tests (and the browser tests).

One real uvicorn server per store per test process (an xdist worker), started the
first time a test module asks for it and stopped at the end of the session; each
test works on cases of its own, so the tests can share it (tests that could leave
a server unfit for others ask for one of their own, in another group).

The bodies, checks and ``Api`` these tests use live in tests/support/http_api.py
(the in-process API tests use them too); they are named here as well, where the
end-to-end and browser tests import them from.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from dossier.settings import Settings
from tests.e2e.conftest import Server, start_server
from tests.support.http_api import (
    ANONYMOUS,
    CASES,
    CLOSURE,
    CONSULTANTS,
    PROBLEM_TYPE_BASE,
    SHARED,
    STORES,
    UNKNOWN_TOKEN,
    Api,
    Consultant,
    activity,
    assert_command_answer,
    assert_problem,
    registration,
    today,
)
from tests.support.stores import store_settings

__all__ = [
    "ANONYMOUS",
    "CASES",
    "CLOSURE",
    "CONSULTANTS",
    "PROBLEM_TYPE_BASE",
    "SHARED",
    "STORES",
    "UNKNOWN_TOKEN",
    "Api",
    "Consultant",
    "ServerPool",
    "activity",
    "api_for",
    "assert_command_answer",
    "assert_problem",
    "registration",
    "server_pool",
    "today",
]


# --- one server per store per test process ------------------------------------


class ServerPool:
    """The servers of this process, started on first use and stopped at the end.
    The "shared" group starts both stores at once; another group (for tests that
    could leave a server unfit for others) gets servers of its own."""

    def __init__(self) -> None:
        self.apis: dict[tuple[str, str], Api] = {}
        self.servers: list[Server] = []
        self.failed: dict[tuple[str, str], str] = {}

    def api(self, store: str, request: pytest.FixtureRequest, group: str) -> Api:
        if (store, group) not in self.apis and (store, group) not in self.failed:
            stores = STORES if group == SHARED else [store]
            settings = [self._settings(s, group, request) for s in stores]
            # At once: a start mostly waits for the new process.
            with ThreadPoolExecutor(len(stores)) as pool:
                futures = [pool.submit(start_server, s) for s in settings]
            for s, future in zip(stores, futures, strict=True):
                error = future.exception()
                if error is None:
                    server = future.result()
                    self.servers.append(server)
                    self.apis[s, group] = Api(server, s)
                else:
                    self.failed[s, group] = f"the {s} server did not start: {error}"
        if (store, group) in self.failed:
            # Fail fast: one slow failing start, not one per test.
            pytest.fail(self.failed[store, group], pytrace=False)
        return self.apis[store, group]

    @staticmethod
    def _settings(store: str, group: str, request: pytest.FixtureRequest) -> Settings:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        data_dir = factory.mktemp(f"e2e-{group}-{store}") / "var"
        return store_settings(store, data_dir, request, "e2e")

    def stop(self) -> None:
        for api in self.apis.values():
            api.close()
        for server in self.servers:
            process = server.process
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.apis.clear()
        self.servers.clear()


POOL = ServerPool()


@pytest.fixture(scope="session")
def server_pool(postgres_url: str) -> Iterator[ServerPool]:
    """Import this into a test module and ask for it in that module's ``api``
    fixture. Every importing module gets its own copy of this fixture but they
    share one pool; depending on ``postgres_url`` makes the servers stop before
    the test database is dropped."""
    yield POOL
    POOL.stop()


def api_for(request: pytest.FixtureRequest, group: str = SHARED) -> Api:
    """For a module's fixture parametrised over STORES: the server of that store
    in that group."""
    pool: ServerPool = request.getfixturevalue("server_pool")
    return pool.api(request.param, request, group)
