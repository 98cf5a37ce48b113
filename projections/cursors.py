"""The paging cursor: where a page ended, opaque to clients, checked when it comes back.

A cursor is a moment (epoch seconds) and a key that orders rows within that
moment, as JSON in unpadded URL-safe base64. Clients only hand back what they
were given, but anything may arrive: decoding accepts exactly a two-item list of
a finite number within signed 64-bit range and a short string that either store
can hold (no NUL, valid UTF-8: no lone surrogates), and everything else is a
``BadCursor``, never an error from Python's or a database's edge cases.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

# No cursor handed out comes near this; the API refuses longer ones before.
MAX_CURSOR_LENGTH = 500
MAX_KEY_LENGTH = 200
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
# A sequence number in a key, such as the 17 of "c:17": ASCII digits only.
_DIGITS = re.compile(r"[0-9]{1,19}")


class BadCursor(ValueError):
    """The cursor was not one this service handed out."""


def encode_cursor(at: float, key: str) -> str:
    raw = json.dumps([at, key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """The moment and key of a cursor handed out by ``encode_cursor``."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor("cursor is not valid")
    if not _BASE64URL.fullmatch(cursor):
        raise BadCursor("cursor is not valid")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, binascii.Error, RecursionError) as error:
        raise BadCursor("cursor is not valid") from error
    if not (isinstance(value, list) and len(value) == 2):
        raise BadCursor("cursor is not valid")
    at, key = value
    return _moment(at), _key(key)


def decode_sequence(text: str) -> int:
    """A sequence number within a cursor's key: ASCII digits, in signed 64-bit."""
    if not _DIGITS.fullmatch(text) or int(text) > INT64_MAX:
        raise BadCursor("cursor is not valid")
    return int(text)


def _moment(value: Any) -> float:
    # bool is an int to Python, not a number here.
    if type(value) is int:
        if not INT64_MIN <= value <= INT64_MAX:
            raise BadCursor("cursor is not valid")
        return float(value)
    if type(value) is float and math.isfinite(value):
        return value
    raise BadCursor("cursor is not valid")


def _key(value: Any) -> str:
    if type(value) is not str or len(value) > MAX_KEY_LENGTH or "\x00" in value:
        raise BadCursor("cursor is not valid")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate
        raise BadCursor("cursor is not valid") from error
    return value
