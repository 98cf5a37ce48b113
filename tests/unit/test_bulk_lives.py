"""The bulk loader's case lives: legal, at every stage while recent, and ended
once settled (registered over a year before the last), as old cases are."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from uuid import uuid4

from domain.values import OPEN_STATUSES, Service, Status
from dossier.bulk import _play

STAFF = {kind: [(uuid4(), kind)] for kind in Service}
START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def statuses(settled: bool) -> Counter[str]:
    return Counter(
        str(_play(random.Random(seed), "OC-2024-00001", STAFF, START, settled).status)
        for seed in range(300)
    )


def test_recent_cases_stand_at_every_stage_open_and_ended() -> None:
    seen = statuses(settled=False)

    for status in (
        Status.AWAITING_INTAKE,
        Status.AWAITING_ASSIGNMENT,
        Status.ASSIGNED,
        Status.IN_MEDIATION,
        Status.CLOSED,
    ):
        assert seen[str(status)] > 0, (status, seen)


def test_settled_cases_have_all_ended() -> None:
    seen = statuses(settled=True)

    assert not set(seen) & {str(s) for s in OPEN_STATUSES}, seen
    for status in (Status.CLOSED, Status.WITHDRAWN, Status.NOT_ADMISSIBLE):
        assert seen[str(status)] > 0, (status, seen)
