"""The dashboard in a real browser on a demo school year: a coordinator opens
this year's figures, switches region, picks a day in the past and sees that
day's figures (the API's answer for the same moment), compares two years and
downloads a table as CSV; axe finds nothing on any of these views."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from domain.values import Role
from domain.zone import AMSTERDAM
from tests.browser.conftest import (
    assert_accessible,
    read_at,
    screenshot,
    sign_in,
    web_user,
)
from tests.e2e.helpers import STORES, Api, api_for
from tests.support import processes
from web.labels import REGION

DEMO_CASES = 120


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    """A server of its own with a demo school year (past timestamps)."""
    found = api_for(request, group="dashboard")
    subprocess.run(
        [sys.executable, "-m", "dossier", "demo", "--cases", str(DEMO_CASES)],
        env=processes.environment(found.server.settings),
        cwd=processes.ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    # The read models catch up with the demo's events: the log's head from
    # /readyz, then the dashboard read at that position.
    checks = found.client("admin").get("/readyz").json()["checks"]
    head = max(
        c["position"] + c["lag_events"]
        for name, c in checks.items()
        if name.startswith("projection:")
    )
    answer = read_at(found, "/api/v1/dashboard", head)
    year = answer.json()
    assert (
        sum(w["registered"] or 0 for w in year["weeks"])
        + year["waiting_total"]["count"]
    ), "the demo left this school year empty"
    return found


def figures(api: Api, **query: str) -> dict[str, Any]:
    answer: dict[str, Any] = (
        api.client("auditor").get("/api/v1/dashboard", params=query).json()
    )
    return answer


def end_of(day: date) -> str:
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), AMSTERDAM)
    return (midnight - timedelta(microseconds=1)).isoformat()


def shown(page: Page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text()


def test_a_coordinator_sees_the_year_a_region_a_past_day_and_a_comparison(
    page: Page, api: Api
) -> None:
    sign_in(page, api, web_user(api, Role.COORDINATOR))
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator("#moment")).to_contain_text("Nu:")
    now = figures(api)
    assert shown(page, "registered") == str(now["registered"])
    assert shown(page, "waiting") == str(now["waiting_total"]["count"])
    # The queue's table: thuiszitters waiting per region, beside all waiting.
    page.locator("#chart-queue summary").click()
    queue = now["waiting_queue"]
    for region, counts in queue.items():
        row = page.locator("#table-queue tbody tr").filter(
            has=page.get_by_role("rowheader", name=REGION[region], exact=True)
        )
        expect(row.locator("td").nth(3)).to_have_text(
            str(counts["thuiszitters"]["count"])
        )
        expect(row.locator("td").nth(4)).to_have_text(str(counts["count"]))
    page.locator("#chart-first_contact summary").click()
    expect(
        page.locator("#table-first_contact tbody tr").first.locator("td").nth(1)
    ).to_have_text(str(now["durations"]["first_contact_after_assignment"]["count"]))
    page.locator("#chart-referrals summary").click()
    expect(page.locator("#table-referrals tbody tr")).to_have_count(
        len(now["referrals"])
    )
    assert_accessible(page)
    screenshot(page, api, "dashboard-now")

    page.get_by_label("Regio", exact=True).select_option("zuid-holland")
    page.get_by_role("button", name="Cijfers tonen").click()
    expect(page.locator("#moment")).to_contain_text("Zuid-Holland")
    region = figures(api, region="zuid-holland")
    assert shown(page, "registered") == str(region["registered"])

    day = date.today() - timedelta(days=40)
    page.get_by_label("Regio", exact=True).select_option("")
    page.get_by_label("Zoals het was op (leeg: nu)").fill(day.isoformat())
    page.get_by_role("button", name="Cijfers tonen").click()
    expect(page.locator("#moment")).to_contain_text(
        f"Zoals het was aan het eind van {day.day}-{day.month}-{day.year}"
    )
    then = figures(api, as_of=end_of(day))
    assert shown(page, "registered") == str(then["registered"])
    assert shown(page, "open") == str(then["open"])
    assert shown(page, "waiting") == str(then["waiting_total"]["count"])
    assert then["registered"] <= now["registered"]
    page.locator("#chart-stock summary").click()
    stock_rows = page.locator("#table-stock tbody tr")
    known = [w for w in then["weeks"] if w["open_at_end"] is not None]
    expect(stock_rows.nth(len(known) - 1).locator("td")).to_have_text(
        str(known[-1]["open_at_end"])
    )
    expect(page.get_by_text("De termijnen worden alleen voor nu")).to_be_visible()
    assert_accessible(page)
    screenshot(page, api, "dashboard-as-of")

    # The CSV of the same choice: the same numbers, formulas made text.
    with page.expect_download() as download:
        page.locator("#chart-funnel summary").click()
        page.locator("#chart-funnel").get_by_role(
            "link", name="Download als CSV"
        ).click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(f"{day.isoformat()}.csv")
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Stap", "Zaken"]
    assert rows[1] == ["Aangemeld", str(then["registered"])]

    year = then["school_year"]
    first = int(year[:4])
    page.get_by_label("Vergelijken met").select_option(f"{first - 1}-{first}")
    page.get_by_role("button", name="Cijfers tonen").click()
    expect(page.get_by_role("heading", name="Schooljaren naast elkaar")).to_be_visible()
    assert_accessible(page)
    screenshot(page, api, "dashboard-compare")


def test_bad_choices_are_named_beside_their_fields_and_the_page_still_draws(
    page: Page, api: Api
) -> None:
    sign_in(page, api, web_user(api, Role.AUDITOR))
    page.goto(api.server.url + "/dashboard?day=2999-01-01&region=atlantis")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#day-error")).to_have_text("Kies een dag tot en met vandaag")
    expect(page.locator("#region-error")).to_have_text("Kies een bestaande regio")
    expect(page.locator("#moment")).to_contain_text("Nu:")
    assert_accessible(page)


def test_a_consultant_may_not_see_the_dashboard(page: Page, api: Api) -> None:
    sign_in(page, api, web_user(api, Role.CONSULTANT, api.add_consultant().id))
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    answer = page.goto(api.server.url + "/dashboard")
    assert answer is not None
    assert answer.status == 403
    answer = page.goto(api.server.url + "/dashboard/funnel.csv")
    assert answer is not None
    assert answer.status == 403
