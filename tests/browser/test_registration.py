"""The aanmelding (registration) form in a real browser: the postcode's
suggestion with and without JavaScript, keyboard only, errors beside the fields
and in the summary, one case per form however often it is sent, and the
pupil's name and postcode in no URL."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Browser, Page, expect

from domain.values import Role
from tests.browser.conftest import (
    WebUser,
    assert_accessible,
    screenshot,
    sign_in,
    web_user,
)
from tests.browser.keyboard_and_http import (
    accessible_without_javascript,
    form_token,
    signed_in_client,
    tab_to,
    watch_urls,
)
from tests.e2e.helpers import Api

CASE_URL = re.compile(r"/zaken/([0-9a-f-]{36})$")
IDEMPOTENCY_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def pupil() -> str:
    return f"Sanne Web{uuid.uuid4().hex[:8]}"


def registered(api: Api, page: Page) -> dict[str, Any]:
    """The case the browser was sent to after registering, read through the API."""
    page.wait_for_url(CASE_URL)
    found = CASE_URL.search(page.url)
    assert found is not None
    response = api.client("coordinator").get(f"/api/v1/cases/{found.group(1)}")
    assert response.status_code == 200, response.text
    case: dict[str, Any] = response.json()
    return case


def assert_private(urls: list[str], *secrets: str) -> None:
    assert urls, "the browser made no requests"
    for url in urls:
        for secret in secrets:
            assert secret not in url, url


def fill_the_rest(page: Page) -> None:
    """Everything but the pupil, the postcode, the sector and the suggestion."""
    page.get_by_label("Telefoon", exact=True).check()
    page.get_by_label("Wie meldt aan?").select_option("parent")
    page.get_by_label("Naam van de aanvrager").fill("Jan de Vries")
    page.get_by_label("E-mailadres").fill("jan@example.nl")
    page.get_by_label("Telefoonnummer").fill("0612345678")
    page.get_by_label("De ouders (of de leerling").check()
    page.get_by_label("Naam van de school").fill("Basisschool De Regenboog")
    page.get_by_label("BRIN-code").fill("12AB")
    page.get_by_label("Categorie").select_option("toelating")
    page.get_by_label("Gevraagde dienst").select_option("onderwijsconsulent")
    page.get_by_label("Wat is er aan de hand?").fill("School weigert toelating.")


def start(page: Page, api: Api, role: Role = Role.INTAKE) -> WebUser:
    user = web_user(api, role)
    sign_in(page, api, user)
    page.get_by_role("link", name="Nieuwe aanmelding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe aanmelding")
    return user


def test_intake_registers_a_case_with_the_postcode_suggestion(
    page: Page, api: Api
) -> None:
    name = pupil()
    urls = watch_urls(page)
    lookups: list[tuple[str, str | None]] = []
    page.on(
        "request",
        lambda r: (
            lookups.append((r.method, r.post_data))
            if r.url.endswith("/aanmelding/suggestie")
            else None
        ),
    )
    start(page, api)
    assert_accessible(page)
    screenshot(page, api, "registration-empty")

    page.get_by_label("Naam van de leerling").fill(name)
    page.get_by_label("Geboortedatum").fill("2015-03-14")
    page.get_by_label("Postcode (4 cijfers)").fill("1011")
    page.get_by_label("Postcode (4 cijfers)").press("Tab")  # a change: looked up
    expect(page.get_by_role("status")).to_contain_text("Kies ook de sector")
    page.get_by_label("Sector").select_option("po")  # another change

    expect(page.get_by_label("Samenwerkingsverband")).to_have_value("PO2707")
    expect(page.get_by_label("Regio")).to_have_value("noord-holland")
    expect(page.get_by_label("Gemeente")).to_have_value("Amsterdam")
    expect(page.get_by_role("status")).to_contain_text("PO2707")
    assert_accessible(page)
    screenshot(page, api, "registration-suggested")
    # The suggestion can be overridden.
    page.get_by_label("Regio").select_option("utrecht")
    fill_the_rest(page)
    page.get_by_role("button", name="Aanmelden").click()

    case = registered(api, page)
    assert case["pupil"]["name"] == name
    assert case["pupil"]["pc4"] == "1011"
    assert case["pupil"]["municipality"] == "Amsterdam"
    assert case["samenwerkingsverband"] == "PO2707"
    assert case["region"] == "utrecht"
    assert case["channel"] == "phone"
    assert case["consent_given"] is True
    assert case["receives_education"] is True
    assert lookups, "the postcode lookup was not asked for"
    for method, body in lookups:
        assert method == "POST"
        assert body is not None
        assert "csrf_token=" in body
        assert name.split()[1] not in body  # only the fields the lookup needs
    assert_private(urls, name.split()[1], "1011")


def test_enter_in_a_field_registers_the_case_not_the_postcode_lookup(
    page: Page, api: Api
) -> None:
    name = pupil()
    start(page, api)
    page.get_by_label("Naam van de leerling").fill(name)
    page.get_by_label("Geboortedatum").fill("2015-03-14")
    page.get_by_label("Postcode (4 cijfers)").fill("1011")
    page.get_by_label("Sector").select_option("po")
    page.get_by_label("Samenwerkingsverband").fill("PO2707")
    page.get_by_label("Regio").select_option("noord-holland")
    page.get_by_label("Gemeente").fill("Amsterdam")
    fill_the_rest(page)
    page.get_by_label("Naam van de school").press("Enter")

    case = registered(api, page)
    assert case["pupil"]["name"] == name


def test_intake_registers_a_case_with_the_keyboard_only(page: Page, api: Api) -> None:
    name = pupil()
    urls = watch_urls(page)
    sign_in(page, api, web_user(api, Role.INTAKE))
    page.goto(api.server.url + "/aanmelding")
    keys = page.keyboard

    tab_to(page, "channel", limit=20)
    keys.press("ArrowDown")  # from Website to Telefoon
    tab_to(page, "requester_role")
    keys.type("Ouder")
    for field, text in (
        ("requester_name", "Jan de Vries"),
        ("requester_email", "jan@example.nl"),
        ("requester_phone", "0612345678"),
    ):
        tab_to(page, field)
        keys.type(text)
    tab_to(page, "consent_given")
    keys.press("Space")
    tab_to(page, "pupil_name")
    keys.type(name)
    tab_to(page, "pupil_birth_date")
    keys.type("03142015")  # the browser's (en-US) order: month, day, year
    tab_to(page, "pupil_pc4")
    keys.type("1011")
    tab_to(page, "sector")
    keys.type("Primair")
    expect(page.get_by_label("Samenwerkingsverband")).to_have_value("PO2707")
    tab_to(page, "school_name")
    keys.type("Basisschool De Regenboog")
    tab_to(page, "category")
    keys.type("Toelating")
    tab_to(page, "service")
    keys.type("Onderwijsconsulent")
    tab_to(page, "account")
    keys.type("School weigert toelating.")
    keys.press("Tab")
    expect(page.locator(":focus")).to_have_text("Aanmelden")
    keys.press("Enter")

    case = registered(api, page)
    assert case["pupil"]["name"] == name
    assert case["pupil"]["birth_date"] == "2015-03-14"
    assert case["channel"] == "phone"
    assert case["requester"]["role"] == "parent"
    assert case["sector"] == "po"
    assert case["samenwerkingsverband"] == "PO2707"
    assert case["region"] == "noord-holland"
    assert case["category"] == "toelating"
    assert_private(urls, name.split()[1], "1011")


def test_errors_are_shown_beside_the_fields_and_in_the_summary(
    page: Page, api: Api
) -> None:
    name = pupil()
    urls = watch_urls(page)
    start(page, api, Role.COORDINATOR)
    page.get_by_label("Naam van de leerling").fill(name)
    page.get_by_label("Postcode (4 cijfers)").fill("12")
    with page.expect_response(lambda r: r.url.endswith("/aanmelding")) as answer:
        page.get_by_role("button", name="Aanmelden").click()

    # The schema's checks, every field at once.
    assert answer.value.status == 422
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Kies hoe de aanmelding binnenkwam")
    expect(summary).to_contain_text("toestemming van de ouders")
    expect(summary).to_contain_text("Vul de geboortedatum van de leerling in")
    expect(page.locator("#pupil_pc4-error")).to_contain_text("4 cijfers")
    expect(page.locator("#account-error")).to_have_text(
        "Beschrijf kort de vraag of het probleem"
    )
    expect(page.get_by_label("Postcode (4 cijfers)")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_label("Naam van de leerling")).to_have_value(name)
    expect(page.get_by_label("Postcode (4 cijfers)")).to_have_value("12")
    assert_accessible(page)
    screenshot(page, api, "registration-errors")

    # Valid for the schema, but breaking the domain's rules: all of them shown.
    page.get_by_label("Postcode (4 cijfers)").fill("1011")
    page.get_by_label("Geboortedatum").fill("2015-03-14")
    page.get_by_label("Sector").select_option("po")
    fill_the_rest(page)
    page.get_by_label("E-mailadres").fill("geen-adres")
    page.get_by_label("BRIN-code").fill("XY")
    page.get_by_label("Categorie").select_option("thuiszitter")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.locator("#requester_email-error")).to_have_text(
        "Vul een e-mailadres in zoals naam@voorbeeld.nl"
    )
    expect(page.locator("#school_brin-error")).to_contain_text("BRIN-code")
    expect(page.locator("#at_home_since-error")).to_contain_text("thuiszit")
    expect(page.locator("#error-summary li")).to_have_count(3)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Naam van de leerling")).to_have_value(name)
    expect(page.get_by_label("E-mailadres")).to_have_value("geen-adres")
    assert_accessible(page)
    screenshot(page, api, "registration-errors-domain")

    page.get_by_label("E-mailadres").fill("jan@example.nl")
    page.get_by_label("BRIN-code").fill("12AB")
    page.get_by_label("Thuis sinds").fill("2025-09-01")
    page.get_by_role("button", name="Aanmelden").click()
    case = registered(api, page)
    assert case["category"] == "thuiszitter"
    assert case["at_home_since"] == "2025-09-01"
    assert_private(urls, name.split()[1], "1011")


def test_the_suggestion_works_without_javascript(
    browser: Browser, page: Page, api: Api
) -> None:
    checker = page
    context = browser.new_context(java_script_enabled=False, bypass_csp=True)
    page = context.new_page()
    try:
        name = pupil()
        urls = watch_urls(page)
        start(page, api)
        page.get_by_label("Naam van de leerling").fill(name)
        page.get_by_label("Geboortedatum").fill("2011-05-02")
        page.get_by_label("Postcode (4 cijfers)").fill("2611")
        page.get_by_label("Sector").select_option("vo")
        page.get_by_role("button", name="Zoek samenwerkingsverband").click()

        expect(page.get_by_label("Samenwerkingsverband")).to_have_value("VO2809")
        expect(page.get_by_label("Samenwerkingsverband")).to_be_focused()
        expect(page.get_by_label("Regio")).to_have_value("zuid-holland")
        expect(page.get_by_label("Gemeente")).to_have_value("Delft")
        expect(page.get_by_role("status")).to_contain_text("VO2809")
        expect(page.get_by_label("Naam van de leerling")).to_have_value(name)
        accessible_without_javascript(checker, page)
        screenshot(page, api, "registration-suggested-without-javascript")
        fill_the_rest(page)
        page.get_by_role("button", name="Aanmelden").click()

        case = registered(api, page)
        assert case["samenwerkingsverband"] == "VO2809"
        assert case["region"] == "zuid-holland"
        assert case["pupil"]["municipality"] == "Delft"
        assert_private(urls, name.split()[1], "2611")
    finally:
        context.close()


def test_a_form_sent_twice_records_one_case(api: Api) -> None:
    user = web_user(api, Role.INTAKE)
    with signed_in_client(api, user) as client:
        form = client.get("/aanmelding").text
        key = IDEMPOTENCY_KEY.search(form)
        assert key is not None
        data = {
            "csrf_token": form_token(form),
            "idempotency_key": key.group(1),
            "action": "register",
            "channel": "web",
            "requester_role": "parent",
            "requester_name": "Jan de Vries",
            "consent_given": "yes",
            "pupil_name": pupil(),
            "pupil_birth_date": "2015-03-14",
            "pupil_pc4": "1011",
            "sector": "po",
            "region": "noord-holland",
            "category": "toelating",
            "service": "onderwijsconsulent",
            "receives_education": "yes",
            "account": "School weigert toelating.",
        }
        first = client.post("/aanmelding", data=data)
        second = client.post("/aanmelding", data=data)
        changed = client.post("/aanmelding", data={**data, "pupil_name": pupil()})

    assert first.status_code == 303, first.text
    assert CASE_URL.search(first.headers["location"])
    assert second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    # The same key with other data: not a repeat; said so, with a new key.
    assert changed.status_code == 422
    assert "al verstuurd" in changed.text
    assert key.group(1) not in changed.text


def test_consultants_and_auditors_may_not_register(page: Page, api: Api) -> None:
    consultant = api.add_consultant()
    for user in (
        web_user(api, Role.CONSULTANT, consultant_id=consultant.id),
        web_user(api, Role.AUDITOR),
    ):
        page.context.clear_cookies()
        sign_in(page, api, user)
        expect(page.get_by_role("link", name="Nieuwe aanmelding")).to_have_count(0)
        response = page.goto(api.server.url + "/aanmelding")
        assert response is not None
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
        assert_accessible(page)
        with signed_in_client(api, user) as client:
            token = form_token(client.get("/").text)
            for path in ("/aanmelding", "/aanmelding/suggestie"):
                answer = client.post(
                    path, data={"csrf_token": token, "pupil_pc4": "1011"}
                )
                assert answer.status_code == 403, path
    screenshot(page, api, "registration-forbidden")
