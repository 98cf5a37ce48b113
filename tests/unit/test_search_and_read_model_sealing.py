"""The pupil-name blind index keeps whole words, accents folded, under a secret;
read models' sealed values open only with their own case's key."""

from __future__ import annotations

from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag

from domain.sealing import KeyRing, open_text, seal_text
from domain.search import MAX_WORDS, blind, blind_words, name_words

SECRET = b"s" * 32


def test_a_name_is_cut_into_lower_case_words_with_accents_folded() -> None:
    assert name_words("Zoë  de Wit-Çelik") == {"zoe", "de", "wit", "celik"}
    assert name_words("  ") == set()


def test_a_search_hashes_its_words_as_the_index_does() -> None:
    assert blind_words(SECRET, "WIT zoë") == sorted(
        [blind(SECRET, "wit"), blind(SECRET, "zoe")]
    )
    assert blind(SECRET, "zoe") != blind(b"t" * 32, "zoe"), "keyed"
    assert "zoe" not in blind(SECRET, "zoe")


def test_a_search_holds_at_most_a_few_words() -> None:
    assert len(blind_words(SECRET, " ".join(f"w{i}" for i in range(50)))) == MAX_WORDS


def test_a_sealed_value_opens_with_its_case_s_key_only() -> None:
    case_id, other = uuid4(), uuid4()
    key = KeyRing.new_key()
    sealed = seal_text(key, case_id, "Sanne de Vries")

    assert "Sanne" not in sealed
    assert open_text(key, case_id, sealed) == "Sanne de Vries"
    assert open_text(None, case_id, sealed) is None, "the key destroyed: erased"
    with pytest.raises(InvalidTag):
        open_text(key, other, sealed)
    assert open_text(key, case_id, "Plain from before") == "Plain from before"
