"""Crypto-shredding: personal data in events is sealed under its case's own key.

Each case has a random 256-bit AES-GCM key kept in a key table (the KeyRing,
implemented per store). Every ``Personal`` value in an event or a snapshot is
encrypted under the key of the aggregate it belongs to, with the aggregate id
as associated data, so a sealed value cannot be moved to another case. Erasing
a case's personal data destroys its key: the events stay, their personal
values can no longer be read and load as ``ERASED``, and everything else
(dates, categories, statuses, outcomes) still replays.
"""

from __future__ import annotations

import base64
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from domain.values import ERASED, Personal

NONCE_BYTES = 12


class KeyRing(ABC):
    """The per-case keys. Implemented by each store, in the events' database,
    where they are kept wrapped under a key-encryption key held outside it."""

    @abstractmethod
    def key_for(self, case_id: UUID) -> bytes | None:
        """The case's key; None when it was destroyed (or never made)."""

    @abstractmethod
    def destroy(self, case_id: UUID) -> None:
        """Destroy the case's key for good."""

    def destroy_many(self, case_ids: list[UUID]) -> None:
        """Destroy these cases' keys for good (a store may do it in one go)."""
        for case_id in case_ids:
            self.destroy(case_id)

    @abstractmethod
    def stored(self, keys: dict[UUID, bytes]) -> dict[UUID, Any]:
        """New cases' keys as the store keeps them (wrapped), for the recorder
        to insert beside the cases' first events."""

    def search_secret(self) -> bytes:
        """The secret of the pupil-name blind index (domain.search), kept
        outside the database as the keys' own wrapping keys are."""
        raise NotImplementedError

    def prefetch(self, case_ids: set[UUID]) -> None:
        """Read many cases' keys at once into the current KeyScope (if any),
        before opening a batch of their events."""

    @staticmethod
    def new_key() -> bytes:
        return AESGCM.generate_key(bit_length=256)


# The keys read within the current KeyScope; None outside one.
_scope: ContextVar[dict[UUID, bytes | None] | None] = ContextVar(
    "key_scope", default=None
)


class KeyScope:
    """A unit of work (one load of a case, one projection batch) in which each
    case's key is read from the store once. Keys are kept nowhere else: none
    outlives the read that needed it, so an erasure holds at once in every
    process. Scopes nest: an inner one uses the outer's keys."""

    def __enter__(self) -> None:
        self._token = _scope.set({}) if _scope.get() is None else None

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _scope.reset(self._token)


def scoped_keys() -> dict[UUID, bytes | None] | None:
    """The current KeyScope's keys (to read from and fill), None outside one."""
    return _scope.get()


# Read models keep personal values sealed under the case's key too, so that an
# erasure (the key destroyed) also shreds every copy in them and their old rows.
READ_MODEL_AAD = b":read-model"
SEALED_TEXT = "sealed:"
# A read model's copy of a value exactly as its event sealed it (the event's
# associated data: the case id alone), kept without being opened.
SEALED_EVENT_TEXT = "sealed-event:"


class TextSealer:
    """Seals and opens one case's read-model text: its AES-GCM cipher made once
    (for a batch of values) instead of once per value."""

    def __init__(self, key: bytes, case_id: UUID) -> None:
        self._cipher = AESGCM(key)
        self._aad = case_id.bytes + READ_MODEL_AAD

    def seal(self, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._cipher.encrypt(nonce, text.encode("utf-8"), self._aad)
        return SEALED_TEXT + base64.b64encode(sealed).decode("ascii")

    def open(self, stored: str) -> str:
        """A value ``seal`` made (``SEALED_TEXT``), or one kept as its event
        sealed it (``SEALED_EVENT_TEXT``: JSON text), opened."""
        if stored.startswith(SEALED_EVENT_TEXT):
            sealed = base64.b64decode(stored[len(SEALED_EVENT_TEXT) :])
            aad = self._aad[: -len(READ_MODEL_AAD)]  # the case id alone
        else:
            sealed = base64.b64decode(stored[len(SEALED_TEXT) :])
            aad = self._aad
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._cipher.decrypt(nonce, ciphertext, aad).decode("utf-8")


def is_sealed_text(value: Any) -> bool:
    """Whether a read model's value is sealed: one that ``seal_text`` made, or
    one kept as its event sealed it."""
    return isinstance(value, str) and value.startswith((SEALED_TEXT, SEALED_EVENT_TEXT))


def seal_text(key: bytes, case_id: UUID, text: str) -> str:
    """``text`` sealed for a read model's column (AES-GCM under the case key)."""
    return TextSealer(key, case_id).seal(text)


def open_text(key: bytes | None, case_id: UUID, stored: str | None) -> str | None:
    """A read model's sealed column opened; None when empty or the key is gone.
    A row from before sealing (plain text) reads as it is until a rebuild."""
    if stored is None or not stored.startswith(SEALED_TEXT):
        return stored
    if key is None:
        return None
    return TextSealer(key, case_id).open(stored)


class KeyMissing(Exception):
    """Personal data was to be sealed for a case that has no key."""


# The aggregate whose event is being (de)serialised, set by the SealingMapper.
_current_case: ContextVar[UUID | None] = ContextVar("sealing_case", default=None)
# Keys made for cases being registered, before their row is committed.
_pending_keys: ContextVar[dict[UUID, bytes] | None] = ContextVar(
    "pending_keys", default=None
)


# False while decoding for a reader that needs no personal data: values stay sealed.
_opening: ContextVar[bool] = ContextVar("opening_personal_data", default=True)
# The ciphers opened while the SealingMapper decodes one stored event (a snapshot
# holds thousands of personal values): its case's key is read and its AES-GCM
# cipher made once per event, not once per value. None outside a decode.
_ciphers: ContextVar[dict[UUID, AESGCM | None] | None] = ContextVar(
    "sealing_ciphers", default=None
)


class LeftSealed:
    """Decode without opening personal data (no key read, nothing decrypted):
    for read models that hold none. Personal values then read as empty."""

    def __enter__(self) -> None:
        self._token = _opening.set(False)

    def __exit__(self, *exc: object) -> None:
        _opening.reset(self._token)


# True while decoding for a reader that opens only the values it shows.
_deferring: ContextVar[bool] = ContextVar("opening_deferred", default=False)


class SealedBatch:
    """The personal values of one snapshot, sealed together as one value
    (domain.sealing_mapper): while one is current, ``SealedPersonal`` writes
    each value's place in it instead of a ciphertext of its own, and reads the
    value back from it. ``values`` None: the batch could not be opened (the
    case's key is gone: every value reads as erased)."""

    def __init__(self, values: list[Any] | None = None) -> None:
        self.values = values

    def add(self, value: Any) -> int:
        assert self.values is not None
        self.values.append(value)
        return len(self.values) - 1


_batch: ContextVar[SealedBatch | None] = ContextVar("sealed_batch", default=None)


class OpenedWhenRead:
    """Decode leaving each personal value sealed (``Unopened``) until it is read:
    for a page that shows a few of a long case's thousands of values. Read them
    inside a ``KeyScope``, or each value read reads the key again."""

    def __enter__(self) -> None:
        self._token = _deferring.set(True)

    def __exit__(self, *exc: object) -> None:
        _deferring.reset(self._token)


class Unopened(Personal):
    """A personal value still sealed: opened each time it is read, with its
    case's key as the store has it then (from the current ``KeyScope``, if
    any), so that it reads as erased once the key is destroyed. It keeps
    nothing opened: it may outlive the read that made it."""

    _sealed: str
    _case_id: UUID
    _opener: SealedPersonal

    def __init__(self, sealed: str, case_id: UUID, opener: SealedPersonal) -> None:
        object.__setattr__(self, "_sealed", sealed)
        object.__setattr__(self, "_case_id", case_id)
        object.__setattr__(self, "_opener", opener)

    def opened(self) -> Personal:
        """The value as a plain ``Personal`` (``ERASED`` once the key is gone)."""
        return self._opener.open(self._case_id, self._sealed)

    @property
    def value(self) -> Any:
        return self.opened().value

    @property
    def erased(self) -> bool:
        return self.opened().erased

    def get(self, key: str | None = None) -> Any:
        return self.opened().get(key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Personal):
            return NotImplemented
        mine = self.opened()
        theirs = other.opened() if isinstance(other, Unopened) else other
        return (mine.value, mine.erased) == (theirs.value, theirs.erased)

    def __hash__(self) -> int:
        return hash(self.opened())

    def __repr__(self) -> str:
        return "Unopened(...)"

    @property
    def sealed(self) -> str:
        """The value as the event stores it (base64 of nonce and ciphertext,
        under the case key with the case id as associated data): what a read
        model may keep without opening it (``SEALED_EVENT_TEXT``)."""
        return self._sealed


class PendingKeys:
    """Context in which new cases' keys are visible to the mapper before commit."""

    def __init__(self, keys: dict[UUID, bytes]) -> None:
        self.keys = keys

    def __enter__(self) -> dict[UUID, bytes]:
        self._token = _pending_keys.set(self.keys)
        return self.keys

    def __exit__(self, *exc: object) -> None:
        _pending_keys.reset(self._token)


class SealedPersonal(Transcoding):
    """Encodes ``Personal`` values as AES-GCM ciphertext under the case's key."""

    type = Personal
    name = "personal"

    def __init__(self, keyring: Callable[[], KeyRing]) -> None:
        self._keyring = keyring

    def key(self, case_id: UUID) -> bytes | None:
        """The case's key (one being registered included); None when erased."""
        pending = _pending_keys.get()
        if pending and case_id in pending:
            return pending[case_id]
        return self._keyring().key_for(case_id)

    def encode(self, obj: Personal) -> dict[str, Any]:
        if obj.erased:
            return {"erased": True}
        if obj.value is None:
            return {"none": True}
        batch = _batch.get()
        if batch is not None:
            return {"at": batch.add(obj.value)}
        case_id = _current_case.get()
        if case_id is None:
            raise KeyMissing("personal data outside an aggregate's event")
        key = self.key(case_id)
        if key is None:
            raise KeyMissing(f"no key for aggregate {case_id}")
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(obj.value, ensure_ascii=False).encode("utf-8")
        sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, case_id.bytes)
        return {"sealed": base64.b64encode(sealed).decode("ascii")}

    def decode(self, data: dict[str, Any]) -> Personal:
        if data.get("none"):
            return Personal(None)
        if "at" in data:  # a value of the snapshot's sealed batch
            if not _opening.get():
                return Personal(None)
            batch = _batch.get()
            if batch is None or batch.values is None:
                return ERASED
            return Personal(batch.values[data["at"]])
        if "sealed" not in data:
            return ERASED
        if not _opening.get():
            return Personal(None)
        case_id = _current_case.get()
        if case_id is None:
            return ERASED
        if _deferring.get():
            return Unopened(data["sealed"], case_id, self)
        return self._opened(self._cipher(case_id), case_id, data["sealed"])

    def open(self, case_id: UUID, sealed: str) -> Personal:
        """One sealed value opened with the case's key as it is now."""
        key = self.key(case_id)
        return self._opened(None if key is None else AESGCM(key), case_id, sealed)

    @staticmethod
    def _opened(cipher: AESGCM | None, case_id: UUID, stored: str) -> Personal:
        if cipher is None:
            return ERASED
        sealed = base64.b64decode(stored)
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        plaintext = cipher.decrypt(nonce, ciphertext, case_id.bytes)
        return Personal(json.loads(plaintext.decode("utf-8")))

    def _cipher(self, case_id: UUID) -> AESGCM | None:
        """The case's cipher (None: no key), made once per stored event."""
        ciphers = _ciphers.get()
        if ciphers is not None and case_id in ciphers:
            return ciphers[case_id]
        key = self.key(case_id)
        cipher = None if key is None else AESGCM(key)
        if ciphers is not None:
            ciphers[case_id] = cipher
        return cipher


@contextmanager
def mapping(case_id: UUID, batch: SealedBatch | None = None) -> Iterator[None]:
    """While a mapper (de)serialises one stored event or snapshot of ``case_id``:
    the key its values are sealed under, one cipher for the whole event, and
    the snapshot's sealed batch, if any."""
    case = _current_case.set(case_id)
    ciphers = _ciphers.set({})
    batched = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(batched)
        _ciphers.reset(ciphers)
        _current_case.reset(case)


def opening() -> bool:
    """False inside ``LeftSealed``: no personal value is to be opened."""
    return _opening.get()
