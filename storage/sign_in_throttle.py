"""Slowing down repeated failed sign-ins, per user name and per address.

Each failure is a row (subject, time); subjects are digests, never the typed
name (people type passwords into the name field). Five failures of one user
name within fifteen minutes are free, thirty from one address (a bureau's
office shares one); after that each further attempt must wait 2, 4, 8 ...
seconds (at most five minutes) after the last failure. A success clears the
user's failures; the address's stay until they age out.
"""

from __future__ import annotations

import hashlib
import time

from storage.db import Database

TABLE = "sign_in_failures"
FREE_ATTEMPTS = {"user": 5, "addr": 30}
WINDOW_SECONDS = 15 * 60
MAX_WAIT_SECONDS = 5 * 60


def user_subject(name: str) -> str:
    return "user:" + hashlib.sha256(name.strip().casefold().encode()).hexdigest()


def address_subject(address: str) -> str:
    return "addr:" + hashlib.sha256(address.encode()).hexdigest()


class SignInThrottle:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.transaction() as tx:
            tx.lock_for_creating(TABLE)  # servers may start together
            tx.execute(
                "CREATE TABLE IF NOT EXISTS {t} ("
                " subject TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
                t=TABLE,
            )
            tx.execute(
                "CREATE INDEX IF NOT EXISTS {i} ON {t} (subject, at)",
                t=TABLE,
                i=f"{TABLE}_subject",
            )

    def wait_seconds(self, subjects: list[str], now: float | None = None) -> float:
        """How long these subjects must still wait before the next attempt."""
        now = time.time() if now is None else now
        wait = 0.0
        with self.db.reading() as tx:
            for subject in subjects:
                row = tx.fetchone(
                    "SELECT COUNT(*), MAX(at) FROM {t} WHERE subject = %s AND at > %s",
                    (subject, now - WINDOW_SECONDS),
                    t=TABLE,
                )
                count = int(row[0]) if row else 0
                free = FREE_ATTEMPTS[subject.split(":", 1)[0]]
                if count < free or row is None or row[1] is None:
                    continue
                backoff = min(2.0 ** (count - free + 1), MAX_WAIT_SECONDS)
                wait = max(wait, float(row[1]) + backoff - now)
        return max(wait, 0.0)

    def failed(self, subjects: list[str], now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM {t} WHERE at < %s", (now - WINDOW_SECONDS,), t=TABLE
            )
            tx.executemany(
                "INSERT INTO {t} VALUES (%s, %s)",
                [(subject, now) for subject in subjects],
                t=TABLE,
            )

    def succeeded(self, subject: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM {t} WHERE subject = %s", (subject,), t=TABLE)
