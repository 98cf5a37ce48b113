"""Signed checkpoints: a signature holds only for its position, hash and moment
under its key; an export carries them and the public key; the key file is made
once, private to its owner."""

from __future__ import annotations

import dataclasses
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.checkpoints import (
    CheckpointError,
    SigningKey,
    export_text,
    read_export,
    unsigned,
)

MOMENT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
HEAD = bytes(range(32))


def test_a_checkpoint_verifies_under_its_key_and_no_longer_once_altered(
    tmp_path: Path,
) -> None:
    key = SigningKey(tmp_path / "key.pem")
    made = key.sign(1234, HEAD, MOMENT)
    public = key.public()

    altered = [
        dataclasses.replace(made, position=1235),
        dataclasses.replace(made, chain_hash=bytes(32)),
        dataclasses.replace(made, made_at=MOMENT.replace(minute=31)),
    ]

    assert unsigned([made], [public]) == []
    assert unsigned(altered, [public]) == altered


def test_a_checkpoint_signed_by_another_key_is_not_taken(tmp_path: Path) -> None:
    made = SigningKey(tmp_path / "one.pem").sign(7, HEAD, MOMENT)
    other = SigningKey(tmp_path / "other.pem").public()

    assert unsigned([made], [other]) == [made]


def test_an_export_gives_back_its_checkpoints_and_public_key(tmp_path: Path) -> None:
    key = SigningKey(tmp_path / "key.pem")
    made = [key.sign(n, HEAD, MOMENT) for n in (10, 20)]

    checkpoints, public = read_export(export_text(made, key.public()))

    assert checkpoints == made
    assert unsigned(checkpoints, [public]) == []


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"format": "other"}', '{"format": "dossier-chain-checkpoints-v1"}'],
)
def test_a_malformed_export_is_refused(text: str) -> None:
    with pytest.raises(CheckpointError):
        read_export(text)


def test_the_key_file_is_made_once_and_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "chain-signing-key.pem"
    first = SigningKey(path).public()
    again = SigningKey(path).public()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first == again


def test_no_key_is_made_where_one_must_exist(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no chain signing key"):
        SigningKey(tmp_path / "missing.pem").public(make=False)
