"""Signed checkpoints of the hash chain: the head at a moment, signed with Ed25519,
exported for an auditor to keep outside the system.

A checkpoint says "at position P the chain hash was H" and is signed with a
key from a file outside the database (``DOSSIER_CHAIN_KEY_FILE``; a development
default is made under the data directory on first use, like the KEK file).
Whoever keeps an exported checkpoint and the public key can later show that
the log up to P is the log that was signed: rewriting any event at or before P
changes H, and without the private key no new signature can be made for it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

EXPORT_FORMAT = "dossier-chain-checkpoints-v1"
_MESSAGE = b"dossier-chain-checkpoint-v1\n"


class CheckpointError(Exception):
    """A checkpoint, an export or a key cannot be used (a one-line message)."""


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    raw = public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:16]


def public_text(public: Ed25519PublicKey) -> str:
    """The public key as PEM text (what an auditor keeps)."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public(text: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise CheckpointError("not an Ed25519 public key in PEM form") from error
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("not an Ed25519 public key in PEM form")
    return key


@dataclass(frozen=True)
class Checkpoint:
    position: int
    chain_hash: bytes
    made_at: datetime
    key_id: str
    signature: bytes

    def row(self) -> tuple[Any, ...]:
        return (
            self.position,
            self.chain_hash,
            self.made_at.isoformat(),  # text: the very string that was signed
            self.key_id,
            self.signature,
        )

    def item(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "chain_hash": self.chain_hash.hex(),
            "made_at": self.made_at.isoformat(),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Checkpoint:
        try:
            return cls(
                int(item["position"]),
                bytes.fromhex(str(item["chain_hash"])),
                datetime.fromisoformat(str(item["made_at"])),
                str(item["key_id"]),
                base64.b64decode(str(item["signature"]), validate=True),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError("a checkpoint in the export is malformed") from error

    def signs_correctly(self, public: Ed25519PublicKey) -> bool:
        if self.key_id != key_id(public):
            return False
        try:
            public.verify(
                self.signature, message(self.position, self.chain_hash, self.made_at)
            )
        except InvalidSignature:
            return False
        return True


def message(position: int, chain_hash: bytes, made_at: datetime) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return _MESSAGE + f"{position}\n{chain_hash.hex()}\n{made_at.isoformat()}\n".encode(
        "ascii"
    )


class SigningKey:
    """The Ed25519 private key in a PEM file (mode 0600), made when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    def private(self, *, make: bool = True) -> Ed25519PrivateKey:
        if self._key is None:
            if not self.path.exists():
                if not make:
                    raise CheckpointError(f"no chain signing key at {self.path}")
                self._make()
            try:
                loaded = serialization.load_pem_private_key(
                    self.path.read_bytes(), password=None
                )
            except (ValueError, TypeError) as error:
                raise CheckpointError(
                    f"the chain signing key file {self.path} is damaged"
                ) from error
            if not isinstance(loaded, Ed25519PrivateKey):
                raise CheckpointError(f"{self.path} holds no Ed25519 private key")
            self._key = loaded
        return self._key

    def public(self, *, make: bool = True) -> Ed25519PublicKey:
        return self.private(make=make).public_key()

    def sign(self, position: int, chain_hash: bytes, made_at: datetime) -> Checkpoint:
        key = self.private()
        return Checkpoint(
            position,
            chain_hash,
            made_at,
            key_id(key.public_key()),
            key.sign(message(position, chain_hash, made_at)),
        )

    def _make(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".chain-")
        try:
            with os.fdopen(handle, "wb") as out:
                os.chmod(temporary, 0o600)
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            # Never over a key another process made meanwhile.
            os.link(temporary, self.path)
        except FileExistsError:
            pass
        finally:
            Path(temporary).unlink(missing_ok=True)


def export_text(checkpoints: list[Checkpoint], public: Ed25519PublicKey) -> str:
    """The checkpoints and the public key that signed them, as a JSON document."""
    return json.dumps(
        {
            "format": EXPORT_FORMAT,
            "key_id": key_id(public),
            "public_key": public_text(public),
            "checkpoints": [c.item() for c in checkpoints],
        },
        indent=1,
    )


def read_export(text: str) -> tuple[list[Checkpoint], Ed25519PublicKey]:
    try:
        data = json.loads(text)
        if data.get("format") != EXPORT_FORMAT:
            raise CheckpointError(f"not a {EXPORT_FORMAT} document")
        public = load_public(str(data["public_key"]))
        items = list(data["checkpoints"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CheckpointError("the checkpoint export is malformed") from error
    return [Checkpoint.from_item(item) for item in items], public


def unsigned(
    checkpoints: list[Checkpoint], keys: list[Ed25519PublicKey]
) -> list[Checkpoint]:
    """The checkpoints no key in ``keys`` signed (forged or altered ones)."""
    by_id = {key_id(k): k for k in keys}
    return [
        c
        for c in checkpoints
        if c.key_id not in by_id or not c.signs_correctly(by_id[c.key_id])
    ]
