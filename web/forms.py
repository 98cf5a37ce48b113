"""Form bodies of the pages: read once, CSRF-checked, fields as text."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from web.site import PageError, Visitor, VisitorDep

CSRF_FIELD = "csrf_token"
MAX_FIELD_CHARS = 5_000


class Form:
    """A posted form whose CSRF token matched; ``text`` gives a field, stripped."""

    def __init__(self, data: FormData) -> None:
        self.data = data

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str):
            return ""
        return value.strip()[:MAX_FIELD_CHARS]

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.data.getlist(name) if isinstance(v, str)]

    def values(self) -> dict[str, str]:
        """Every field as typed (for drawing the form again after an error)."""
        return {k: self.text(k) for k in self.data if k != CSRF_FIELD}


def _same_origin(request: Request) -> bool:
    """A browser's Origin, when it sends one, names this host. The scheme is
    not compared: behind a TLS-terminating proxy the browser says https while
    this process sees http."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def posted_form(request: Request, person: VisitorDep) -> Form:
    data = await request.form()
    token = data.get(CSRF_FIELD)
    if not (
        isinstance(token, str)
        and _same_origin(request)
        and _token_matches(person, token)
    ):
        raise PageError(403, "csrf")
    return Form(data)


def _token_matches(person: Visitor, token: str) -> bool:
    expected = person.form_token
    return bool(expected) and secrets.compare_digest(
        token.encode("utf-8", "replace"), expected.encode()
    )


FormDep = Annotated[Form, Depends(posted_form)]
