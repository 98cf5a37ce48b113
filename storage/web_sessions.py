"""Server-side sessions of the web pages: the cookie holds a random token, the
store only its SHA-256 digest, with the user, a CSRF token and the language.

A session ends on sign-out, when its user is revoked, and after ``idle_seconds``
without a request. ``last_seen`` is written at most once a minute, so a page
view costs no write.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from storage.db import Database

TABLE = "web_sessions"
TOUCH_EVERY = 60.0


@dataclass(frozen=True)
class WebSession:
    digest: str
    user_id: str
    csrf: str
    lang: str
    last_seen: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class SessionStore:
    def __init__(self, db: Database, *, idle_seconds: float) -> None:
        self.db = db
        self.idle_seconds = idle_seconds
        with db.transaction() as tx:
            tx.lock_for_creating(TABLE)  # servers may start together
            tx.execute(
                "CREATE TABLE IF NOT EXISTS {t} ("
                " digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, csrf TEXT NOT NULL,"
                " lang TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,"
                " last_seen DOUBLE PRECISION NOT NULL)",
                t=TABLE,
            )

    def start(self, user_id: str, lang: str) -> tuple[str, WebSession]:
        """A new session; returns the cookie's token (never stored) with it."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        csrf = secrets.token_urlsafe(32)
        session = WebSession(_digest(token), user_id, csrf, lang, now)
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM {t} WHERE last_seen < %s",
                (now - self.idle_seconds,),
                t=TABLE,
            )
            tx.execute(
                "INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s)",
                (session.digest, user_id, session.csrf, lang, now, now),
                t=TABLE,
            )
        return token, session

    def find(self, token: str) -> WebSession | None:
        """The live session of this token, or None (unknown, ended or idle too long)."""
        if not token or len(token) > 200:
            return None
        digest = _digest(token)
        with self.db.reading() as tx:
            row = tx.fetchone(
                "SELECT user_id, csrf, lang, last_seen FROM {t} WHERE digest = %s",
                (digest,),
                t=TABLE,
            )
        if row is None:
            return None
        now = time.time()
        last_seen = float(row[3])
        if now - last_seen > self.idle_seconds:
            self.end(token)
            return None
        if now - last_seen > TOUCH_EVERY:
            with self.db.transaction() as tx:
                tx.execute(
                    "UPDATE {t} SET last_seen = %s WHERE digest = %s",
                    (now, digest),
                    t=TABLE,
                )
            last_seen = now
        return WebSession(digest, str(row[0]), str(row[1]), str(row[2]), last_seen)

    def set_lang(self, session: WebSession, lang: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE {t} SET lang = %s WHERE digest = %s",
                (lang, session.digest),
                t=TABLE,
            )

    def end(self, token: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM {t} WHERE digest = %s", (_digest(token),), t=TABLE)

    def end_all_of(self, user_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM {t} WHERE user_id = %s", (user_id,), t=TABLE)
