"""The audit trail's personal values kept sealed under their case's key, so that an
erasure (the key destroyed) shreds every copy in its tables and their old rows.

A personal value is kept exactly as its event sealed it (``sealed-event:``, the
event's own AES-GCM ciphertext under the case key: never opened by the
projection, so a rebuild decrypts and encrypts nothing), or, when it came
opened, sealed with domain.sealing's read-model sealing. An entry's ``changes`` lists
under ``"sealed"`` the fields whose old or new value is sealed; a case's state
knows its personal fields. Readers open the values with the case's key
(``open_changes``, ``open_state``) or leave them out (``withhold_changes``);
with the key destroyed they read as null.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag

from domain.sealing import (
    SEALED_EVENT_TEXT,
    KeyRing,
    KeyScope,
    TextSealer,
    Unopened,
    is_sealed_text,
)
from projections.audit_entries import json_text

# In an entry's changes: the fields whose values are sealed.
SEALED_FIELDS = "sealed"


class Sealers:
    """Each case's TextSealer for a unit of work (None: its key is gone), made
    once from the case's key; forgotten with the unit of work."""

    def __init__(self, key_for: Callable[[UUID], bytes | None]) -> None:
        self._key_for = key_for
        self._sealers: dict[str, TextSealer | None] = {}

    def _sealer(self, case_id: str) -> TextSealer | None:
        if case_id not in self._sealers:
            key = self._key_for(UUID(case_id))
            self._sealers[case_id] = (
                None if key is None else TextSealer(key, UUID(case_id))
            )
        return self._sealers[case_id]

    def keep(self, case_id: str, value: Unopened) -> str | None:
        """A value still sealed as its event sealed it, kept so without being
        opened; None when the case's key is gone (it reads as erased)."""
        if self._sealer(case_id) is None:
            return None
        return SEALED_EVENT_TEXT + value.sealed

    def seal(self, case_id: str, value: Any) -> str | None:
        """``value`` (not None) sealed; None when the case's key is gone."""
        sealer = self._sealer(case_id)
        return None if sealer is None else sealer.seal(json_text(value))

    def open(self, case_id: str, stored: Any) -> Any:
        """A sealed value opened (None when the key is gone or it does not open);
        any other value as it is (a row from before sealing)."""
        if not is_sealed_text(stored):
            return stored
        sealer = self._sealer(case_id)
        if sealer is None:
            return None
        try:
            return json.loads(sealer.open(stored))
        except (InvalidTag, binascii.Error, ValueError):
            return None


def sealed_fields(changes: dict[str, Any], personal: Iterable[str]) -> list[str]:
    """The personal fields whose old or new value in ``changes`` is sealed."""
    old, new = changes.get("old") or {}, changes.get("new") or {}
    return sorted(
        k
        for k in (old.keys() | new.keys()) & set(personal)
        if is_sealed_text(old.get(k)) or is_sealed_text(new.get(k))
    )


def open_changes(changes: dict[str, Any], case_id: str, sealers: Sealers) -> bool:
    """Open an entry's sealed values in place (the ``sealed`` list dropped);
    whether any personal value was opened."""
    opened = False
    for key in changes.pop(SEALED_FIELDS, None) or ():
        for side in ("old", "new"):
            values = changes.get(side) or {}
            if key in values:
                values[key] = sealers.open(case_id, values[key])
                opened = opened or values[key] is not None
    return opened


def withhold_changes(changes: dict[str, Any]) -> None:
    """Null an entry's sealed values in place, for readers that show field names
    only and so need no key (the ``sealed`` list dropped)."""
    for key in changes.pop(SEALED_FIELDS, None) or ():
        for side in ("old", "new"):
            values = changes.get(side) or {}
            if key in values:
                values[key] = None


def open_state(
    values: dict[str, Any], personal: Iterable[str], case_id: str, sealers: Sealers
) -> None:
    """Open a case state's sealed personal values in place."""
    for key in personal:
        if key in values:
            values[key] = sealers.open(case_id, values[key])


def open_trail(items: list[dict[str, Any]], keyring: KeyRing) -> list[UUID]:
    """Open the sealed values of the trail items' changes in place, each case's
    key read once; the cases whose personal values were opened (for the caller
    to log as reads)."""
    changed = [i for i in items if i["changes"] is not None and i["case_id"]]
    opened: set[UUID] = set()
    with KeyScope():
        keyring.prefetch({UUID(i["case_id"]) for i in changed})
        sealers = Sealers(keyring.key_for)
        for item in changed:
            if open_changes(item["changes"], item["case_id"], sealers):
                opened.add(UUID(item["case_id"]))
    return sorted(opened)
