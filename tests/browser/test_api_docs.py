"""The API's interactive docs work offline and under the same
Content-Security-Policy as every other answer."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser

from tests.e2e.helpers import Api


def test_the_api_docs_load_from_the_package_with_the_csp_enforced(
    browser: Browser, api: Api
) -> None:
    context = browser.new_context()  # no bypass: the page's own CSP applies
    try:
        page = context.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith(api.server.url) else outside.append(r.url)
            ),
        )
        problems: list[str] = []
        page.on(
            "console", lambda m: problems.append(m.text) if m.type == "error" else None
        )
        page.goto(api.server.url + "/docs")
        page.wait_for_selector(".opblock")

        assert page.locator(".opblock").count() >= 20
        assert [u for u in outside if not u.startswith("data:")] == []
        assert problems == []
    finally:
        context.close()
    answer = httpx.get(api.server.url + "/docs")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
