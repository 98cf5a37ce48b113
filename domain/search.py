"""Finding a case by its pupil's name without keeping the name: a blind index of words.

A name is cut into words (letters and digits, accents folded, case ignored);
each word is kept only as an HMAC-SHA256 under a secret that is not in the
database. A search hashes its words the same way and finds the cases that have
all of them, so a search matches whole words ("sanne" and "vries" find
"Sanne de Vries", "san" does not). Without the secret the hashes say nothing;
at erasure a case's hashes are deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
# Words a search may hold, and how long each may be: a bound on the work.
MAX_WORDS = 8
MAX_WORD_LENGTH = 60


def name_words(name: str) -> set[str]:
    """The words of a name as the index keeps them: accents folded, lower case."""
    folded = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return {w[:MAX_WORD_LENGTH] for w in _WORD.findall(plain)}


def blind(secret: bytes, word: str) -> str:
    """A word as the index stores it (hex, 128 bits of the HMAC)."""
    return hmac.new(secret, word.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def blind_words(secret: bytes, text: str) -> list[str]:
    """The blind index entries of ``text``'s words (at most MAX_WORDS), sorted."""
    return sorted(blind(secret, w) for w in name_words(text))[:MAX_WORDS]
