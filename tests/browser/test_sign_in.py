"""Signing in and out in a real browser: passwords, sessions, CSRF, language."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from domain.values import Role
from tests.browser.conftest import (
    assert_accessible,
    screenshot,
    sign_in,
    web_user,
)
from tests.e2e.helpers import Api


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(page: Page, api: Api) -> None:
    page.goto(api.server.url + "/")

    expect(page).to_have_url(api.server.url + "/inloggen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert_accessible(page)
    screenshot(page, api, "sign-in")


def test_a_coordinator_signs_in_sees_the_work_queue_and_signs_out(
    page: Page, api: Api
) -> None:
    user = web_user(api, Role.COORDINATOR)
    sign_in(page, api, user)

    expect(page.get_by_role("heading", level=1)).to_have_text("Werkvoorraad")
    expect(page.get_by_text(user.name)).to_be_visible()
    assert_accessible(page)
    screenshot(page, api, "work-queue-coordinator")
    cookie = next(c for c in page.context.cookies() if c["name"] == "dossier_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"

    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(api.server.url + "/inloggen")
    page.goto(api.server.url + "/")
    expect(page).to_have_url(api.server.url + "/inloggen")


def test_a_wrong_password_is_refused_beside_the_form(page: Page, api: Api) -> None:
    user = web_user(api, Role.INTAKE)
    page.goto(api.server.url + "/inloggen")
    page.get_by_label("Gebruikersnaam").fill(user.name)
    page.get_by_label("Wachtwoord").fill("not the password at all")
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("alert")).to_contain_text("klopt niet")
    expect(page.get_by_label("Gebruikersnaam")).to_have_value(user.name)
    assert not any(c["name"] == "dossier_session" for c in page.context.cookies())
    assert_accessible(page)


def test_a_post_without_the_form_s_csrf_token_is_refused(api: Api) -> None:
    user = web_user(api, Role.INTAKE)
    with httpx.Client(base_url=api.server.url) as client:
        client.get("/inloggen")  # the form cookie, but no token in the body
        response = client.post(
            "/inloggen", data={"name": user.name, "password": user.password}
        )

    assert response.status_code == 403
    assert "dossier_session" not in response.cookies


def test_the_language_can_be_switched_to_english_and_is_remembered(
    page: Page, api: Api
) -> None:
    user = web_user(api, Role.INTAKE)
    sign_in(page, api, user)
    page.get_by_role("link", name="English").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    assert page.locator("html").get_attribute("lang") == "en"
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    assert_accessible(page)


def test_repeated_failed_sign_ins_are_slowed_down(api: Api) -> None:
    user = web_user(api, Role.AUDITOR)
    statuses = []
    with httpx.Client(base_url=api.server.url) as client:
        for _ in range(7):
            form = client.get("/inloggen").text
            token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            answer = client.post(
                "/inloggen",
                data={"csrf_token": token, "name": user.name, "password": "wrong"},
            )
            statuses.append(answer.status_code)
        form = client.get("/inloggen").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        right = client.post(
            "/inloggen",
            data={"csrf_token": token, "name": user.name, "password": user.password},
        )

    assert statuses[:5] == [401] * 5
    assert 429 in statuses[5:]
    # Even the right password waits its turn while the user is slowed down.
    assert right.status_code == 429


def test_the_accessibility_statement_is_open_to_everyone(page: Page, api: Api) -> None:
    page.goto(api.server.url + "/")
    page.get_by_role("link", name="Toegankelijkheid").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Toegankelijkheidsverklaring"
    )
    assert_accessible(page)


def test_an_unknown_page_answers_404_in_the_pages_look(page: Page, api: Api) -> None:
    response = page.goto(api.server.url + "/bestaat-niet")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
    assert_accessible(page)


def test_a_post_from_another_site_is_refused_even_with_the_token(api: Api) -> None:
    user = web_user(api, Role.INTAKE)
    with httpx.Client(base_url=api.server.url) as client:
        form = client.get("/inloggen").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post(
            "/inloggen",
            data={"csrf_token": token, "name": user.name, "password": user.password},
            headers={"Origin": "https://elders.example"},
        )

    assert response.status_code == 403
    assert "dossier_session" not in response.cookies
