"""Browser tests: Debian's chromium driven by Playwright against a real
`dossier serve` on each store; axe-core checks every page; screenshots of the
pages go to tests/artefacts/ (not committed)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from domain.values import Role
from dossier.bootstrap import build_read_database
from storage.passwords import PasswordStore
from storage.users import UserStore
from tests.e2e.helpers import STORES, Api, api_for
from tests.e2e.helpers import server_pool as server_pool  # the pool's fixture

CHROMIUM = os.environ.get("DOSSIER_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parents[1] / "support" / "vendor" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(__file__).parents[1] / "artefacts"
HOW_TO_PROVIDE = (
    "The browser tests need Chromium and never skip it: install Debian's package "
    "(apt-get install -y chromium; .ci/run does this) or point DOSSIER_TEST_CHROMIUM "
    "at a Chromium executable."
)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.exit(f"no Chromium at {CHROMIUM}. {HOW_TO_PROVIDE}", returncode=3)
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    yield launched
    launched.close()


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest) -> Api:
    return api_for(request)


def read_at(api: Api, path: str, position: int, seconds: float = 120) -> httpx.Response:
    """GET ``path`` (a read model's API route) once its read model has come as
    far as ``position``: the server waits a few seconds for it and answers 503
    while it is behind, so a loaded machine is asked again, up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        answer = api.client("coordinator").get(path, params={"min_position": position})
        if answer.status_code != 503 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            return answer


@dataclass(frozen=True)
class WebUser:
    name: str
    password: str
    role: Role
    consultant_id: str | None = None


class _HashOnceHasher(PasswordHasher):
    """The server's argon2id hasher (same parameters), but a password it hashed
    before is not hashed again: each PasswordStore opened hashes the same dummy
    password, and at a few tenths of a second a hash that was a third of a
    browser test's own time. Every user's own password is still hashed anew."""

    def __init__(self) -> None:
        super().__init__()
        self._hashed: dict[str | bytes, str] = {}

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        if salt is not None:
            return super().hash(password, salt=salt)
        if password not in self._hashed:
            self._hashed[password] = super().hash(password)
        return self._hashed[password]


_HASHER = _HashOnceHasher()


def web_user(api: Api, role: Role, consultant_id: str | None = None) -> WebUser:
    """A new user of ``role`` with a password, on the api's server."""
    name = f"web-{role}-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    db = build_read_database(api.server.settings)
    try:
        user, _ = UserStore(db).add(
            name,
            role,
            consultant_id=None if consultant_id is None else _uuid(consultant_id),
        )
        PasswordStore(db, hasher=_HASHER).set(user.id, password)
    finally:
        db.close()
    return WebUser(name, password, role, consultant_id)


def _uuid(text: str) -> Any:
    from uuid import UUID

    return UUID(text)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # bypass_csp only so that axe-core can be injected; the pages' own CSP is
    # asserted over HTTP in the hardening tests.
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def sign_in(page: Page, api: Api, user: WebUser) -> None:
    page.goto(api.server.url + "/inloggen")
    page.get_by_label("Gebruikersnaam").fill(user.name)
    page.get_by_label("Wachtwoord").fill(user.password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(api.server.url + "/")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        })"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def screenshot(page: Page, api: Api, name: str) -> Path:
    """Save the page as tests/artefacts/<store>-<name>.png (for people to look at)."""
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{api.store}-{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
