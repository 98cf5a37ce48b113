"""The consultants pages in a real browser: a coordinator adds, changes and
deactivates a consultant; an admin may too; consultants and auditors may not."""

from __future__ import annotations

import uuid

from playwright.sync_api import Locator, Page, expect

from domain.values import Role
from tests.browser.conftest import assert_accessible, screenshot, sign_in, web_user
from tests.browser.keyboard_and_http import form_token, signed_in_client
from tests.e2e.helpers import CONSULTANTS, Api


def row(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))


def test_a_coordinator_adds_changes_and_deactivates_a_consultant(
    page: Page, api: Api
) -> None:
    name = f"Consulent {uuid.uuid4().hex[:8]}"
    sign_in(page, api, web_user(api, Role.COORDINATOR))
    page.get_by_role("link", name="Consulenten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consulenten")
    assert_accessible(page)

    page.get_by_role("link", name="Consulent toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consulent toevoegen")
    assert_accessible(page)
    screenshot(page, api, "consultant-add")
    page.get_by_label("Capaciteit").fill("abc")
    page.get_by_role("button", name="Toevoegen").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Vul de naam van de consulent in")
    expect(summary).to_contain_text("Kies de soort consulent")
    expect(page.locator("#capacity-error")).to_have_text(
        "Vul een heel getal van 0 tot en met 200 in"
    )
    expect(page.get_by_label("Capaciteit")).to_have_value("abc")
    assert_accessible(page)
    screenshot(page, api, "consultant-add-errors")

    page.get_by_label("Naam").fill(name)
    page.get_by_label("Regio").select_option("gelderland")
    page.get_by_label("Onderwijszorgconsulent").check()
    page.get_by_label("Capaciteit").fill("30")
    page.get_by_role("button", name="Toevoegen").click()

    expect(page.get_by_role("status")).to_have_text("De consulent is toegevoegd.")
    added = row(page, name)
    expect(added).to_contain_text("Gelderland")
    expect(added).to_contain_text("Onderwijszorgconsulent")
    expect(added.get_by_role("cell").nth(2)).to_have_text("30")
    expect(added.get_by_role("cell").nth(3)).to_have_text("0")
    expect(added).to_contain_text("Actief")
    assert_accessible(page)
    screenshot(page, api, "consultants")

    added.get_by_role("link", name=f"Wijzig {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consulent wijzigen")
    expect(page.get_by_label("Naam")).to_have_value(name)
    assert_accessible(page)
    screenshot(page, api, "consultant-edit")
    page.get_by_label("Naam").fill(name + " Jansen")
    page.get_by_label("Regio").select_option("utrecht")
    page.get_by_label("Capaciteit").fill("25")
    page.get_by_role("button", name="Bewaren").click()

    expect(page.get_by_role("status")).to_contain_text("bewaard")
    changed = row(page, name + " Jansen")
    expect(changed).to_contain_text("Utrecht")
    expect(changed.get_by_role("cell").nth(2)).to_have_text("25")

    changed.get_by_role("link", name=f"Wijzig {name} Jansen").click()
    page.get_by_role("link", name=f"{name} Jansen deactiveren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{name} Jansen deactiveren?"
    )
    assert_accessible(page)
    screenshot(page, api, "consultant-deactivate")
    page.get_by_role("button", name="Ja, deactiveren").click()

    expect(page.get_by_role("status")).to_contain_text("gedeactiveerd")
    expect(row(page, name + " Jansen")).to_contain_text("Gedeactiveerd")
    listed = api.client("coordinator").get(CONSULTANTS).json()
    mine = next(c for c in listed if c["name"] == name + " Jansen")
    assert mine["active"] is False
    assert mine["region"] == "utrecht"
    assert mine["kind"] == "onderwijszorgconsulent"
    assert mine["capacity"] == 25

    row(page, name + " Jansen").get_by_role("link").click()
    page.get_by_role("button", name=f"{name} Jansen weer activeren").click()
    expect(row(page, name + " Jansen")).to_contain_text("Actief")


def test_a_change_drawn_from_an_old_version_shows_the_fresh_consultant(
    page: Page, api: Api
) -> None:
    consultant = api.add_consultant()
    sign_in(page, api, web_user(api, Role.COORDINATOR))
    page.goto(f"{api.server.url}/consulenten/{consultant.id}")
    # Meanwhile someone else changes the capacity.
    changed = api.client("coordinator").patch(
        f"{CONSULTANTS}/{consultant.id}", json={"capacity": 12}
    )
    assert changed.status_code == 200, changed.text
    page.get_by_label("Capaciteit").fill("40")
    page.get_by_role("button", name="Bewaren").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Iemand anders heeft deze consulent")
    expect(page.get_by_label("Capaciteit")).to_have_value("12")
    assert_accessible(page)
    shown = api.client("coordinator").get(f"{CONSULTANTS}/{consultant.id}").json()
    assert shown["capacity"] == 12


def test_an_admin_manages_consultants_too(page: Page, api: Api) -> None:
    consultant = api.add_consultant()
    sign_in(page, api, web_user(api, Role.ADMIN))
    page.get_by_role("link", name="Consulenten").click()

    expect(row(page, consultant.name)).to_contain_text("Noord-Holland")
    row(page, consultant.name).get_by_role("link").click()
    page.get_by_label("Capaciteit").fill("abc")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator("#capacity-error")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page)


def test_consultants_and_auditors_may_not_manage_consultants(
    page: Page, api: Api
) -> None:
    consultant = api.add_consultant()
    for user in (
        web_user(api, Role.CONSULTANT, consultant_id=consultant.id),
        web_user(api, Role.AUDITOR),
        web_user(api, Role.INTAKE),
    ):
        page.context.clear_cookies()
        sign_in(page, api, user)
        expect(page.get_by_role("link", name="Consulenten")).to_have_count(0)
        for path in (
            "",
            "/nieuw",
            f"/{consultant.id}",
            f"/{consultant.id}/deactiveren",
        ):
            response = page.goto(api.server.url + "/consulenten" + path)
            assert response is not None
            assert response.status == 403, (user.role, path)
        expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
        assert_accessible(page)
        with signed_in_client(api, user) as client:
            token = form_token(client.get("/").text)
            for path in (
                "/nieuw",
                f"/{consultant.id}",
                f"/{consultant.id}/deactiveren",
            ):
                answer = client.post(
                    "/consulenten" + path,
                    data={"csrf_token": token, "name": "X", "capacity": "1"},
                )
                assert answer.status_code == 403, (user.role, path)
    screenshot(page, api, "consultants-forbidden")
    shown = api.client("coordinator").get(f"{CONSULTANTS}/{consultant.id}").json()
    assert shown["active"] is True
    assert shown["name"] == consultant.name
