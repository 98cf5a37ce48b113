"""The read models' states as /readyz and the admin's page show them: position,
lag in events and in seconds (since the oldest event not yet processed), and a
version a rebuild is filling."""

from __future__ import annotations

import pytest

from api.container import Container
from api.read_models import read_model_states
from domain.service import CaseService
from projections.case_list import CaseListProjection
from projections.runner import ProjectionRunner
from storage.db import Database
from storage.users import UserStore
from tests.support.clock import FakeClock
from tests.support.samples import INTAKE, registration


def test_a_read_model_behind_shows_its_lag_in_events_and_seconds(
    service: CaseService, read_db: Database, clock: FakeClock
) -> None:
    container = Container(service, read_db, UserStore(read_db))
    runner = ProjectionRunner(service, read_db, CaseListProjection)
    service.register(registration(), by=INTAKE)
    runner.catch_up()
    head, states = read_model_states(container)
    (now,) = [s for s in states if s.name == CaseListProjection.name]
    assert (now.position, now.lag_events, now.lag_seconds) == (head, 0, 0.0)
    assert now.status == "serving"
    assert not now.building

    clock.advance(minutes=5)
    service.register(registration(), by=INTAKE)
    clock.advance(seconds=30)
    later_head, states = read_model_states(container)
    (behind,) = [s for s in states if s.name == CaseListProjection.name]
    assert behind.position == head
    assert behind.lag_events == later_head - head > 0
    assert behind.lag_seconds == pytest.approx(30.0)


def test_a_version_being_rebuilt_is_shown_beside_the_serving_one(
    service: CaseService, read_db: Database
) -> None:
    container = Container(service, read_db, UserStore(read_db))
    ProjectionRunner(service, read_db, CaseListProjection).catch_up()
    service.register(registration(), by=INTAKE)
    ProjectionRunner(service, read_db, CaseListProjection, version=2)
    head, states = read_model_states(container)
    versions = {s.version: s for s in states if s.name == CaseListProjection.name}
    assert versions[2].building
    assert (versions[2].position, versions[2].lag_events) == (0, head)
    assert not versions[1].building
