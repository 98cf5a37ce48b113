"""The auditor's pages in a real browser: a case replayed version by version with
the keyboard, each step held against the API's case at that version; the access
overview showing those very reads; the audit trail filtered, paged and exported
as CSV; the admin's read-model status; and nobody else let in."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from domain.values import Role, Status
from domain.zone import AMSTERDAM
from tests.browser.conftest import (
    WebUser,
    assert_accessible,
    screenshot,
    sign_in,
    web_user,
)
from tests.browser.keyboard_and_http import signed_in_client
from tests.e2e.helpers import CASES, Api, activity
from web.labels import STATUS
from web.templating import day

TRAIL = "/api/v1/audit/trail"


def replay_url(api: Api, case_id: str, query: str = "") -> str:
    return f"{api.server.url}/controle/zaken/{case_id}{query}"


def case_at(api: Api, case_id: str, **params: Any) -> dict[str, Any]:
    response = api.client("auditor").get(f"{CASES}/{case_id}", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def trail(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Every trail item the filters select, through the API's cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        response = api.client("auditor").get(TRAIL, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def wait_for_trail(api: Api, answer: dict[str, Any]) -> None:
    """The audit trail read model has come as far as a command's answer."""
    response = api.client("auditor").get(
        TRAIL, params={"min_position": answer["log_position"], "limit": 1}
    )
    assert response.status_code == 200, response.text


def expect_step(page: Page, api: Api, case_id: str, entry: dict[str, Any]) -> None:
    """The replay shows the case as the API has it at ``entry``'s version."""
    version = entry["version"]
    shown = case_at(api, case_id, version=version)
    then = datetime.fromisoformat(entry["recorded_at"]).astimezone(AMSTERDAM)
    clocks = case_at(api, case_id, as_of=then.isoformat())["deadlines"]
    panel = page.locator("#replay")
    expect(page.locator("#position")).to_contain_text(f"Versie {version} van")
    expect(page.locator("#event")).to_contain_text(f"Versie {version}:")
    facts = page.locator("section[aria-labelledby='facts']")
    expect(facts).to_contain_text(STATUS[Status(shown["status"])])
    personal = page.locator("section[aria-labelledby='personal']")
    if shown["erased"]:
        expect(personal).to_contain_text("gewist")
    else:
        expect(personal).to_contain_text(shown["pupil"]["name"])
    expect(page.locator("#clocks ~ div tbody tr, #clocks ~ p")).to_have_count(
        max(1, len(clocks))
    )
    for clock in clocks:
        if clock["due"]:
            expect(page.locator("section[aria-labelledby='clocks']")).to_contain_text(
                day(clock["due"])
            )
    expect(panel).to_contain_text(entry["actor"]["user_id"])
    if entry["actor"]["request_id"]:
        expect(panel).to_contain_text(entry["actor"]["request_id"])


def test_an_auditor_replays_a_case_with_the_keyboard_and_sees_the_reads_logged(
    page: Page, api: Api
) -> None:
    consultant = api.add_consultant()
    case = api.case_in("closed", consultant)
    case_id = case["id"]
    history = api.history(case_id)
    assert len(history) >= 7
    wait_for_trail(api, case)
    latest = len(history)
    auditor = web_user(api, Role.AUDITOR)
    sign_in(page, api, auditor)

    page.goto(replay_url(api, case_id))
    expect(page.get_by_role("heading", level=1)).to_contain_text(case["reference"])
    expect_step(page, api, case_id, history[0])
    expect(page.locator("#changes")).to_contain_text("pupil")
    assert_accessible(page)
    screenshot(page, api, "replay-first")

    slider = page.get_by_label(f"Versie (1 tot en met {latest})")
    slider.focus()
    for entry in history[1:]:
        page.keyboard.press("ArrowRight")
        expect_step(page, api, case_id, entry)
        expect(page.get_by_label(f"Versie (1 tot en met {latest})")).to_be_focused()
    expect(page.locator("#changes")).to_contain_text("outcome.outcome")
    expect(page.locator("#changes")).to_contain_text("Afsluiting: uitkomst")
    assert page.url.endswith(f"?versie={latest}")
    assert_accessible(page)
    screenshot(page, api, "replay-last")

    page.keyboard.press("ArrowLeft")
    expect_step(page, api, case_id, history[-2])
    page.locator("#previous").focus()
    page.keyboard.press("Enter")
    expect_step(page, api, case_id, history[-3])
    page.locator("#next").focus()
    page.keyboard.press("Enter")
    expect_step(page, api, case_id, history[-2])

    # The moment field: the version in force then; before registration, the first.
    assigned = next(e for e in history if e["type"] == "Assigned")
    at = datetime.fromisoformat(assigned["recorded_at"]).astimezone(AMSTERDAM)
    at = at.replace(microsecond=0)  # the field's precision: what that second saw
    page.get_by_label("Naar het moment").fill(at.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Ga naar dit moment").click()
    in_force = max(
        e["version"]
        for e in history
        if datetime.fromisoformat(e["recorded_at"]) < at + timedelta(seconds=1)
    )
    expect_step(page, api, case_id, history[in_force - 1])
    page.get_by_label("Naar het moment").fill(
        (at - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_role("button", name="Ga naar dit moment").click()
    expect(page.locator("#moment-error")).to_contain_text("nog niet aangemeld")
    expect_step(page, api, case_id, history[0])
    assert_accessible(page)
    screenshot(page, api, "replay-moment-error")

    # Every step shown was a read of personal data, logged with its purpose.
    replay_reads = [
        i
        for i in trail(api, case_id=case_id, kind="read", role="auditor")
        if i["purpose"] == "case_replay"
    ]
    assert len(replay_reads) >= latest + 4
    assert {i["route"] for i in replay_reads} == {"/controle/zaken/{case_id}"}
    page.get_by_role("link", name="Wie zag of wijzigde de persoonsgegevens").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case["reference"])
    reads = page.locator("#accesses tbody tr[data-kind='read']")
    expect(reads.filter(has_text="Terugkijken").first).to_contain_text(auditor.name)
    expect(reads.filter(has_text="Terugkijken").first).to_contain_text("Auditor")
    expect(
        page.locator("#accesses tbody tr[data-kind='change']").filter(
            has_text="Consulent toegewezen"
        )
    ).to_have_count(1)
    assert_accessible(page)
    screenshot(page, api, "access-overview")

    # After erasure the replay still works and shows the personal data as erased.
    wait_for_trail(
        api, api.command(case_id, "erasure", {"reason": "data_subject_request"})
    )
    history = api.history(case_id)
    page.goto(replay_url(api, case_id, "?versie=1"))
    expect_step(page, api, case_id, history[0])
    expect(page.locator("section[aria-labelledby='personal']")).to_contain_text(
        "De persoonsgegevens van deze zaak zijn gewist."
    )
    expect(page.locator("#changes tr", has_text="pupil")).to_contain_text("gewist")
    erased = next(e for e in history if e["type"] == "PersonalDataErased")
    page.goto(replay_url(api, case_id, f"?versie={erased['version']}"))
    expect_step(page, api, case_id, erased)
    assert_accessible(page)
    screenshot(page, api, "replay-erased")


def test_the_replay_says_what_is_wrong_with_a_version_asked_for(
    page: Page, api: Api
) -> None:
    case = api.case_in("awaiting_intake")
    sign_in(page, api, web_user(api, Role.AUDITOR))
    for asked, message in (
        ("abc", "Vul een versienummer in"),
        ("99", "geen versie 99"),
    ):
        response = page.goto(replay_url(api, case["id"], f"?versie={asked}"))
        assert response is not None
        assert response.status == 200
        expect(page.locator("#error-summary")).to_be_focused()
        expect(page.locator("#versie-error")).to_contain_text(message)
    for asked in ("2026-13-45T10:00", "gisteren"):
        page.goto(replay_url(api, case["id"], f"?moment={asked}"))
        expect(page.locator("#moment-error")).to_contain_text("Vul een datum en tijd")
    assert_accessible(page)
    response = page.goto(
        f"{api.server.url}/controle/zaken/00000000-0000-4000-8000-000000000000"
    )
    assert response is not None
    assert response.status == 404


def test_the_audit_trail_filters_pages_and_downloads_as_csv(
    page: Page, api: Api
) -> None:
    consultant = api.add_consultant()
    case = api.case_in("in_mediation", consultant)
    for n in range(50):
        answer = api.command(case["id"], "activities", activity(f"Gesprek {n}"))
    wait_for_trail(api, answer)
    changes = trail(api, case_id=case["id"], kind="change")
    assert len(changes) > 50
    auditor = web_user(api, Role.AUDITOR)
    sign_in(page, api, auditor)

    page.get_by_role("link", name="Logboek").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logboek")
    assert_accessible(page)
    page.get_by_label("Zaak (referentie of id)").fill("Jansen")
    page.get_by_role("button", name="Filter toepassen").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#zaak-error")).to_contain_text("Vul een referentie")
    assert_accessible(page)
    screenshot(page, api, "audit-trail-error")
    page.goto(f"{api.server.url}/controle/logboek.csv?zaak=abc&soort=change")
    expect(page.locator("#zaak-error")).to_contain_text("Vul een referentie")
    assert page.url.endswith("/controle/logboek?zaak=abc&soort=change")

    page.get_by_label("Zaak (referentie of id)").fill(case["reference"])
    page.get_by_label("Soort", exact=True).select_option("change")
    page.get_by_label("Rol", exact=True).select_option("coordinator")
    page.get_by_role("button", name="Filter toepassen").click()
    assert "Jansen" not in page.url
    rows = page.locator("#trail tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#trail tbody tr[data-kind='read']")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, api, "audit-trail")
    by_coordinator = [c for c in changes if c["actor_role"] == "coordinator"]
    page.get_by_role("link", name="Volgende pagina").click()
    expect(rows).to_have_count(len(by_coordinator) - 50)
    expect(page.get_by_role("link", name="Eerste pagina")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download als CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [r["uuid"] for r in exported] == [c["uuid"] for c in by_coordinator]
    assert {r["kind"] for r in exported} == {"change"}
    assert exported[0]["fields"]
    assert all(r["case_id"] == case["id"] for r in exported)

    # Reads only, in a period: the auditor's own reads of the case are there.
    tomorrow = (datetime.now(AMSTERDAM) + timedelta(days=1)).date().isoformat()
    page.goto(
        f"{api.server.url}/controle/logboek?zaak={case['id']}&soort=read&tot={tomorrow}"
    )
    expect(page.locator("#trail tbody tr[data-kind='change']")).to_have_count(0)
    expect(page.locator("#trail tbody tr[data-kind='read']").first).to_be_visible()

    # By the auditor's user name: only their own reads.
    page.goto(f"{api.server.url}/controle/logboek?gebruiker={auditor.name}")
    rows = page.locator("#trail tbody tr")
    expect(rows.first).to_be_visible()
    for text in rows.all_inner_texts():
        assert auditor.name in text


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CONSULTANT, Role.ADMIN])
def test_only_auditors_open_the_replay_and_the_trail(
    page: Page, api: Api, role: Role
) -> None:
    consultant = api.add_consultant()
    case = api.case_in("assigned", consultant)
    user: WebUser = web_user(
        api, role, consultant_id=consultant.id if role == Role.CONSULTANT else None
    )
    sign_in(page, api, user)
    expect(page.get_by_role("link", name="Logboek")).to_have_count(0)
    paths = [
        f"/controle/zaken/{case['id']}",
        "/controle/logboek",
        "/controle/logboek.csv",
    ]
    if role != Role.COORDINATOR:  # a coordinator sees who accessed a case
        paths.append(f"/controle/zaken/{case['id']}/inzage")
    for path in paths:
        response = page.goto(api.server.url + path)
        assert response is not None
        assert response.status == 403, path
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    with signed_in_client(api, user) as client:
        for path in paths:
            assert client.get(path).status_code == 403, path


def test_a_coordinator_opens_who_accessed_a_case_and_its_subject_export(
    page: Page, api: Api
) -> None:
    case = api.register()
    coordinator = web_user(api, Role.COORDINATOR)
    sign_in(page, api, coordinator)
    page.goto(api.server.url + f"/zaken/{case['id']}")

    page.get_by_role("link", name="Wie zag of wijzigde deze zaak").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case["reference"])
    mine = page.locator("#accesses tbody tr[data-kind='read']").filter(
        has_text=coordinator.name
    )
    expect(mine.first).to_contain_text("Zaakpagina")
    expect(mine.first).to_contain_text("Behandeling van de zaak")
    assert_accessible(page)
    page.get_by_role("link", name="Naar de zaak").click()

    page.get_by_role("link", name="Inzageverzoek (alles over deze leerling)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case["reference"])
    expect(page.locator("section[aria-labelledby='personal']")).to_contain_text(
        case["pupil"]["name"]
    )
    page.emulate_media(media="print")
    expect(page.locator(".utrecht-nav-bar")).to_be_hidden()
    page.emulate_media(media="screen")
    assert_accessible(page)
    screenshot(page, api, "subject-access")


def test_the_admin_sees_each_read_model_s_position_and_lag_refreshed(
    page: Page, api: Api
) -> None:
    sign_in(page, api, web_user(api, Role.ADMIN))
    page.get_by_role("link", name="Leesmodellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leesmodellen")
    table = page.locator("#read-models tbody")
    for name in ("audit_trail", "case_list", "dashboard", "deadlines", "workload"):
        expect(table.get_by_role("rowheader", name=name).first).to_be_visible()
    ready = api.client("admin").get("/readyz").json()["checks"]
    position = ready["projection:case_list"]["position"]
    assert position > 0
    assert_accessible(page)
    screenshot(page, api, "read-models")
    with page.expect_request(
        lambda r: (
            r.url.endswith("/beheer/leesmodellen")
            and r.headers.get("hx-request") == "true"
        ),
        timeout=15_000,
    ):
        pass
    expect(table.get_by_role("rowheader", name="case_list").first).to_be_visible()

    for role in (Role.AUDITOR, Role.COORDINATOR):
        page.context.clear_cookies()
        sign_in(page, api, web_user(api, role))
        expect(page.get_by_role("link", name="Leesmodellen")).to_have_count(0)
        response = page.goto(api.server.url + "/beheer/leesmodellen")
        assert response is not None
        assert response.status == 403


def test_the_replay_works_without_javascript(browser: Browser, api: Api) -> None:
    case = api.case_in("awaiting_assignment")
    history = api.history(case["id"])
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, api, web_user(api, Role.AUDITOR))
        page.goto(replay_url(api, case["id"]))
        expect(page.locator("#position")).to_have_text(f"Versie 1 van {len(history)}")
        page.get_by_role("link", name="Volgende versie").click()
        expect(page.locator("#position")).to_contain_text("Versie 2 van")
        page.get_by_label(f"Versie (1 tot en met {len(history)})").fill(
            str(len(history))
        )
        page.get_by_role("button", name="Toon deze versie").click()
        assert page.url.endswith(f"?versie={len(history)}")
        expect(page.locator("#event")).to_contain_text("Intake beslist")
        screenshot(page, api, "replay-without-javascript")
    finally:
        context.close()
