"""Users' sign-in passwords for the web pages, stored only as argon2id hashes.

One row per user that has a password (API-only users have none). Verifying an
unknown user's password costs the same as a known one's, so the time of an
answer does not tell which user names exist.
"""

from __future__ import annotations

import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.db import Database

TABLE = "user_passwords"
MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; an unbounded one is a DoS


class PasswordRefused(ValueError):
    """A password that may not be set (too short or too long)."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(f"a password may have at most {MAX_LENGTH} characters")


class PasswordStore:
    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self._dummy = self.hasher.hash("not anyone's password")
        with db.transaction() as tx:
            tx.lock_for_creating(TABLE)  # servers may start together
            tx.execute(
                "CREATE TABLE IF NOT EXISTS {t} ("
                " user_id TEXT PRIMARY KEY, argon2 TEXT NOT NULL,"
                " changed_at DOUBLE PRECISION NOT NULL)",
                t=TABLE,
            )

    def set(self, user_id: str, password: str) -> None:
        check_password_rules(password)
        digest = self.hasher.hash(password)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM {t} WHERE user_id = %s", (user_id,), t=TABLE)
            tx.execute(
                "INSERT INTO {t} VALUES (%s, %s, %s)",
                (user_id, digest, time.time()),
                t=TABLE,
            )

    def verify(self, user_id: str | None, password: str) -> bool:
        """Whether ``password`` is this user's; None (no such user) is never."""
        stored = None
        if user_id is not None:
            with self.db.reading() as tx:
                row = tx.fetchone(
                    "SELECT argon2 FROM {t} WHERE user_id = %s", (user_id,), t=TABLE
                )
            stored = str(row[0]) if row else None
        if len(password) > MAX_LENGTH:
            return False
        try:
            self.hasher.verify(stored or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return False
        if stored is None:
            return False
        if self.hasher.check_needs_rehash(stored):
            self.set(user_id, password)  # type: ignore[arg-type]
        return True

    def has_password(self, user_id: str) -> bool:
        with self.db.reading() as tx:
            return (
                tx.fetchone("SELECT 1 FROM {t} WHERE user_id = %s", (user_id,), t=TABLE)
                is not None
            )
