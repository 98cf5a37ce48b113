"""The fault tests' private PostgreSQL cluster, one per module, never the shared one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.private_cluster import PrivateCluster, private_cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    with private_cluster() as running:
        yield running
