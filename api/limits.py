"""Bounds on request bodies, enforced while reading: 413 before memory grows,
408 when the body does not arrive in time.

A declared Content-Length over the limit is refused before a byte is read; a
body without one (chunked) is counted as it arrives and refused the moment it
passes the limit, so four clients sending 50 MB at once cost no more memory
than four small requests. A body that trickles in is given ``body_seconds``
in all, from the request's start, then answered 408. (FastAPI's own
``max_body_size`` answers outside our problem handler, in another format:
hence this.)
"""

from __future__ import annotations

import asyncio
import time

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


class BodyTooSlow(HTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            f"the request body did not arrive within {seconds:g} seconds",
            {"Connection": "close"},
        )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if text.isascii() and text.isdigit() and len(text) <= 18:
                return int(text)
            return None
    return None


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, body_seconds: float = 30.0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_seconds = body_seconds

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
        complete = False
        deadline = time.monotonic() + self.body_seconds

        async def counting() -> Message:
            nonlocal received, complete
            if complete:  # afterwards only the disconnect is awaited: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.body_seconds) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, counting, send)


def _loop_time(monotonic_deadline: float) -> float:
    """A time.monotonic() deadline on the running loop's clock."""
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())
