"""A fuzzing harness of our own for the parsers of untrusted input (beside the
schemathesis run over HTTP): whatever text arrives, each parser gives a value
within its range or its own declared refusal, never another exception."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from api.limits import _declared_length
from api.params import EARLIEST, LATEST, _rfc3339, moment
from api.problems import Problem
from api.routers.case_commands import expected_version

# Text as clients send it: any code point (surrogates and NUL included), and
# texts made of the characters the grammars are about, so the search gets near.
ANY_TEXT = st.text(st.characters(codec=None, min_codepoint=0), max_size=60)
DIGITISH = st.text(st.sampled_from('0123456789²¹٣"W/ -+:.TZz'), max_size=40)


@given(st.one_of(ANY_TEXT, DIGITISH))
@example('"²"')
@example('"' + "9" * 5_000 + '"')
@example('W/"12"')
def test_an_if_match_is_a_version_or_a_412(tag: str) -> None:
    try:
        version = expected_version(tag)
    except Problem as problem:
        refused = problem.status
    else:
        refused = None
    if refused is not None:
        assert refused == 412
        return
    assert version is not None
    assert 0 <= version < 10**18
    assert str(version) in tag


MOMENTISH = st.text(st.sampled_from("0123456789-:T Zz+.٣"), max_size=40)


@given(st.one_of(ANY_TEXT, MOMENTISH, st.integers().map(str)))
@example("2026-13-01T00:00:00Z")
@example("0001-01-01T00:00:00+05:00")
@example("9999-12-31T23:59:59-23:59")
@example("2026-02-30T12:00:00+01:00")
def test_a_moment_is_an_aware_time_in_range_or_a_refusal(text: str) -> None:
    try:
        parsed = _rfc3339(text)
    except ValueError:
        return
    assert isinstance(parsed, datetime)
    try:
        checked = moment("as_of", parsed)
    except Problem as problem:
        refused = problem.status
    else:
        refused = None
    if refused is not None:
        assert refused == 422
        return
    assert checked is not None
    assert checked.tzinfo is not None
    assert EARLIEST <= checked <= LATEST


@given(st.binary(max_size=40))
@example("١٢".encode())
@example(b"9" * 5_000)
def test_a_declared_content_length_is_a_small_number_or_unknown(value: bytes) -> None:
    length = _declared_length({"headers": [(b"content-length", value)]})

    assert length is None or 0 <= length < 10**18


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("17", 17), ('"3"', 3), ('W/"3"', 3), (" 3 ", 3)],
)
def test_plain_tags_are_read_as_their_version(text: str, expected: int) -> None:
    assert expected_version(text) == expected
