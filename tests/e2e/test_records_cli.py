"""`dossier retention`, `dossier destruction` and `dossier case hold|release` as
an operator runs them, on each store: a proposal, a removal, review, approval,
the run and the certificate; a hold keeps a case out; errors in one line."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

from domain.values import Role
from dossier.bootstrap import build_read_database, build_service
from dossier.settings import Settings
from projections.audit_access_log import ACCESS_LOG_TABLE
from storage.users import UserStore
from tests.support.clock import FakeClock
from tests.support.processes import ROOT, environment
from tests.support.samples import INTAKE, registration


def dossier(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**environment(settings), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "dossier", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def flat(text: str) -> str:
    return " ".join(text.split())


def test_an_operator_takes_a_destruction_list_from_proposal_to_certificate(
    settings: Settings,
) -> None:
    service = build_service(
        settings, clock=FakeClock(datetime(2023, 3, 1, 9, tzinfo=UTC))
    )
    try:
        references = []
        for _ in range(3):
            case = service.register(registration(), by=INTAKE).case
            service.withdraw(case.id, "Ouders trekken de aanmelding in.", by=INTAKE)
            references.append(case.reference)
    finally:
        service.close()
    held, kept, erased = references
    db = build_read_database(settings)
    try:
        UserStore(db).add("archief", Role.RECORD_MANAGER)
        UserStore(db).add("fg", Role.PRIVACY_OFFICER)
    finally:
        db.close()

    hold = dossier(settings, "case", "hold", held, "--reason", "complaint")
    assert hold.returncode == 0, hold.stderr
    bad = dossier(
        settings, "case", "hold", kept, "--reason", "complaint", "--file", "mw Jansen"
    )
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "file number" in bad.stderr

    proposed = dossier(settings, "retention", "propose")
    assert proposed.returncode == 0, proposed.stderr
    text = flat(proposed.stdout)
    assert "2 cases" in text
    assert "1 under legal hold left out" in text
    found = re.search(r"Destruction list ([0-9a-f-]{36}) proposed", text)
    assert found, text
    list_id = found.group(1)
    again = dossier(settings, "retention", "propose")
    assert "No case is due" in flat(again.stdout), "listed cases are not proposed twice"

    early = dossier(settings, "destruction", "run", list_id)
    assert early.returncode == 1
    assert "proposed" in early.stderr
    removed = dossier(
        settings,
        "destruction",
        "remove",
        list_id,
        kept,
        "--as",
        "archief",
        "--reason",
        "legal_procedure",
        "--file",
        "RB-2026/9",
    )
    assert removed.returncode == 0, removed.stderr
    for step, user in (("review", "archief"), ("approve", "fg")):
        result = dossier(settings, "destruction", step, list_id, "--as", user)
        assert result.returncode == 0, result.stderr
    run = dossier(settings, "destruction", "run", list_id)
    assert run.returncode == 0, run.stderr
    assert "1 cases erased, 0 skipped" in flat(run.stdout)

    show = dossier(settings, "destruction", "show", list_id)
    assert show.returncode == 0, show.stderr
    shown = flat(show.stdout)
    assert re.search(rf"{erased} .* erased", shown), shown
    assert re.search(r"reviewed .* by archief", shown), shown
    assert re.search(r"approved .* by fg", shown), shown
    assert re.search(rf"{kept} .* taken off .* legal_procedure RB-2026/9", shown), shown
    assert re.search(rf"{held} .* not proposed .* legal-hold", shown), shown
    listed = flat(dossier(settings, "destruction", "list").stdout)
    assert list_id in listed
    assert "completed" in listed
    unknown = dossier(settings, "destruction", "show", "not-an-id")
    assert unknown.returncode == 1
    assert "Traceback" not in unknown.stderr
    # The command line's changes are in the access log, each with its activity.
    assert logged(settings, "change") >= {
        ("/cli/case/hold", "place_legal_hold", "erasure"),
        ("/cli/destruction/run", "run_destruction", "erasure"),
    }


def logged(settings: Settings, operation: str) -> set[tuple[str, str, str]]:
    """The access log's (route, purpose, activity) of one operation."""
    db = build_read_database(settings)
    try:
        with db.reading() as tx:
            rows = tx.fetchall(
                "SELECT route, purpose, activity FROM {t} WHERE operation = %s",
                (operation,),
                t=ACCESS_LOG_TABLE,
            )
    finally:
        db.close()
    return {(str(r), str(p), str(a)) for r, p, a in rows}


def test_case_show_and_erase_on_the_command_line_are_in_the_access_log(
    settings: Settings,
) -> None:
    service = build_service(settings)
    try:
        case = service.register(registration(), by=INTAKE).case
        service.withdraw(case.id, "Ouders trekken de aanmelding in.", by=INTAKE)
    finally:
        service.close()

    shown = dossier(settings, "case", "show", case.reference)
    erased = dossier(
        settings, "case", "erase", case.reference, "--reason", "data_subject_request"
    )

    assert shown.returncode == 0, shown.stderr
    assert erased.returncode == 0, erased.stderr
    assert logged(settings, "read") == {("/cli/case/show", "case_detail", "casework")}
    assert logged(settings, "change") == {
        ("/cli/case/erase", "erase_personal_data", "erasure")
    }
