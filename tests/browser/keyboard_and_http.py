"""Helpers of the form tests: moving by keyboard only, watching the URLs the
browser asks for, and a signed-in HTTP client that posts the pages' forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from playwright.sync_api import Page

from tests.browser.conftest import WebUser, assert_accessible
from tests.e2e.helpers import Api

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def tab_to(page: Page, element_id: str, limit: int = 12) -> None:
    """Press Tab until the element ``element_id`` has focus (a date field takes
    several presses: its day, month, year and picker)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == (
            element_id
        ):
            return
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    raise AssertionError(f"Tab never reached #{element_id} (focus on #{focused})")


def watch_urls(page: Page) -> list[str]:
    """Every URL the page requests from now on (navigation, htmx, assets)."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def form_token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@contextmanager
def signed_in_client(api: Api, user: WebUser) -> Iterator[httpx.Client]:
    """An HTTP client with ``user``'s session (signed in through the page)."""
    with httpx.Client(base_url=api.server.url, timeout=30) as client:
        token = form_token(client.get("/inloggen").text)
        answer = client.post(
            "/inloggen",
            data={"csrf_token": token, "name": user.name, "password": user.password},
        )
        assert answer.status_code == 303, answer.text
        yield client


def accessible_without_javascript(page: Page, shown: Page) -> None:
    """axe-core (which needs JavaScript) on the page ``shown`` drew without it:
    its HTML served again, at its own address, to ``page``, which runs scripts."""
    html = shown.content()
    page.route(
        shown.url, lambda route: route.fulfill(body=html, content_type="text/html")
    )
    page.goto(shown.url)
    assert_accessible(page)
    page.unroute(shown.url)
