"""Dutch working days and pause-aware day counting for the deadline clocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import holidays

from domain.timeline import Pause

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday is 0, so Monday to Friday are below this

# A pause reduced to the days it covers after a clock's start: [start, end), with
# end None while the pause is still open (it covers every later day).
_Span = tuple[date, date | None]


def _weekdays_through(d: date) -> int:
    """Mondays to Fridays from 1 Jan 0001 (a Monday) up to and including ``d``."""
    ordinal = d.toordinal()
    return ordinal // 7 * 5 + min(ordinal % 7, 5)


def _spans_after(start: date, pauses: Sequence[Pause]) -> list[_Span]:
    """The pauses' days after ``start``, merged into sorted, disjoint spans.

    Only days after ``start`` ever count towards a clock, so a pause reaching back
    before it is cut off there; overlapping pauses are merged so that no day is
    subtracted twice.
    """
    first = start + _ONE_DAY
    spans: list[_Span] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        begin = max(pause.start, first)
        if pause.end is not None and pause.end <= begin:
            continue
        if spans:
            last_begin, last_end = spans[-1]
            if last_end is None:
                break  # an open span already covers everything after it
            if begin <= last_end:
                end = None if pause.end is None else max(pause.end, last_end)
                spans[-1] = (last_begin, end)
                continue
        spans.append((begin, pause.end))
    return spans


class WorkingDayCalendar:
    """Monday to Friday, except Dutch public holidays as ``holidays.NL`` has them.

    Every method is pure; the only state is a per-year cache of holiday dates.
    """

    def __init__(self) -> None:
        self._closed_weekdays: dict[int, frozenset[date]] = {}

    def _holidays_on_weekdays(self, year: int) -> frozenset[date]:
        cached = self._closed_weekdays.get(year)
        if cached is None:
            # Holidays on a weekend change nothing, so only weekday ones are kept:
            # then every kept date is exactly one working day fewer.
            nl = holidays.country_holidays("NL", years=year)
            cached = frozenset(d for d in nl if d.weekday() < _SATURDAY)
            self._closed_weekdays[year] = cached
        return cached

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < _SATURDAY and d not in self._holidays_on_weekdays(d.year)

    def _working_days_in(self, a: date, b: date) -> int:
        """Working days d with a < d <= b, ignoring pauses."""
        if b <= a:
            return 0
        count = _weekdays_through(b) - _weekdays_through(a)
        for year in range(a.year, b.year + 1):
            count -= sum(1 for h in self._holidays_on_weekdays(year) if a < h <= b)
        return count

    def add_working_days(
        self, start: date, n: int, pauses: Sequence[Pause] = ()
    ) -> date | None:
        """The day the n-th working day after ``start`` falls on; None if paused.

        ``start`` itself never counts, nor does any day inside a pause. When an
        open pause begins before the n-th working day is reached the clock is
        stopped and there is no due date.
        """
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        spans = _spans_after(start, pauses)
        d = start
        remaining = n
        index = 0
        while remaining > 0:
            d += _ONE_DAY
            if index < len(spans) and d >= spans[index][0]:
                end = spans[index][1]
                if end is None:
                    return None
                # Jump over the whole pause rather than stepping through it.
                d = end - _ONE_DAY
                index += 1
                continue
            if self.is_working_day(d):
                remaining -= 1
        return d

    def working_days_between(
        self, a: date, b: date, pauses: Sequence[Pause] = ()
    ) -> int:
        """Working days d with a < d <= b that are not inside a pause."""
        if b <= a:
            return 0
        count = self._working_days_in(a, b)
        for begin, end in _spans_after(a, pauses):
            if begin > b:
                break
            last = b if end is None else min(b, end - _ONE_DAY)
            count -= self._working_days_in(begin - _ONE_DAY, last)
        return count

    def add_calendar_days_paused(
        self, start: date, days: int, pauses: Sequence[Pause] = ()
    ) -> date | None:
        """``start`` + ``days``, later by every pause begun by then; None if paused.

        A pause that begins on or before the (already pushed) due date moves it
        later by the pause's length in calendar days, because none of its days
        count; an open pause beginning by then leaves no due date at all.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        due = start + timedelta(days=days)
        for begin, end in _spans_after(start, pauses):
            if begin > due:
                break
            if end is None:
                return None
            due += end - begin
        return due
