"""Users and their API tokens: tokens are shown once and stored only as hashes.

A token is 32 random bytes (URL-safe text) prefixed with ``dos_``; the store
keeps its SHA-256 digest. A fast hash is right here: the token has 256 bits of
entropy, so there is nothing to brute-force, and every request verifies one.
A consultant's user is tied to their Consultant: their actor id is the
consultant's id, which is how the domain knows whose cases they are.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from uuid import UUID

from domain.values import Actor, Role
from storage.db import Database

TABLE = "api_users"
TOKEN_PREFIX = "dos_"  # noqa: S105 — a marker, not a secret
USER_ROLES = (
    Role.INTAKE,
    Role.COORDINATOR,
    Role.CONSULTANT,
    Role.AUDITOR,
    Role.ADMIN,
    Role.PRIVACY_OFFICER,
    Role.RECORD_MANAGER,
)


class UserError(ValueError):
    """A user command was refused (unknown user, bad role, duplicate name)."""


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    consultant_id: UUID | None
    active: bool

    @property
    def actor_id(self) -> str:
        return str(self.consultant_id) if self.consultant_id else self.id

    def actor(self, request_id: str | None = None) -> Actor:
        return Actor(user_id=self.actor_id, role=self.role, request_id=request_id)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        with db.transaction() as tx:
            tx.lock_for_creating(TABLE)  # servers may start together
            tx.execute(
                "CREATE TABLE IF NOT EXISTS {t} ("
                " id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
                " consultant_id TEXT, token_sha256 TEXT NOT NULL UNIQUE,"
                " active INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL)",
                t=TABLE,
            )

    def add(
        self, name: str, role: Role, *, consultant_id: UUID | None = None
    ) -> tuple[User, str]:
        """Create a user; returns it with its token, which is never shown again."""
        name = name.strip()
        if not name:
            raise UserError("a user needs a name")
        if role not in USER_ROLES:
            raise UserError(f"role must be one of {', '.join(USER_ROLES)}")
        if (role == Role.CONSULTANT) != (consultant_id is not None):
            raise UserError("a consultant user needs --consultant-id, and only they")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        user = User(str(uuid.uuid4()), name, role, consultant_id, True)
        with self.db.transaction() as tx:
            if tx.fetchone("SELECT 1 FROM {t} WHERE name = %s", (name,), t=TABLE):
                raise UserError(f"a user named {name!r} exists already")
            tx.execute(
                "INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, 1, %s)",
                (
                    user.id,
                    name,
                    str(role),
                    str(consultant_id) if consultant_id else None,
                    token_digest(token),
                    time.time(),
                ),
                t=TABLE,
            )
        return user, token

    def authenticate(self, token: str) -> User | None:
        with self.db.reading() as tx:
            row = tx.fetchone(
                "SELECT id, name, role, consultant_id, active FROM {t}"
                " WHERE token_sha256 = %s",
                (token_digest(token),),
                t=TABLE,
            )
        if row is None or not row[4]:
            return None
        return _user(row)

    def rotate(self, name: str) -> tuple[User, str]:
        """A new token for an active user; the old one stops working."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as tx:
            row = tx.fetchone(
                "SELECT id, name, role, consultant_id, active FROM {t} WHERE name = %s",
                (name,),
                t=TABLE,
            )
            if row is None or not row[4]:
                raise UserError(f"no active user named {name!r}")
            tx.execute(
                "UPDATE {t} SET token_sha256 = %s WHERE name = %s",
                (token_digest(token), name),
                t=TABLE,
            )
        return _user(row), token

    def get(self, user_id: str) -> User | None:
        with self.db.reading() as tx:
            row = tx.fetchone(
                "SELECT id, name, role, consultant_id, active FROM {t} WHERE id = %s",
                (user_id,),
                t=TABLE,
            )
        return _user(row) if row else None

    def named(self, name: str) -> User | None:
        with self.db.reading() as tx:
            row = tx.fetchone(
                "SELECT id, name, role, consultant_id, active FROM {t} WHERE name = %s",
                (name.strip(),),
                t=TABLE,
            )
        return _user(row) if row else None

    def list(self) -> list[User]:
        with self.db.reading() as tx:
            rows = tx.fetchall(
                "SELECT id, name, role, consultant_id, active FROM {t} ORDER BY name",
                t=TABLE,
            )
        return [_user(r) for r in rows]

    def revoke(self, name: str) -> User:
        """Deactivate a user: their token stops working at once."""
        with self.db.transaction() as tx:
            row = tx.fetchone(
                "SELECT id, name, role, consultant_id, active FROM {t} WHERE name = %s",
                (name,),
                t=TABLE,
            )
            if row is None:
                raise UserError(f"no user named {name!r}")
            tx.execute("UPDATE {t} SET active = 0 WHERE name = %s", (name,), t=TABLE)
        user = _user(row)
        return User(user.id, user.name, user.role, user.consultant_id, False)


def _user(row: tuple[object, ...]) -> User:
    consultant = row[3]
    return User(
        id=str(row[0]),
        name=str(row[1]),
        role=Role(str(row[2])),
        consultant_id=UUID(str(consultant)) if consultant else None,
        active=bool(row[4]),
    )
