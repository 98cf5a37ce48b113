"""A registration's dates lie where they can: the school's decision on admission."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import InvalidCaseData
from tests.support.samples import registration

TODAY = date(2026, 11, 2)


@pytest.mark.parametrize(
    "decided_on",
    [
        date(1, 1, 1),
        date(2014, 1, 1),
        TODAY - timedelta(days=732),
        TODAY.replace(day=3),
    ],
    ids=["year-one", "before-birth", "over-two-years-back", "tomorrow"],
)
def test_a_school_decision_outside_its_plausible_range_is_refused(
    decided_on: date,
) -> None:
    r = registration(school_decision_on=decided_on)

    with pytest.raises(InvalidCaseData) as refused:
        r.check(TODAY)

    assert refused.value.field == "school_decision_on"


@pytest.mark.parametrize("decided_on", [TODAY, TODAY - timedelta(days=731), None])
def test_a_school_decision_within_two_years_is_accepted(
    decided_on: date | None,
) -> None:
    registration(school_decision_on=decided_on).check(TODAY)
