"""The paging cursor: what it hands out comes back the same, and whatever else a
client sends is a BadCursor, never an error from Python's or a database's edges."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.cursors import (
    INT64_MAX,
    INT64_MIN,
    BadCursor,
    decode_cursor,
    decode_sequence,
    encode_cursor,
)


def opaque(value: Any) -> str:
    """A cursor made the way the service makes one, from any JSON value."""
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_cursor_handed_out_decodes_to_what_it_was_made_from() -> None:
    cursor = encode_cursor(1767225600.25, "5b8e0a8e-8c0e-4a53-9a43-1f2b3c4d5e6f")

    assert decode_cursor(cursor) == (
        1767225600.25,
        "5b8e0a8e-8c0e-4a53-9a43-1f2b3c4d5e6f",
    )


@pytest.mark.parametrize(
    "value",
    [
        [1, "\u0000"],  # PostgreSQL refuses a NUL in text
        [1, "a\u0000b"],
        [1, "\ud800"],  # a lone surrogate: no store can encode it
        [1, "x\udfff"],
        [2**63, "x"],  # past signed 64-bit
        [-(2**63) - 1, "x"],
        [10**400, "x"],  # float() of it overflows
        [True, "x"],  # a boolean is not a moment
        ["1", "x"],
        [None, "x"],
        [1, 2],
        [1, None],
        [1, ["x"]],
        [1, "x" * 201],
        [1],
        [1, "x", "y"],
        {"at": 1, "key": "x"},
        "x",
        7,
        None,
    ],
)
def test_a_cursor_of_the_wrong_shape_or_range_is_a_bad_cursor(value: Any) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(opaque(value))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_moment_that_is_not_a_finite_number_is_a_bad_cursor(literal: str) -> None:
    raw = f'[{literal}, "x"]'.encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    with pytest.raises(BadCursor):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "!!!!",
        "WzEsICJ4Il0+",  # '+' is not in the URL-safe alphabet
        "é",
        "A",  # one character is never base64
        base64.urlsafe_b64encode(b"\xff\xfe[1]").decode(),  # not UTF-8
        base64.urlsafe_b64encode(b"[" * 300 + b"]" * 300).decode(),
        "A" * 501,
    ],
)
def test_what_is_not_base64_json_is_a_bad_cursor(cursor: str) -> None:
    with pytest.raises(BadCursor):
        decode_cursor(cursor)


def test_the_ends_of_signed_64_bit_are_still_moments() -> None:
    assert decode_cursor(opaque([INT64_MAX, "x"]))[0] == float(INT64_MAX)
    assert decode_cursor(opaque([INT64_MIN, "x"]))[0] == float(INT64_MIN)


def test_a_padded_cursor_decodes_as_the_unpadded_one() -> None:
    cursor = encode_cursor(1.5, "ab")

    assert decode_cursor(cursor + "=" * (-len(cursor) % 4)) == (1.5, "ab")


@pytest.mark.parametrize(
    "text", ["", "-1", "1.5", " 1", "²", "\u0661", "9" * 20, str(INT64_MAX + 1)]
)
def test_a_sequence_number_is_ascii_digits_within_signed_64_bit(text: str) -> None:
    with pytest.raises(BadCursor):
        decode_sequence(text)


def test_a_sequence_number_decodes_up_to_the_largest_int64() -> None:
    assert decode_sequence("0") == 0
    assert decode_sequence(str(INT64_MAX)) == INT64_MAX


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    # (keys handed out are case ids or "c:<position>"; any 20 characters fit
    # in the longest cursor taken, even written as JSON escapes)
    st.text(max_size=20).filter(lambda s: "\x00" not in s),
)
def test_every_cursor_handed_out_comes_back_the_same(at: float, key: str) -> None:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return  # (never handed out: no stored key holds a lone surrogate)
    assert decode_cursor(encode_cursor(at, key)) == (at, key)


def decodes_to_a_valid_cursor_or_is_a_bad_cursor(cursor: str) -> None:
    try:
        at, key = decode_cursor(cursor)
    except BadCursor:
        return
    assert type(at) is float
    assert math.isfinite(at)
    assert type(key) is str
    assert "\x00" not in key
    key.encode("utf-8")  # (no lone surrogate)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@given(JSON)
def test_any_json_decodes_to_a_valid_cursor_or_is_a_bad_cursor(value: Any) -> None:
    try:
        cursor = opaque(value)
    except (ValueError, OverflowError):
        return  # (json cannot write it)
    decodes_to_a_valid_cursor_or_is_a_bad_cursor(cursor)


@given(st.text(max_size=600))
def test_any_text_decodes_to_a_valid_cursor_or_is_a_bad_cursor(text: str) -> None:
    decodes_to_a_valid_cursor_or_is_a_bad_cursor(text)
