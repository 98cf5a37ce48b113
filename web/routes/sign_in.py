"""Signing in and out, and choosing the language."""

from __future__ import annotations

import math

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storage.sign_in_throttle import address_subject, user_subject
from web.forms import FormDep
from web.i18n import LANGUAGES, language
from web.site import (
    LANG_COOKIE,
    SESSION_COOKIE,
    SiteDep,
    VisitorDep,
    page,
    redirect,
    secure,
)

router = APIRouter(include_in_schema=False)
log = structlog.get_logger("dossier.web")


@router.get("/inloggen", response_class=HTMLResponse)
def sign_in_page(request: Request, person: VisitorDep) -> Response:
    if person.user is not None:
        return redirect("/")
    return page(request, person, "sign_in.html", error=None, name="")


@router.post("/inloggen", response_class=HTMLResponse)
def sign_in(
    request: Request, person: VisitorDep, here: SiteDep, form: FormDep
) -> Response:
    name, password = form.text("name"), form.data.get("password")
    if not isinstance(password, str):
        password = ""
    address = request.client.host if request.client else "unknown"
    subjects = [user_subject(name), address_subject(address)]
    wait = here.throttle.wait_seconds(subjects)
    if wait > 0:
        log.warning("sign_in_throttled")
        return page(
            request,
            person,
            "sign_in.html",
            status=429,
            error="throttled",
            wait=math.ceil(wait),
            name=name,
        )
    user = here.container.users.named(name) if name else None
    known = user is not None and user.active
    if here.passwords.verify(user.id if known and user else None, password):
        assert user is not None
        here.throttle.succeeded(subjects[0])
        token, _ = here.sessions.start(user.id, person.lang)
        log.info("signed_in", user_id=user.id, role=str(user.role))
        response = redirect("/")
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=secure(request, here),
            path="/",
        )
        return response
    here.throttle.failed(subjects)
    # Neither the name typed nor the password: only whether the name was known.
    log.warning("sign_in_failed", known_user=known)
    return page(request, person, "sign_in.html", status=401, error="wrong", name=name)


@router.post("/uitloggen")
def sign_out(
    request: Request, person: VisitorDep, here: SiteDep, _: FormDep
) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        here.sessions.end(token)
    if person.user is not None:
        log.info("signed_out", user_id=person.user.id)
    response = redirect("/inloggen")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/taal/{lang}")
def choose_language(
    lang: str, request: Request, person: VisitorDep, here: SiteDep, terug: str = "/"
) -> RedirectResponse:
    chosen = language(lang if lang in LANGUAGES else None)
    if person.session is not None:
        here.sessions.set_lang(person.session, chosen)
    response = redirect(terug)
    response.set_cookie(
        LANG_COOKIE,
        chosen,
        httponly=True,
        samesite="lax",
        secure=secure(request, here),
        max_age=365 * 24 * 3600,
        path="/",
    )
    return response
