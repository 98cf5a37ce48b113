"""Key-encryption keys (KEKs): they wrap every case key, kept out of the database.

A case's key is stored only wrapped (AES-GCM under a KEK, with the case id and
the KEK's epoch as associated data), so that a copy of the key table (in the
WAL, an archive, a replica, an old backup or an old row version) is of no use
without the KEK of its epoch. Epochs are numbered; one is current and wraps new
keys. ``dossier keys rotate`` wraps every surviving key under a new epoch and
destroys the epochs that were retired longer ago than the backup retention
window: from then on, whatever copy of an erased case's key lingers is wrapped
under an epoch that no longer exists.

``KekFile`` keeps the epochs in a JSON file outside the database (a mounted
secret in production); a KMS can stand in behind ``KeyEncryptionKeys`` later.
Another process's rotation is seen at the next use: the file is read again
when it changed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


@dataclass(frozen=True)
class Epoch:
    number: int
    created_at: datetime
    retired_at: datetime | None  # when a newer epoch took over
    key: bytes | None  # None once destroyed


class KekError(Exception):
    """The key-encryption keys cannot be used as asked (a one-line message)."""


class KeyEncryptionKeys(ABC):
    """The KEK epochs: where they are kept is the implementation's."""

    @abstractmethod
    def epochs(self) -> list[Epoch]:
        """Every epoch, oldest first, destroyed ones included (without a key)."""

    @abstractmethod
    def add_epoch(self, now: datetime) -> Epoch:
        """A new current epoch; the one before it is retired at ``now``."""

    @abstractmethod
    def destroy(self, number: int) -> None:
        """Forget an epoch's key for good (never the current one)."""

    @abstractmethod
    def search_secret(self) -> bytes:
        """The secret of the pupil-name blind index (domain.search); it is not
        rotated (every name's index entries would have to be made again)."""

    def current(self) -> Epoch:
        live = [e for e in self.epochs() if e.key is not None and e.retired_at is None]
        if not live:
            raise KekError("no current key-encryption key")
        return live[-1]

    def key(self, number: int) -> bytes | None:
        for epoch in self.epochs():
            if epoch.number == number:
                return epoch.key
        return None

    # --- wrapping ---------------------------------------------------------------------

    def wrap(self, case_id: UUID, case_key: bytes) -> tuple[int, bytes]:
        """A case key wrapped under the current epoch: (epoch, nonce + ciphertext)."""
        epoch = self.current()
        assert epoch.key is not None
        nonce = os.urandom(NONCE_BYTES)
        aad = _associated(case_id, epoch.number)
        return epoch.number, nonce + AESGCM(epoch.key).encrypt(nonce, case_key, aad)

    def unwrap(self, case_id: UUID, epoch: int, wrapped: bytes) -> bytes | None:
        """The case key, or None when its epoch was destroyed."""
        kek = self.key(epoch)
        if kek is None:
            return None
        nonce, ciphertext = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        try:
            return AESGCM(kek).decrypt(nonce, ciphertext, _associated(case_id, epoch))
        except InvalidTag as error:
            raise KekError(f"the key of case {case_id} does not open") from error


def _associated(case_id: UUID, epoch: int) -> bytes:
    # A wrapped key opens only for its own case and epoch: rows cannot be swapped.
    return case_id.bytes + epoch.to_bytes(8, "big")


class KekFile(KeyEncryptionKeys):
    """The epochs in a JSON file (mode 0600), written whole and atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._loaded: tuple[int, int, int] | None = None  # the file as read
        self._epochs: list[Epoch] = []
        self._search: bytes | None = None

    def ensure(self, now: datetime) -> None:
        """Make the file with a first epoch when there is none yet."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._changing():
            if self.path.exists():
                return
            first = Epoch(1, now, None, AESGCM.generate_key(bit_length=256))
            self._search = os.urandom(32)
            self._write([first])

    def epochs(self) -> list[Epoch]:
        with self._lock:
            self._refresh()
            return list(self._epochs)

    def add_epoch(self, now: datetime) -> Epoch:
        with self._lock, self._changing():
            self._refresh()
            epochs = [
                e if e.retired_at is not None else _retired(e, now)
                for e in self._epochs
            ]
            number = max((e.number for e in epochs), default=0) + 1
            new = Epoch(number, now, None, AESGCM.generate_key(bit_length=256))
            self._write([*epochs, new])
            return new

    def destroy(self, number: int) -> None:
        with self._lock, self._changing():
            self._refresh()
            kept: list[Epoch] = []
            for e in self._epochs:
                if e.number == number:
                    if e.retired_at is None:
                        raise KekError("the current key-encryption key stays")
                    e = Epoch(e.number, e.created_at, e.retired_at, None)
                kept.append(e)
            self._write(kept)

    def search_secret(self) -> bytes:
        with self._lock:
            self._refresh()
            if self._search is None:  # a file from before the blind index
                with self._changing():
                    self._loaded = None
                    self._refresh()
                    if self._search is None:
                        self._search = os.urandom(32)
                        self._write(self._epochs)
            return self._search

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """One change at a time across processes (a lock file beside the file)."""
        lock = self.path.with_name(self.path.name + ".lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError as error:
            raise KekError(
                f"no key-encryption key file at {self.path}"
                " (DOSSIER_KEK_FILE; `dossier keys init` makes one)"
            ) from error
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if seen == self._loaded:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._epochs = [_epoch(item) for item in data["epochs"]]
            search = data.get("search_key")
            self._search = base64.b64decode(search) if search else None
        except (ValueError, KeyError, TypeError) as error:
            raise KekError(
                f"the key-encryption key file {self.path} is damaged"
            ) from error
        self._loaded = seen

    def _write(self, epochs: list[Epoch]) -> None:
        data: dict[str, object] = {"epochs": [_item(e) for e in epochs]}
        if self._search is not None:
            data["search_key"] = base64.b64encode(self._search).decode("ascii")
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".kek-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                os.chmod(temporary, 0o600)
                json.dump(data, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._epochs = epochs
        stat = self.path.stat()
        self._loaded = (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _retired(epoch: Epoch, now: datetime) -> Epoch:
    return Epoch(epoch.number, epoch.created_at, now, epoch.key)


def _item(epoch: Epoch) -> dict[str, object]:
    return {
        "epoch": epoch.number,
        "created_at": epoch.created_at.isoformat(),
        "retired_at": epoch.retired_at.isoformat() if epoch.retired_at else None,
        "key": base64.b64encode(epoch.key).decode("ascii") if epoch.key else None,
    }


def _epoch(item: dict[str, object]) -> Epoch:
    retired = item.get("retired_at")
    key = item.get("key")
    return Epoch(
        int(str(item["epoch"])),
        datetime.fromisoformat(str(item["created_at"])),
        datetime.fromisoformat(str(retired)) if retired else None,
        base64.b64decode(str(key)) if key else None,
    )
