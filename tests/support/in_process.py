"""Dossier's application in the test's own process, driven by ordinary sync
``httpx.Client``s: no server process, no port, no sockets.

The app is dossier.serve.build_app, the service's real composition root. It runs
on one event loop in a thread of its own (an anyio blocking portal), as under
uvicorn, with its lifespan entered there, so the projection host it starts feeds
the read models. Each request a client sends goes to httpx.ASGITransport on that
loop. httpx's own ASGITransport serves only async clients; starlette's
TestClient would serve sync ones but runs the lifespan once per client it is
entered for, while the tests want several clients (one per role) on one app.

What a real server adds (its limits on request heads, bodies arriving in
pieces, connections, processes and signals) stays in tests/e2e/.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from dossier.serve import build_app
from dossier.settings import Settings
from tests.support.http_api import ClientFactory, Service, staff_tokens

BASE_URL = "http://dossier.test"


class InProcessTransport(httpx.BaseTransport):
    """A sync transport that hands each request to the app on the portal's loop."""

    def __init__(self, portal: BlockingPortal, app: ASGIApp) -> None:
        self._portal = portal
        # A failing app answers as a server would (500), rather than raising here.
        self._asgi = httpx.ASGITransport(app, raise_app_exceptions=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the async transport can stream
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        answer = await self._asgi.handle_async_request(request)
        content = await answer.aread()
        return httpx.Response(
            answer.status_code,
            headers=answer.headers,
            content=content,
            extensions=answer.extensions,
        )


@contextmanager
def running(settings: Settings) -> Iterator[tuple[Service, ClientFactory]]:
    """The app on ``settings``, its lifespan entered: its users (staff tokens made
    as for a real server) and a factory for clients that talk to it. The
    lifespan ends, and the app's stores close, when the block does."""
    tokens = staff_tokens(settings)
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        app = build_app(settings)
        stack.enter_context(
            portal.wrap_async_context_manager(app.router.lifespan_context(app))
        )
        transport = InProcessTransport(portal, app)
        connect: ClientFactory = partial(httpx.Client, transport=transport)
        yield Service(BASE_URL, settings, tokens), connect
