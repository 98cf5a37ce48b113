"""Putting the pages into the service's FastAPI app: static files, routers, and
error pages for page paths (the API's paths keep their problem+json)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from domain.errors import DossierError, NotPermitted
from web.i18n import DEFAULT_LANGUAGE, translations
from web.labels import N_
from web.routes import (
    about,
    access_overview,
    audit_trail,
    case_page,
    consultants,
    dashboard,
    destruction_lists,
    projections_status,
    queue,
    registration,
    replay,
    sign_in,
    subject_access,
)
from web.site import PageError, SignInRequired, Site, Visitor, redirect, visitor
from web.templating import render

STATIC = Path(__file__).parent / "static"
NOT_PAGES = (
    "/api/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/static/",
)

TITLES = {
    400: N_("Dit verzoek klopt niet"),
    403: N_("Geen toegang"),
    404: N_("Pagina niet gevonden"),
    405: N_("Dit kan hier niet"),
    413: N_("Te veel gegevens"),
    429: N_("Even geduld"),
    500: N_("Er ging iets mis"),
    503: N_("Dossier is even niet bereikbaar"),
}
MESSAGES = {
    400: N_("De pagina kon dit verzoek niet lezen. Ga terug en probeer het opnieuw."),
    403: N_("U hebt geen toegang tot deze pagina of deze zaak."),
    404: N_("Deze pagina bestaat niet (meer). Controleer het adres."),
    405: N_("Deze handeling is op deze pagina niet mogelijk."),
    413: N_("Het formulier bevat meer gegevens dan Dossier aanneemt."),
    429: N_("Te veel verzoeken kort na elkaar. Probeer het zo opnieuw."),
    500: N_(
        "Er ging aan onze kant iets mis. Uw laatste handeling is mogelijk niet "
        "bewaard; kijk de zaak na."
    ),
    503: N_(
        "De database is even niet bereikbaar. Probeer het over een paar seconden "
        "opnieuw; er is niets verloren gegaan."
    ),
    "csrf": N_(
        "Dit formulier is verlopen of kwam niet van Dossier. Laad de pagina "
        "opnieuw en probeer het nog eens."
    ),
}


def is_page(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return not path.startswith(NOT_PAGES)


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """The error page of ``status`` in the visitor's language (signed in or not)."""
    try:
        person: Visitor = visitor(request, request.app.state.site)
    except Exception:  # the store may be what failed: draw the page without it
        person = Visitor(None, None, DEFAULT_LANGUAGE, "", None)
    title = TITLES.get(status, TITLES[500])
    text = MESSAGES.get(message or status, MESSAGES.get(status, MESSAGES[500]))
    gettext = translations(person.lang).gettext
    html = render(
        "error.html",
        person.lang,
        {
            "person": person,
            "csrf": person.form_token,
            "path": request.url.path,
            "menu": [],
            "notice": None,
            "title": gettext(title),
            "message": gettext(text),
        },
    )
    headers = {"Retry-After": "2"} if status == 503 else None
    return Response(html, status_code=status, media_type="text/html", headers=headers)


def page_for_error(request: Request, status: int) -> Response | None:
    """For the API's last-resort middleware: a page on page paths, else None."""
    return error_page(request, status) if is_page(request.scope) else None


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def install_pages(app: FastAPI, here: Site) -> None:
    app.state.site = here
    app.state.error_page = page_for_error
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        sign_in,
        queue,
        case_page,
        registration,
        consultants,
        dashboard,
        destruction_lists,
        replay,
        audit_trail,
        access_overview,
        subject_access,
        projections_status,
        about,
    ):
        app.include_router(module.router)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, error: PageError) -> Response:
        return error_page(request, error.status, error.message)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        return redirect("/inloggen")

    # Page paths get pages, API paths the API's problems: wrap the API's handlers.
    for kind in (StarletteHTTPException, RequestValidationError, DossierError):
        api_handler = app.exception_handlers[kind]
        app.exception_handlers[kind] = _for_pages(api_handler)


def _for_pages(api_handler: Handler) -> Handler:
    async def handle(request: Request, error: Exception) -> Response:
        if not is_page(request.scope):
            answer = api_handler(request, error)
            return await answer if isinstance(answer, Awaitable) else answer
        if isinstance(error, StarletteHTTPException):
            return error_page(request, error.status_code)
        if isinstance(error, NotPermitted):
            return error_page(request, 403)
        return error_page(request, 400)

    return handle
