"""Running Dossier's own processes from tests, configured like the test's store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dossier.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    env["DOSSIER_DATA_DIR"] = str(settings.data_dir)
    env["DOSSIER_DATABASE_SCHEMA"] = settings.database_schema
    if settings.kek_file is not None:
        env["DOSSIER_KEK_FILE"] = str(settings.kek_file)
    if settings.database_url:
        env["DOSSIER_DATABASE_URL"] = settings.database_url
    env["PYTHONPATH"] = str(ROOT)
    return env


def start(settings: Settings, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        env=environment(settings),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
