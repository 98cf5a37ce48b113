"""The destruction list pages in a real browser, on each store: a record manager
proposes the cases ended more than two years ago, takes one off with a reason
(a bad file number refused beside its field) and finishes the review; a privacy
officer approves and runs it; the certificate shows what was destroyed. Others
get 403 on every page and form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from domain.values import Role
from dossier.bootstrap import build_service
from tests.browser.conftest import (
    WebUser,
    assert_accessible,
    screenshot,
    sign_in,
    web_user,
)
from tests.browser.keyboard_and_http import form_token, signed_in_client
from tests.e2e.helpers import Api
from tests.support.clock import FakeClock
from tests.support.samples import INTAKE, registration


def ended_long_ago(api: Api, n: int) -> list[str]:
    """``n`` cases withdrawn in 2023, written to the server's store beside it;
    the references, once the case list has them."""
    service = build_service(
        api.server.settings, clock=FakeClock(datetime(2023, 3, 1, 9, tzinfo=UTC))
    )
    try:
        references = []
        for _ in range(n):
            case = service.register(registration(), by=INTAKE).case
            service.withdraw(case.id, "Ouders trekken de aanmelding in.", by=INTAKE)
            references.append(case.reference)
        position = service.recorder.max_notification_id()
    finally:
        service.close()
    seen = api.client("coordinator").get(
        "/api/v1/cases", params={"min_position": position, "limit": 1}
    )
    assert seen.status_code == 200, seen.text
    return references


def sign_in_to_lists(page: Page, api: Api, user: WebUser) -> None:
    page.context.clear_cookies()
    page.goto(api.server.url + "/inloggen")
    page.get_by_label("Gebruikersnaam").fill(user.name)
    page.get_by_label("Wachtwoord").fill(user.password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(api.server.url + "/vernietiging")


def test_a_list_is_proposed_reviewed_approved_and_run_on_the_pages(
    page: Page, api: Api
) -> None:
    kept, *destroyed = ended_long_ago(api, 3)
    records = web_user(api, Role.RECORD_MANAGER)
    sign_in_to_lists(page, api, records)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vernietigingslijsten")
    assert_accessible(page)
    page.get_by_role("button", name="Lijst voorstellen").click()
    expect(page.get_by_role("status")).to_have_text(
        "De vernietigingslijst is voorgesteld."
    )
    list_url = page.url
    for reference in (kept, *destroyed):
        expect(page.get_by_role("rowheader", name=reference)).to_be_visible()
    assert_accessible(page)
    screenshot(page, api, "destruction-list-proposed")

    page.get_by_label("Zaak").select_option(label=kept)
    page.get_by_label("Reden").select_option("complaint")
    page.get_by_label("Dossiernummer (zoals KL-2026-014)").fill("mevrouw Jansen")
    page.get_by_role("button", name="Van de lijst halen").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#remove-file_reference-error")).to_contain_text(
        "Vul een dossiernummer in"
    )
    assert_accessible(page)
    screenshot(page, api, "destruction-list-removal-error")
    page.get_by_label("Dossiernummer (zoals KL-2026-014)").fill("KL-2026-014")
    page.get_by_role("button", name="Van de lijst halen").click()
    expect(page.get_by_role("status")).to_have_text("De zaak is van de lijst gehaald.")
    expect(page.get_by_text(f"{kept} van de lijst gehaald")).to_contain_text("Klacht")
    page.get_by_role("button", name="Beoordeling afronden").click()
    expect(page.get_by_role("status")).to_contain_text("wacht op goedkeuring")
    expect(page.get_by_role("button", name="Lijst goedkeuren")).to_have_count(0)

    privacy = web_user(api, Role.PRIVACY_OFFICER)
    sign_in_to_lists(page, api, privacy)
    page.goto(list_url)
    page.get_by_role("button", name="Lijst goedkeuren").click()
    expect(page.get_by_role("status")).to_contain_text("goedgekeurd")
    page.get_by_role("button", name="Vernietiging uitvoeren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verklaring van vernietiging"
    )
    for reference in destroyed:
        expect(page.get_by_role("row", name=re.compile(reference))).to_contain_text(
            "Vernietigd"
        )
    expect(page.get_by_role("rowheader", name=kept)).to_have_count(0)
    expect(page.get_by_text(records.name).first).to_be_visible()
    assert_accessible(page)
    screenshot(page, api, "destruction-certificate")

    list_id = list_url.split("?")[0].rsplit("/", 1)[1]
    for role in (Role.COORDINATOR, Role.INTAKE, Role.ADMIN):
        user = web_user(api, role)
        with signed_in_client(api, user) as client:
            for path in ("/vernietiging", f"/vernietiging/{list_id}"):
                assert client.get(path).status_code == 403, (role, path)
            token = form_token(client.get("/").text)
            for step in (
                "",
                "/verwijderen",
                "/beoordeeld",
                "/goedgekeurd",
                "/uitgevoerd",
            ):
                path = "/vernietiging" + (f"/{list_id}{step}" if step else "")
                answer = client.post(path, data={"csrf_token": token})
                assert answer.status_code == 403, (role, path)


def test_a_legal_hold_placed_on_the_case_page_blocks_erasure_until_lifted(
    page: Page, api: Api
) -> None:
    case = api.case_in("withdrawn")
    sign_in(page, api, web_user(api, Role.COORDINATOR))
    page.goto(f"{api.server.url}/zaken/{case['id']}")

    page.locator("summary", has_text="Juridische blokkade plaatsen").click()
    form = page.locator("form[action$='/blokkeren']")
    form.get_by_label("Reden").select_option(label="Klacht")
    form.get_by_label("Dossiernummer (zoals KL-2026-014)").fill("mevrouw Jansen")
    form.get_by_role("button", name="Juridische blokkade plaatsen").click()
    expect(page.locator("#blokkeren-file_reference-error")).to_contain_text(
        "Vul een dossiernummer in"
    )
    assert_accessible(page)

    form = page.locator("form[action$='/blokkeren']")
    form.get_by_label("Reden").select_option(label="Klacht")
    form.get_by_label("Dossiernummer (zoals KL-2026-014)").fill("KL-2026-014")
    form.get_by_role("button", name="Juridische blokkade plaatsen").click()
    expect(page.get_by_text("Juridische blokkade sinds")).to_contain_text(
        "Klacht. Dossiernummer KL-2026-014."
    )
    # Erasure is no longer offered while the hold is in force.
    expect(page.locator("summary", has_text="Persoonsgegevens wissen")).to_have_count(0)
    assert api.case(case["id"])["legal_hold"]["reason"] == "complaint"
    assert_accessible(page)
    screenshot(page, api, "case-legal-hold")

    page.locator("summary", has_text="Juridische blokkade opheffen").click()
    form = page.locator("form[action$='/blokkade-opheffen']")
    form.get_by_label("Reden").select_option(label="Klacht afgehandeld")
    form.get_by_role("button", name="Juridische blokkade opheffen").click()
    expect(page.get_by_text("Juridische blokkade sinds")).to_have_count(0)
    expect(page.locator("summary", has_text="Persoonsgegevens wissen")).to_have_count(1)
