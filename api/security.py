"""Headers every answer carries: no caching of personal data, no sniffing, a CSP.

Every API answer may hold personal data (a case, a list with pupils' names), so
all are ``Cache-Control: no-store`` unless a route set its own. The
Content-Security-Policy allows no inline script and nothing from elsewhere, on
every answer: the interactive API docs (/docs) included, whose Swagger UI is
served from the package with its start-up in a file (api/docs.py).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Cache-Control", "no-store")
                headers["X-Content-Type-Options"] = "nosniff"
                # Nothing to other sites; same-origin (not no-referrer) so
                # browsers send the Origin the pages' CSRF check compares.
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY"
                headers["Content-Security-Policy"] = CSP
            await send(message)

        await self.app(scope, receive, sending)
