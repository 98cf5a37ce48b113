"""A bound on request bodies, enforced while reading: 413 before memory grows.

A declared Content-Length over the limit is refused before a byte is read; a
body without one (chunked) is counted as it arrives and refused the moment it
passes the limit, so four clients sending 50 MB at once cost no more memory
than four small requests. (FastAPI's own ``max_body_size`` answers outside our
problem handler, in another format: hence this.)
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response


def too_large_detail(max_bytes: int) -> str:
    return f"a request body may hold at most {max_bytes} bytes"


class BodyTooLarge(HTTPException):
    """The body passed the limit while it was read: FastAPI passes an
    HTTPException raised while it reads the body on to the problem handler."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, too_large_detail(max_bytes), {"Connection": "close"})


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if text.isascii() and text.isdigit() and len(text) <= 18:
                return int(text)
            return None
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            refusal = problem_response(
                413,
                "body-too-large",
                "Request body too large",
                too_large_detail(self.max_bytes),
                headers={"Connection": "close"},
            )
            await refusal(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting, send)
