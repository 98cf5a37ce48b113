"""W3C Trace Context for each request: the trace it belongs to (taken from a
valid ``traceparent`` header, else new), a span id of its own, and when it
started; stored with every access it logs (Logboek Dataverwerkingen)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

TRACEPARENT = re.compile(
    r"^(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})"
    r"-(?P<flags>[0-9a-f]{2})(?P<tail>-.*)?$"
)
INVALID_TRACE = "0" * 32
INVALID_SPAN = "0" * 16


@dataclass(frozen=True)
class TraceContext:
    """A request's place in a trace: trace id (32 hex), its own span id (16 hex),
    the caller's span id if it sent one, the trace flags and the start."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    flags: str
    started_at: datetime

    def traceparent(self) -> str:
        """The header that names this request's span, for the answer."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(header: str | None) -> tuple[str, str, str] | None:
    """The trace id, parent span id and flags of a valid ``traceparent`` header
    (W3C Trace Context, level 1); None for a missing or invalid one, which
    the recommendation says to ignore (a new trace is started)."""
    if not header:
        return None
    found = TRACEPARENT.match(header.strip())
    if found is None:
        return None
    version = found["version"]
    # Version 00 has exactly four fields; a later version may add more.
    if version == "ff" or (version == "00" and found["tail"]):
        return None
    if found["trace"] == INVALID_TRACE or found["parent"] == INVALID_SPAN:
        return None
    return found["trace"], found["parent"], found["flags"]


def trace_for(header: str | None, started_at: datetime) -> TraceContext:
    """The request's trace context: the caller's trace, or a new one."""
    given = parse_traceparent(header)
    span = secrets.token_hex(8)
    if given is None:
        return TraceContext(secrets.token_hex(16), span, None, "00", started_at)
    trace, parent, flags = given
    return TraceContext(trace, span, parent, flags, started_at)
