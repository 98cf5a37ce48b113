"""Tests for the Dutch working-day calendar and its pause-aware day counting."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar
from domain.timeline import Pause

CALENDAR = WorkingDayCalendar()
# The reference the calendar is checked against; it also covers years the
# property tests reach.
NL = holidays.country_holidays("NL", years=range(2019, 2035))


def _in_pause(d: date, pauses: list[Pause]) -> bool:
    return any(p.start <= d and (p.end is None or d < p.end) for p in pauses)


def _reference_add(
    start: date, n: int, pauses: list[Pause], counts: bool = True
) -> date | None:
    """Day by day, the slow and obvious way; ``counts`` False counts every day."""
    d, remaining = start, n
    while remaining > 0:
        d += timedelta(days=1)
        if _in_pause(d, pauses):
            if any(p.end is None and p.start <= d for p in pauses):
                return None
            continue
        if not counts or (d.weekday() < 5 and d not in NL):
            remaining -= 1
    return d


def test_the_2026_holidays_the_tests_rely_on_are_dutch_public_holidays() -> None:
    for day in (
        date(2026, 4, 6),  # Easter Monday
        date(2026, 4, 27),  # King's Day
        date(2026, 5, 14),  # Ascension Day
        date(2026, 12, 25),  # Christmas Day
        date(2026, 12, 26),  # Second Day of Christmas
        date(2027, 1, 1),  # New Year's Day
    ):
        assert day in NL


def test_weekdays_are_working_days_and_weekends_are_not() -> None:
    assert CALENDAR.is_working_day(date(2026, 11, 2))  # Monday
    assert CALENDAR.is_working_day(date(2026, 11, 6))  # Friday
    assert not CALENDAR.is_working_day(date(2026, 11, 7))  # Saturday
    assert not CALENDAR.is_working_day(date(2026, 11, 8))  # Sunday


@pytest.mark.parametrize(
    "holiday",
    [date(2026, 4, 6), date(2026, 4, 27), date(2026, 5, 14), date(2026, 12, 25)],
)
def test_public_holidays_on_weekdays_are_not_working_days(holiday: date) -> None:
    assert holiday.weekday() < 5
    assert not CALENDAR.is_working_day(holiday)


def test_holidays_come_from_the_holidays_package_for_any_year() -> None:
    for year in (2025, 2030, 2031):
        for day in holidays.country_holidays("NL", years=year):
            assert not CALENDAR.is_working_day(day)


def test_five_working_days_after_a_monday_is_the_next_monday() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 2), 5) == date(2026, 11, 9)


def test_the_start_day_itself_does_not_count() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 2), 1) == date(2026, 11, 3)


def test_zero_working_days_is_the_start_day() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 7), 0) == date(2026, 11, 7)


def test_counting_from_a_weekend_starts_on_monday() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 7), 1) == date(2026, 11, 9)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        CALENDAR.add_working_days(date(2026, 11, 2), -1)
    with pytest.raises(ValueError, match="must not be negative"):
        CALENDAR.add_calendar_days_paused(date(2026, 11, 2), -1)


def test_working_days_skip_kings_day_and_the_weekend() -> None:
    # Wednesday 22 April: Thu, Fri, (weekend, King's Day Monday), Tue, Wed, Thu.
    assert CALENDAR.add_working_days(date(2026, 4, 22), 5) == date(2026, 4, 30)


def test_working_days_skip_good_friday_and_easter_monday() -> None:
    assert date(2026, 4, 3) in NL  # the holidays package counts Good Friday
    # Wednesday 1 April: Thu, (Good Friday, weekend, Easter Monday), Tue-Fri.
    assert CALENDAR.add_working_days(date(2026, 4, 1), 5) == date(2026, 4, 10)


def test_working_days_skip_ascension_day() -> None:
    # Monday 11 May: Tue, Wed, (Ascension Thursday), Fri, Mon, Tue.
    assert CALENDAR.add_working_days(date(2026, 5, 11), 5) == date(2026, 5, 19)


def test_working_days_skip_christmas_and_carry_into_the_new_year() -> None:
    # Tuesday 22 Dec: Wed, Thu, (Christmas Friday, weekend), Mon, Tue, Wed.
    assert CALENDAR.add_working_days(date(2026, 12, 22), 5) == date(2026, 12, 30)
    # Monday 28 Dec: Tue, Wed, Thu, (New Year's Day Friday, weekend), Mon, Tue.
    assert CALENDAR.add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)


def test_a_suspension_does_not_count_towards_a_working_day_clock() -> None:
    # Suspended Wednesday 4 Nov, resumed Monday 9 Nov: Wed-Fri do not count.
    pause = Pause(date(2026, 11, 4), date(2026, 11, 9))
    due = CALENDAR.add_working_days(date(2026, 11, 2), 5, [pause])
    assert due == date(2026, 11, 12)


def test_a_suspension_spanning_a_holiday_does_not_skip_it_twice() -> None:
    # Friday 24 to Tuesday 28 April covers Fri and Tue plus King's Day, which
    # would not have counted anyway: the due date moves two working days.
    pause = Pause(date(2026, 4, 24), date(2026, 4, 29))
    assert CALENDAR.add_working_days(date(2026, 4, 22), 5) == date(2026, 4, 30)
    due = CALENDAR.add_working_days(date(2026, 4, 22), 5, [pause])
    assert due == date(2026, 5, 4)


def test_an_open_suspension_before_the_due_date_leaves_no_due_date() -> None:
    pause = Pause(date(2026, 11, 4))
    assert CALENDAR.add_working_days(date(2026, 11, 2), 5, [pause]) is None


def test_an_open_suspension_on_the_due_date_itself_leaves_no_due_date() -> None:
    pause = Pause(date(2026, 11, 9))
    assert CALENDAR.add_working_days(date(2026, 11, 2), 5, [pause]) is None


def test_an_open_suspension_after_the_due_date_does_not_move_it() -> None:
    pause = Pause(date(2026, 11, 10))
    due = CALENDAR.add_working_days(date(2026, 11, 2), 5, [pause])
    assert due == date(2026, 11, 9)


def test_a_suspension_ended_before_the_start_does_not_move_the_due_date() -> None:
    pause = Pause(date(2026, 10, 1), date(2026, 10, 20))
    due = CALENDAR.add_working_days(date(2026, 11, 2), 5, [pause])
    assert due == date(2026, 11, 9)


def test_overlapping_suspensions_count_their_days_once() -> None:
    pauses = [
        Pause(date(2026, 11, 4), date(2026, 11, 9)),
        Pause(date(2026, 11, 5), date(2026, 11, 7)),
    ]
    assert CALENDAR.add_working_days(date(2026, 11, 2), 5, pauses) == date(2026, 11, 12)


def test_working_days_between_counts_after_a_up_to_and_including_b() -> None:
    # Fri 24 Apr to Thu 30 Apr 2026: Mon 27 is King's Day, so Tue, Wed, Thu.
    assert CALENDAR.working_days_between(date(2026, 4, 24), date(2026, 4, 30)) == 3
    assert CALENDAR.working_days_between(date(2026, 11, 2), date(2026, 11, 9)) == 5


def test_working_days_between_is_zero_for_an_empty_or_reversed_range() -> None:
    assert CALENDAR.working_days_between(date(2026, 11, 2), date(2026, 11, 2)) == 0
    assert CALENDAR.working_days_between(date(2026, 11, 9), date(2026, 11, 2)) == 0


def test_working_days_between_leaves_out_suspended_days() -> None:
    closed = Pause(date(2026, 11, 4), date(2026, 11, 9))
    a, b = date(2026, 11, 2), date(2026, 11, 12)
    assert CALENDAR.working_days_between(a, b, [closed]) == 5
    still_open = Pause(date(2026, 11, 4))
    assert CALENDAR.working_days_between(a, b, [still_open]) == 1


def test_calendar_days_without_suspensions_is_plain_date_arithmetic() -> None:
    due = CALENDAR.add_calendar_days_paused(date(2026, 9, 1), 42)
    assert due == date(2026, 10, 13)


def test_resuming_pushes_a_calendar_day_clock_by_the_pause_length() -> None:
    pause = Pause(date(2026, 9, 15), date(2026, 9, 25))
    due = CALENDAR.add_calendar_days_paused(date(2026, 9, 1), 42, [pause])
    assert due == date(2026, 10, 23)


def test_a_pause_after_the_due_date_does_not_push_a_calendar_day_clock() -> None:
    pause = Pause(date(2026, 10, 14), date(2026, 10, 30))
    due = CALENDAR.add_calendar_days_paused(date(2026, 9, 1), 42, [pause])
    assert due == date(2026, 10, 13)


def test_a_pause_begun_before_the_pushed_due_date_pushes_it_further() -> None:
    # The first pause moves the due date to 23 Oct, so one from 20 Oct counts too.
    pauses = [
        Pause(date(2026, 9, 15), date(2026, 9, 25)),
        Pause(date(2026, 10, 20), date(2026, 10, 22)),
    ]
    due = CALENDAR.add_calendar_days_paused(date(2026, 9, 1), 42, pauses)
    assert due == date(2026, 10, 25)


def test_an_open_pause_before_the_due_date_stops_a_calendar_day_clock() -> None:
    pause = Pause(date(2026, 9, 15))
    assert CALENDAR.add_calendar_days_paused(date(2026, 9, 1), 42, [pause]) is None


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@st.composite
def pauses_around(draw: st.DrawFn, start: date) -> list[Pause]:
    result: list[Pause] = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(days=draw(st.integers(-10, 150)))
        length = draw(st.one_of(st.none(), st.integers(1, 40)))
        end = None if length is None else begin + timedelta(days=length)
        result.append(Pause(begin, end))
    return result


@settings(deadline=None)
@given(start=dates, n=st.integers(1, 120))
def test_adding_working_days_lands_on_a_working_day_n_working_days_later(
    start: date, n: int
) -> None:
    due = CALENDAR.add_working_days(start, n)
    assert due is not None
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(start, due) == n


@settings(deadline=None)
@given(data=st.data(), start=dates, n=st.integers(0, 80))
def test_adding_working_days_around_pauses_matches_counting_day_by_day(
    data: st.DataObject, start: date, n: int
) -> None:
    pauses = data.draw(pauses_around(start))
    due = CALENDAR.add_working_days(start, n, pauses)
    assert due == _reference_add(start, n, pauses)
    if due is not None:
        assert CALENDAR.working_days_between(start, due, pauses) == n


@settings(deadline=None)
@given(data=st.data(), a=dates, span=st.integers(-5, 200))
def test_working_days_between_matches_counting_day_by_day(
    data: st.DataObject, a: date, span: int
) -> None:
    pauses = data.draw(pauses_around(a))
    b = a + timedelta(days=span)
    expected = sum(
        1
        for i in range(1, span + 1)
        if CALENDAR.is_working_day(a + timedelta(days=i))
        and not _in_pause(a + timedelta(days=i), pauses)
    )
    assert CALENDAR.working_days_between(a, b, pauses) == expected


@settings(deadline=None)
@given(data=st.data(), start=dates, days=st.integers(0, 120))
def test_calendar_days_around_pauses_match_counting_day_by_day(
    data: st.DataObject, start: date, days: int
) -> None:
    pauses = data.draw(pauses_around(start))
    due = CALENDAR.add_calendar_days_paused(start, days, pauses)
    assert due == _reference_add(start, days, pauses, counts=False)
