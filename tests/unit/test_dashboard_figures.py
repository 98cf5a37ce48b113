"""The dashboard's pure helpers: school years and percentiles."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from projections.figures import (
    duration_summary,
    percentile,
    school_year_bounds,
    school_year_of,
)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 8, 1), "2026-2027"),
        (date(2026, 7, 31), "2025-2026"),
        (date(2027, 1, 1), "2026-2027"),
        (date(2027, 7, 31), "2026-2027"),
        (date(2027, 8, 1), "2027-2028"),
    ],
)
def test_school_year_runs_from_1_august_to_31_july(day: date, label: str) -> None:
    assert school_year_of(day) == label


def test_school_year_bounds_are_its_first_and_last_day() -> None:
    assert school_year_bounds("2026-2027") == (date(2026, 8, 1), date(2027, 7, 31))


@pytest.mark.parametrize(
    "label",
    ["2026/2027", "2026-2028", "2027-2026", "26-27", "2026-2027 ", "", "0000-0001"],
)
def test_a_malformed_school_year_is_refused_with_a_clear_error(label: str) -> None:
    with pytest.raises(ValueError, match="YYYY-YYYY"):
        school_year_bounds(label)


def test_percentiles_interpolate_linearly_between_closest_ranks() -> None:
    values = Counter([7, 7, 14, 14, 14, 21, 28, 28, 28, 42])

    assert percentile(values, 50) == 17.5
    assert percentile(values, 90) == 29.4
    assert percentile(values, 0) == 7.0
    assert percentile(values, 100) == 42.0


def test_percentiles_of_one_value_and_of_none() -> None:
    assert percentile({63: 1}, 90) == 63.0
    assert percentile({}, 50) is None
    assert percentile({5: 0}, 50) is None


def test_percentile_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile({1: 1}, 101)


def test_duration_summary_counts_and_gives_median_and_p90() -> None:
    assert duration_summary(Counter([13, 23, 33, 37])) == {
        "count": 4,
        "median_days": 28.0,
        "p90_days": 35.8,
    }
