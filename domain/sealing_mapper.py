"""The mapper of Dossier's stored events and snapshots: the library's JSON
mapping with each personal value sealed under its case's key (domain.sealing),
and a snapshot's personal values sealed together as one value.

A long case's snapshot holds thousands of personal values (every activity's
note); sealed one by one, opening them was most of the time a read of the case
at a past version took (one AES-GCM operation and a base64 text each). A
snapshot instead keeps each value's place in one list, and the list is sealed
once, under the case's key, with the case id and the snapshot's version as
associated data. The stored state is then ``MAGIC``, the sealed list's length
(4 bytes), the sealed list, and the JSON state; JSON states begin with ``{``,
so older snapshots, sealed value by value, still read as they are. Erasing the
case destroys its key: the list no longer opens and every value reads as
erased, as in the events.
"""

from __future__ import annotations

import json
import os
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent

from domain.sealing import (
    NONCE_BYTES,
    KeyMissing,
    SealedBatch,
    SealedPersonal,
    mapping,
    opening,
)

MAGIC = b"\x00DSS1"
LENGTH_BYTES = 4


def _aad(case_id: UUID, version: int) -> bytes:
    return case_id.bytes + int(version).to_bytes(8, "big", signed=True) + b"snapshot"


def _case_id(stored_event: StoredEvent) -> UUID:
    originator_id = stored_event.originator_id
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)


class SealingMapper(Mapper[UUID]):
    """The library's mapper, telling the sealing transcoding whose event it maps
    and sealing a snapshot's personal values as one."""

    def __init__(self, transcoder: JSONTranscoder, personal: SealedPersonal) -> None:
        super().__init__(transcoder=transcoder)
        self.personal = personal

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        case_id = domain_event.originator_id
        if not isinstance(domain_event, Snapshot):
            with mapping(case_id):
                return super().to_stored_event(domain_event)
        batch = SealedBatch([])
        with mapping(case_id, batch):
            stored = super().to_stored_event(domain_event)
        if not batch.values:
            return stored
        key = self.personal.key(case_id)
        if key is None:
            raise KeyMissing(f"no key for aggregate {case_id}")
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(batch.values, ensure_ascii=False).encode("utf-8")
        aad = _aad(case_id, stored.originator_version)
        sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=MAGIC
            + len(sealed).to_bytes(LENGTH_BYTES, "big")
            + sealed
            + stored.state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        case_id = _case_id(stored_event)
        state = bytes(stored_event.state)
        if not state.startswith(MAGIC):
            with mapping(case_id):
                return super().to_domain_event(stored_event)
        start = len(MAGIC) + LENGTH_BYTES
        end = start + int.from_bytes(state[len(MAGIC) : start], "big")
        values = (
            self._opened(case_id, stored_event.originator_version, state[start:end])
            if opening()
            else None
        )
        rest = StoredEvent(
            originator_id=stored_event.originator_id,
            originator_version=stored_event.originator_version,
            topic=stored_event.topic,
            state=state[end:],
        )
        with mapping(case_id, SealedBatch(values)):
            return super().to_domain_event(rest)

    def _opened(
        self, case_id: UUID, version: int, sealed: bytes
    ) -> list[object] | None:
        key = self.personal.key(case_id)
        if key is None:
            return None  # erased: every value reads as erased
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, _aad(case_id, version))
        values: list[object] = json.loads(plaintext.decode("utf-8"))
        return values
