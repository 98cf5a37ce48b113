"""Integration fixtures: the application service on a real store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.service import CaseService
from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from storage.db import Database
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(settings: Settings, clock: FakeClock) -> Iterator[CaseService]:
    app = build_service(settings, clock=clock)
    yield app
    app.factory.close()


@pytest.fixture
def read_db(settings: Settings) -> Iterator[Database]:
    db = build_read_database(settings)
    yield db
    db.close()
