"""The served processes' garbage-collector settings: collections rare enough
not to fall in the middle of a long case's decoding, startup objects frozen."""

from __future__ import annotations

import subprocess
import sys


def test_tuning_raises_the_thresholds_and_freezes_what_startup_made() -> None:
    # In a process of its own: the settings are process-wide.
    probe = (
        "import gc; from dossier import collector; before = gc.get_threshold();"
        " collector.tune();"
        " print(before[0] < gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert done.stdout.split() == ["True", "True"]
