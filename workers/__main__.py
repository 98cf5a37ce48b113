"""`python -m workers [NAMES]`: the worker process without the CLI around it."""

from __future__ import annotations

import sys

from dossier.settings import Settings
from workers.main import run_worker

if __name__ == "__main__":
    run_worker(Settings(), sys.argv[1:] or None)
