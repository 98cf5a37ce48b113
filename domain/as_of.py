"""Which version of a case was in force at a moment: a search over event timestamps.

A case's events carry timestamps in the order of their versions (one command at a
time per case, each stamped by the clock as it runs), so the version in force at
a moment is that of the last event recorded at or before it. ``version_in_force``
finds it by reading a few events at a time: interpolating between the
timestamps on either side of the moment, halving the range instead when an
interpolation did not halve it; about four reads for 1,000 events. It is pure:
the reads are a function handed in, so the search is tested on plain lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

# How many events on either side of a guessed version are read at a time.
WINDOW = 5


class Stamp(NamedTuple):
    """One event's version and the moment it was recorded."""

    version: int
    at: datetime


# Reads the stamps of the versions in (gt, lte], in order.
ReadStamps = Callable[[int, int], Sequence[Stamp]]


def version_in_force(
    as_of: datetime, first: Stamp, later: Stamp, read: ReadStamps
) -> int | None:
    """The version of the last event recorded at or before ``as_of``, given the
    case's first event and an event recorded after the moment (``later``).
    None when the case was registered after the moment."""
    if first.at > as_of:
        return None
    lo, lo_at = first
    hi, hi_at = later
    # Invariant: the event at lo is at or before the moment, hi's after.
    bisect = False
    while hi - lo > 1:
        width = hi - lo
        if bisect:
            guess = lo + width // 2
        else:
            share = (as_of - lo_at) / (hi_at - lo_at)
            guess = min(hi - 1, max(lo + 1, lo + round(share * width)))
        window = read(max(lo, guess - 1 - WINDOW), min(hi - 1, guess + WINDOW))
        if not window:  # a gap in the versions (never in a case's log)
            for stamp in read(lo, hi - 1):
                if stamp.at > as_of:
                    break
                lo = stamp.version
            return lo
        for stamp in window:
            if stamp.at > as_of:
                hi, hi_at = stamp
                break
            lo, lo_at = stamp
        bisect = hi - lo > width // 2
    return lo
