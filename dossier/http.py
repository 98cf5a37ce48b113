"""uvicorn's HTTP/1.1 protocol with a deadline on each request's head.

uvicorn holds a connection that sends its request line and headers slowly (or
never) for as long as the client likes: 250 such connections take every slot
of ``limit_concurrency`` and the service answers no one else. This protocol
gives each request's head ``header_seconds`` from the moment the connection
opens, or the previous response ends, to arrive whole; otherwise it closes the
connection. The body has its own deadline (api.limits.BodyLimit).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("dossier.http")


class HeadDeadlineProtocol(H11Protocol):
    """H11Protocol whose request heads must arrive within ``header_seconds``."""

    header_seconds: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_head() is False:
            self._disarm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting_for_head():
            self._arm_head_deadline()

    def _waiting_for_head(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(
            self.header_seconds, self._head_too_slow
        )

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self._waiting_for_head():
            # Nothing of what the client sent is logged.
            log.info("closed a connection whose request head did not arrive in time")
            self.transport.close()
