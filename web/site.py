"""What every page handler needs: the API's container, the web's own stores, and
the signed-in person; and how a page is answered (HTML, headers, errors)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.container import Container
from api.reads import serving_view
from domain.history import HistoryEntry
from domain.permissions import READERS, Read
from domain.values import Actor, Role
from projections.workload import WorkloadProjection
from storage.passwords import PasswordStore
from storage.sign_in_throttle import SignInThrottle
from storage.users import User
from storage.web_sessions import SessionStore, WebSession
from web.i18n import language, translations
from web.labels import N_
from web.templating import render

SESSION_COOKIE = "dossier_session"
FORM_COOKIE = "dossier_form"  # the signed-out forms' CSRF token (double submit)
LANG_COOKIE = "dossier_lang"


@dataclass
class Site:
    container: Container
    passwords: PasswordStore
    sessions: SessionStore
    throttle: SignInThrottle
    # None: Secure cookies when the request came over https.
    secure_cookies: bool | None = None
    idle_minutes: int = 30
    extra: dict[str, Any] = field(default_factory=dict)

    def consultants(self, *, active: bool | None = None) -> list[dict[str, Any]]:
        """The consultants as the workload read model has them (with open cases
        and capacity), for the pages' choices and names."""
        view, _ = serving_view(self.container, WorkloadProjection, None)
        with self.container.db.reading() as tx:
            found: list[dict[str, Any]] = view.consultants(tx, active=active)
        return found

    def actor_names(
        self, entries: Iterable[HistoryEntry], everyone: list[dict[str, Any]]
    ) -> dict[str, str]:
        """Who each actor of ``entries`` is, by name where Dossier knows it
        (``everyone``: the consultants, as ``consultants`` gives them)."""
        names: dict[str, str] = {}
        consultants = {c["id"]: c["name"] for c in everyone}
        for entry in entries:
            actor = entry.actor
            if actor is None or actor.user_id in names:
                continue
            if actor.role == Role.CONSULTANT and actor.user_id in consultants:
                names[actor.user_id] = consultants[actor.user_id]
                continue
            user = self.container.users.get(actor.user_id)
            if user is not None:
                names[actor.user_id] = user.name
        return names


class PageError(Exception):
    """Answered with the error page of its status, in the page's language."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or "")
        self.status = status
        self.message = message


class SignInRequired(Exception):
    """A page for signed-in users only was asked for without a live session."""


async def site(request: Request) -> Site:
    found: Site = request.app.state.site
    return found


SiteDep = Annotated[Site, Depends(site)]


@dataclass(frozen=True)
class Visitor:
    """Whoever asks for a page: signed in (user and session) or not."""

    user: User | None
    session: WebSession | None
    lang: str
    form_token: str  # the CSRF token the page's forms carry
    request_id: str | None

    @property
    def actor(self) -> Actor:
        assert self.user is not None
        return self.user.actor(self.request_id)

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None

    def t(self, text: str, **values: Any) -> str:
        """``text`` (Dutch, from the catalogue) in the visitor's language."""
        translated = translations(self.lang).gettext(text)
        return translated % values if values else translated


def visitor(request: Request, here: SiteDep) -> Visitor:
    if "visitor" in request.state._state:
        found: Visitor = request.state.visitor
        return found
    token = request.cookies.get(SESSION_COOKIE, "")
    session = here.sessions.find(token) if token else None
    user = here.container.users.get(session.user_id) if session else None
    if session is not None and (user is None or not user.active):
        here.sessions.end(token)
        session, user = None, None
    if session is not None:
        lang, form_token = session.lang, session.csrf
    else:
        lang = language(request.cookies.get(LANG_COOKIE))
        form_token = request.cookies.get(FORM_COOKIE) or ""
        if not (20 <= len(form_token) <= 100 and form_token.isascii()):
            form_token = secrets.token_urlsafe(32)
    request_id = getattr(request.state, "request_id", None)
    found = Visitor(user, session, lang, form_token, request_id)
    request.state.visitor = found
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def signed_in(person: VisitorDep) -> Visitor:
    if person.user is None:
        raise SignInRequired
    return person


SignedInDep = Annotated[Visitor, Depends(signed_in)]


def secure(request: Request, here: Site) -> bool:
    if here.secure_cookies is not None:
        return here.secure_cookies
    return request.url.scheme == "https"


def page(
    request: Request,
    person: Visitor,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page answered in the visitor's language, with what every page needs."""
    html = render(
        template,
        person.lang,
        {
            "person": person,
            "csrf": person.form_token,
            "path": request.url.path,
            "request": request,
            "menu": menu(person),
            "notice": None,
            **context,
        },
    )
    response = HTMLResponse(html, status_code=status)
    if person.session is None:
        # Signed out: the forms' token rides in a cookie of its own.
        response.set_cookie(
            FORM_COOKIE,
            person.form_token,
            httponly=True,
            samesite="strict",
            secure=secure(request, request.app.state.site),
            path="/",
        )
    return response


def menu(person: Visitor) -> list[tuple[str, str]]:
    """The main menu's links for the visitor's role."""
    if person.user is None:
        return []
    items = []
    if person.role in READERS[Read.LIST_CASES]:
        items.append(("/", person.t(N_("Werkvoorraad"))))
    if person.role in (Role.INTAKE, Role.COORDINATOR):
        items.append(("/aanmelding", person.t(N_("Nieuwe aanmelding"))))
    if person.role in READERS[Read.READ_DASHBOARD]:
        items.append(("/dashboard", person.t(N_("Dashboard"))))
    if person.role in (Role.COORDINATOR, Role.ADMIN):
        items.append(("/consulenten", person.t(N_("Consulenten"))))
    if person.role in READERS[Read.READ_DESTRUCTION]:
        items.append(("/vernietiging", person.t(N_("Vernietiging"))))
    if person.role in READERS[Read.READ_AUDIT]:
        items.append(("/controle/logboek", person.t(N_("Logboek"))))
    if person.role in READERS[Read.READ_OPERATIONS]:
        items.append(("/beheer/leesmodellen", person.t(N_("Leesmodellen"))))
    return items


def redirect(url: str) -> RedirectResponse:
    """After a POST: see the result at ``url`` (a local path only)."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        url = "/"
    return RedirectResponse(url, status_code=303)
