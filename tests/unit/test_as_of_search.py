"""The version in force at a moment, searched over event timestamps (as_of.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.as_of import Stamp, version_in_force

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def stamps_from(gaps: Sequence[int]) -> list[Stamp]:
    """Versions 1..n recorded ``gaps`` seconds apart (0: the same moment)."""
    at, out = START, []
    for version, gap in enumerate(gaps, start=1):
        at += timedelta(seconds=gap)
        out.append(Stamp(version, at))
    return out


def by_replay(stamps: Sequence[Stamp], as_of: datetime) -> int | None:
    """What replaying every event up to the first recorded later gives."""
    found = None
    for stamp in stamps:
        if stamp.at > as_of:
            break
        found = stamp.version
    return found


def search(stamps: list[Stamp], as_of: datetime) -> tuple[int | None, int]:
    reads = 0

    def read(gt: int, lte: int) -> list[Stamp]:
        nonlocal reads
        reads += 1
        return [s for s in stamps if gt < s.version <= lte]

    later = stamps[-1]
    if later.at <= as_of:
        return later.version, reads
    return version_in_force(as_of, stamps[0], later, read), reads


@given(
    gaps=st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=300),
    offset=st.integers(min_value=-100, max_value=3_000_000),
)
def test_the_search_finds_the_version_a_full_replay_finds(
    gaps: list[int], offset: int
) -> None:
    stamps = stamps_from(gaps)
    as_of = START + timedelta(seconds=offset)

    found, _ = search(stamps, as_of)

    assert found == by_replay(stamps, as_of)


def test_a_moment_before_registration_has_no_version() -> None:
    stamps = stamps_from([60] * 10)

    assert search(stamps, START)[0] is None


@pytest.mark.parametrize("at", [0, 1, 499, 500, 998, 999])
def test_a_thousand_evenly_spaced_events_take_a_few_reads(at: int) -> None:
    stamps = stamps_from([60] * 1_000)
    as_of = stamps[at].at + timedelta(seconds=30)

    found, reads = search(stamps, as_of)

    assert found == at + 1
    assert reads <= 4


def test_events_recorded_in_bursts_are_still_found_by_halving() -> None:
    # 900 events in one second, then 100 a day apart: interpolation misleads.
    stamps = stamps_from([0] * 900 + [86_400] * 100)
    for at in (10, 450, 899, 950):
        as_of = stamps[at].at
        assert search(stamps, as_of)[0] == by_replay(stamps, as_of)


def test_a_gap_in_the_versions_is_walked_instead_of_searched() -> None:
    stamps = [s for s in stamps_from([60] * 100) if not 40 <= s.version <= 60]
    as_of = START + timedelta(seconds=60 * 70 + 1)

    assert search(stamps, as_of)[0] == by_replay(stamps, as_of)
