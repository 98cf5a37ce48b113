"""The `dossier` executable, run as a user would: demo, summary, show, erase, errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

DOSSIER = Path(sys.executable).with_name("dossier")


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only this test's settings: SQLite in a directory of its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOSSIER_")}
    env.update(DOSSIER_DATA_DIR=str(data_dir), COLUMNS="200", NO_COLOR="1")
    return subprocess.run(
        [str(DOSSIER), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def field(output: str, name: str) -> str:
    """A row's value in `case show`'s table of facts."""
    match = re.search(rf"│ {re.escape(name)}\s+│ (.+?)\s+│", output)
    assert match, f"no {name!r} in:\n{output}"
    return match.group(1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store seeded once with a small demo, shared by the tests that read it."""
    data_dir = tmp_path_factory.mktemp("dossier")
    result = run(data_dir, "demo", "--cases", "30")
    assert result.returncode == 0, result.stderr
    assert "Cases by status" in result.stdout
    assert re.search(r"cases\s+│\s+30\b", result.stdout)
    return data_dir


def some_reference(store: Path) -> str:
    """A reference the demo issued: numbering restarts each year, and the demo's
    year of cases spans this calendar year and possibly the one before."""
    year = datetime.now(tz=UTC).year
    for candidate in (f"OC-{year}-00001", f"OC-{year - 1}-00001"):
        if run(store, "case", "show", candidate).returncode == 0:
            return candidate
    raise AssertionError("the demo issued no reference")


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")

    assert result.returncode == 0
    for command in ("demo", "summary", "case"):
        assert re.search(rf"│ {command}\s+\S", result.stdout), command
    assert not (tmp_path / "dossier.sqlite").exists()  # help touches no store


def test_demo_if_empty_does_nothing_the_second_time(store: Path) -> None:
    before = run(store, "summary")

    result = run(store, "demo", "--if-empty")

    assert result.returncode == 0, result.stderr
    assert "nothing seeded" in result.stdout
    assert run(store, "summary").stdout == before.stdout


def test_summary_counts_the_events_by_type(store: Path) -> None:
    result = run(store, "summary")

    assert result.returncode == 0, result.stderr
    assert f"SQLite {store.resolve()}" in result.stdout
    assert re.search(r"Events: [1-9]", result.stdout)
    assert "Cases: 30" in result.stdout
    assert re.search(r"Case\.Registered\s+│\s+30\b", result.stdout)
    assert re.search(r"Consultant\.Registered\s+│\s+49\b", result.stdout)


def test_show_erase_and_show_again(store: Path) -> None:
    reference = some_reference(store)
    shown = run(store, "case", "show", reference)
    assert shown.returncode == 0, shown.stderr
    pupil = field(shown.stdout, "pupil")
    assert pupil not in ("erased", "-")
    assert field(shown.stdout, "status")
    assert "Deadlines as of" in shown.stdout
    # Personal data appears where a case was asked for, and nowhere else.
    for other in (run(store, "summary"), run(store, "case", "history", reference)):
        assert other.returncode == 0, other.stderr
        assert pupil not in other.stdout

    erased = run(store, "case", "erase", reference, "--reason", "data_subject_request")

    assert erased.returncode == 0, erased.stderr
    assert f"Personal data of {reference} erased" in erased.stdout
    after = run(store, "case", "show", reference)
    assert after.returncode == 0, after.stderr
    assert field(after.stdout, "pupil") == "erased"
    assert field(after.stdout, "personal data") == "erased"
    assert pupil not in after.stdout
    history = run(store, "case", "history", reference)
    assert "PersonalDataErased" in history.stdout
    # Erasing twice is refused, in one line.
    again = run(store, "case", "erase", reference, "--reason", "retention_expired")
    assert "already erased" in assert_one_line_error(again)


def test_an_unknown_reference_is_one_line_and_exit_1(store: Path) -> None:
    result = run(store, "case", "show", "OC-1999-99999")

    assert assert_one_line_error(result) == "error: no case OC-1999-99999"


def test_demo_in_bulk_loads_cases_that_show_like_any_other(tmp_path: Path) -> None:
    result = run(tmp_path, "demo", "--cases", "40", "--bulk", "--workers", "2")

    assert result.returncode == 0, result.stderr
    assert "Loaded 40 cases" in result.stdout
    summary = run(tmp_path, "summary")
    assert "Cases: 40" in summary.stdout
    # Its cases lived in the past months: registered this year or the last.
    year = datetime.now(tz=UTC).year
    shown = [run(tmp_path, "case", "show", f"OC-{y}-00001") for y in (year, year - 1)]
    # (Both, when the 40 cases straddle New Year's Eve.)
    found = [s for s in shown if s.returncode == 0]
    assert found, [s.stderr for s in shown]
    assert field(found[0].stdout, "pupil") == "Leerling Bulk"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("case", "show", "OC-1999-00001", "--as-of", "yesterday"), "--as-of"),
        (("case", "show", "OC-1999-00001", "--as-of", "2026-01-01"), "offset"),
        (("case", "erase", "OC-1999-00001", "--reason", "boredom"), "--reason"),
        (("case", "show"), "Missing argument"),
        (("demo", "--cases", "0"), "--cases"),
        (("demo", "--cases", "100001", "--commands"), "--bulk"),
    ],
)
def test_bad_input_is_one_line(
    store: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(store, *args)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


def test_reading_an_absent_store_creates_nothing(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere", "case", "show", "OC-2026-00001")

    assert "no store at" in assert_one_line_error(result)
    assert not (tmp_path / "nowhere").exists()


def test_bad_settings_are_one_line_without_the_password(tmp_path: Path) -> None:
    env_url = "mysql://someone:hunter2@localhost/db"
    result = subprocess.run(
        [str(DOSSIER), "summary"],
        env={**os.environ, "DOSSIER_DATABASE_URL": env_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    line = assert_one_line_error(result)
    assert "DOSSIER_DATABASE_URL" in line
    assert "hunter2" not in result.stderr + result.stdout


def test_a_consultant_user_for_an_unknown_consultant_is_refused(store: Path) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    result = run(
        store,
        "users",
        "add",
        "ghost",
        "--role",
        "consultant",
        "--consultant-id",
        unknown,
    )

    assert f"no consultant {unknown}" in assert_one_line_error(result)
    assert "ghost" not in run(store, "users", "list").stdout


def test_adding_a_user_without_a_terminal_or_password_option_is_one_line_and_exit_1(
    tmp_path: Path,
) -> None:
    # A script that forgot --password-stdin or --no-password: no prompt to
    # answer, so no traceback and no user.
    result = run(tmp_path, "users", "add", "scripted", "--role", "intake")

    message = assert_one_line_error(result)
    assert "--password-stdin" in message
    listed = run(tmp_path, "users", "list")
    assert "scripted" not in listed.stdout
