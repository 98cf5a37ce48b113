"""How pytest-xdist spreads the tests over its workers (`make test`: -n 2).

As ``--dist load`` (xdist's default), one test at a time to whichever worker is
free, except that all the tests of a module in ``GROUPED`` go to one worker
together: each of these modules makes a costly module-scoped fixture (a seeded
server per store, a demo store, a private PostgreSQL cluster), which ``load``
made again on every worker that ran any of the module's tests. The groups are
handed out first (most tests first: xdist's --loadscope-reorder), so no large
group is left for the end.

(xdist's own ``--dist loadgroup`` would do this from markers, but it renames
the tests' node ids to do so, which pytest 9.2 no longer allows: it groups
nothing.)
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import Producer

GROUPED = frozenset(
    {
        "tests/browser/test_dashboard.py",  # a server per store with a demo year
        "tests/browser/test_queue_paging.py",  # a server per store of its own
        "tests/e2e/test_api_concurrency.py",  # a server for the idempotency races
        "tests/e2e/test_cli.py",  # a store seeded with a demo
        "tests/e2e/test_openapi_fuzz.py",  # a seeded server per store
        "tests/e2e/test_slow_clients.py",  # a server with short deadlines
        "tests/faults/test_pool_recovery.py",  # a private cluster
    }
)


class ModuleGroups(LoadScopeScheduling):
    """A work unit is a test, or a whole module of ``GROUPED``."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in GROUPED else nodeid


def scheduler(config: pytest.Config, log: Producer) -> ModuleGroups | None:
    """The scheduler for xdist's default mode; None (xdist's own) for a
    ``--dist`` asked for by name."""
    if config.getoption("dist") != "load":
        return None
    return ModuleGroups(config, log)
