"""Dossier's settings: one object, read from DOSSIER_* environment variables."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable. With nothing set, Dossier uses SQLite under ./var/."""

    model_config = SettingsConfigDict(env_prefix="DOSSIER_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/dbname; unset means SQLite",
    )
    database_schema: str = Field(
        default="public",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema for events, keys and read models",
    )
    data_dir: Path = Field(default=Path("var"), description="where SQLite lives")
    intake_norm_weeks: int = Field(default=6, ge=1, le=52)
    # Cases ended longer ago than this are proposed for destruction.
    retention_years: int = Field(default=2, ge=1, le=100)
    # How often `dossier worker` proposes a destruction list; 0: never (cron
    # `dossier retention propose` instead). Run it in one worker only.
    retention_interval_hours: float = Field(default=0, ge=0, le=24 * 366)
    # The key-encryption keys that wrap every case key (storage.kek): a file
    # outside the database and its backups; unset means <data_dir>/kek.json.
    kek_file: Path | None = None
    # A new KEK epoch this often (`dossier worker` rotates; or run
    # `dossier keys rotate`), and how long backups are kept: an epoch retired
    # longer ago than this is destroyed, so no older backup can be restored.
    kek_rotation_days: int = Field(default=30, ge=1, le=3650)
    backup_retention_days: int = Field(default=35, ge=0, le=3650)
    # The Ed25519 key that signs the hash chain's checkpoints (storage.checkpoints):
    # a file outside the database; unset means <data_dir>/chain-signing-key.pem,
    # made on first use (a development default: mount a kept key in production).
    chain_key_file: Path | None = None
    # How often `dossier worker` signs the head of the log; 0: never (cron
    # `dossier chain checkpoint` instead).
    checkpoint_interval_minutes: float = Field(default=60, ge=0, le=24 * 60 * 366)
    lock_timeout_seconds: int = Field(default=5, ge=1, le=60)
    pool_size: int = Field(default=5, ge=1, le=100)
    # The largest request body the service reads (413 beyond it, while reading).
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000)
    # Connections served at once; beyond it the server answers 503 at once.
    max_connections: int = Field(default=200, ge=1, le=10_000)
    # A request's line and headers must arrive within this (the connection is
    # closed otherwise); its body within body_timeout_seconds (408).
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    # The web pages: a session ends after this long without a request.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Secure cookies: unset means when the request came over https.
    secure_cookies: bool | None = None
    log_format: str = Field(default="console", pattern="^(console|json)$")
    # The organisation named in the access overview (NEN 7513) and the
    # subject access export: who holds the data and whose staff read it.
    organisation: str = Field(
        default="Onderwijsconsulenten", min_length=1, max_length=200
    )
    host: str = Field(default="127.0.0.1", description="where `dossier serve` listens")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=32, description="uvicorn processes")
    embedded_projections: bool | None = Field(
        default=None,
        description="run the read models inside the service process; unset means "
        "yes on SQLite, no on PostgreSQL (run `dossier worker` beside it)",
    )
    poll_seconds: float = Field(default=1.0, gt=0, le=60)

    @property
    def runs_projections_inside(self) -> bool:
        if self.embedded_projections is None:
            return not self.uses_postgres
        return self.embedded_projections

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        scheme = urlsplit(value).scheme
        if scheme not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL (or unset for SQLite)")
        return value

    @property
    def uses_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def kek_path(self) -> Path:
        return self.kek_file or self.data_dir / "kek.json"

    @property
    def chain_key_path(self) -> Path:
        return self.chain_key_file or self.data_dir / "chain-signing-key.pem"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "dossier.sqlite"

    def postgres_parts(self) -> dict[str, str]:
        """The URL's parts, as the event store's settings want them."""
        assert self.database_url is not None
        url = urlsplit(self.database_url)
        return {
            "dbname": url.path.lstrip("/") or "postgres",
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
        }
