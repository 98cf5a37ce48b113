"""The garbage collector's settings for the long-running processes (serve, worker).

CPython's defaults (a young-generation collection every 700 allocations, an
old-generation one every hundred of those) suit scripts. A server decoding a
long case's snapshot makes tens of thousands of objects in one request, and
those defaults then run full collections over everything the process holds in
the middle of requests: reading a case of 1,000 events at a past version took
63.5 ms at p99 against 9 ms at p50, all of it CPU; with the settings below, 17
and 7.4 ms (bench/time_travel.py, one run each, 2026-12-08). The objects made
while starting (modules, settings, pools) are frozen out of every later
collection. Cycles are still collected, less often.
"""

from __future__ import annotations

import gc

THRESHOLDS = (100_000, 50, 100)


def tune() -> None:
    """Apply the settings: call once the process has started."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
