"""Starting the same thing several times at once, for races between processes'
start-ups (each thread stands for a process: its own connections)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def all_at_once(
    start: Callable[[], T], times: int
) -> tuple[list[T], list[BaseException]]:
    """Call ``start`` from ``times`` threads released together; what they
    returned, and what they raised."""
    gate = threading.Barrier(times)
    results: list[T] = []
    failures: list[BaseException] = []

    def one() -> None:
        gate.wait()
        try:
            results.append(start())
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures
