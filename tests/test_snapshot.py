"""Snapshot files: round trip, signatures, and every way a damaged or foreign file is rejected."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ztscan.provider import ConfigurationError
from ztscan.snapshot import (
    FORMAT_NAME, FORMAT_VERSION, canonical_payload, load_snapshot, read_snapshot, save_snapshot,
    signing_key_from_env,
)

from .evidence_inventory import clinic_inventory

KEY = b"test-signing-key-not-a-secret"


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.ztsnap.json.gz"
    save_snapshot(clinic_inventory(), path, provider="aws")
    return path


def read_envelope(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


def write_envelope(path: Path, envelope: Any, rehash: bool = True) -> None:
    if rehash and isinstance(envelope, dict) and isinstance(envelope.get("payload"), dict):
        envelope["payload_sha256"] = hashlib.sha256(canonical_payload(envelope["payload"])).hexdigest()
    path.write_bytes(gzip.compress(json.dumps(envelope).encode("utf-8")))


def test_round_trip_keeps_inventory(snapshot_file: Path):
    original = clinic_inventory()
    loaded = load_snapshot(snapshot_file)
    assert loaded.resources == original.resources
    assert loaded.errors == original.errors
    assert loaded.scopes == original.scopes
    assert (loaded.started_at, loaded.finished_at) == (original.started_at, original.finished_at)
    assert loaded.metadata == original.metadata


def test_round_trip_envelope_facts(snapshot_file: Path):
    snapshot = read_snapshot(snapshot_file)
    envelope = read_envelope(snapshot_file)
    assert snapshot.provider == "aws"
    assert snapshot.format_version == FORMAT_VERSION
    assert envelope["format"] == FORMAT_NAME
    assert envelope["tool"]["name"] == "ztscan"
    assert envelope["created_at"]
    assert snapshot.signed is False


def test_save_leaves_no_temporary_file(snapshot_file: Path):
    assert [path.name for path in snapshot_file.parent.iterdir()] == [snapshot_file.name]


def test_save_failure_leaves_no_file(tmp_path: Path):
    inventory = clinic_inventory()
    inventory.resources[0].facts["broken"] = object()
    with pytest.raises(ValueError):
        save_snapshot(inventory, tmp_path / "out.gz", provider="aws")
    assert list(tmp_path.iterdir()) == []


def test_save_failure_keeps_previous_file(snapshot_file: Path):
    before = snapshot_file.read_bytes()
    inventory = clinic_inventory()
    inventory.metadata["broken"] = float("nan")
    with pytest.raises(ValueError):
        save_snapshot(inventory, snapshot_file, provider="aws")
    assert snapshot_file.read_bytes() == before


def test_save_missing_directory(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        save_snapshot(clinic_inventory(), tmp_path / "missing" / "out.gz", provider="aws")


# -- damaged and foreign files ------------------------------------------------

def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] ^= 0xFF
    data[middle + 1] ^= 0x55
    path.write_bytes(bytes(data))


def edit_without_rehash(path: Path) -> None:
    envelope = read_envelope(path)
    envelope["payload"]["resources"][0]["facts"]["flow_logs_enabled"] = False
    write_envelope(path, envelope, rehash=False)


def wrong_format(path: Path) -> None:
    envelope = read_envelope(path)
    envelope["format"] = "someone-elses-format"
    write_envelope(path, envelope)


def newer_version(path: Path) -> None:
    envelope = read_envelope(path)
    envelope["format_version"] = FORMAT_VERSION + 1
    write_envelope(path, envelope)


def older_version(path: Path) -> None:
    envelope = read_envelope(path)
    envelope["format_version"] = 0
    write_envelope(path, envelope)


def not_gzip(path: Path) -> None:
    path.write_text(json.dumps({"format": FORMAT_NAME}), encoding="utf-8")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def invalid_json(path: Path) -> None:
    path.write_bytes(gzip.compress(b'{"format": "ztscan-inventory-snapshot", '))


def deeply_nested(path: Path) -> None:
    envelope = read_envelope(path)
    nested: Any = "bottom"
    for _ in range(200):
        nested = [nested]
    envelope["payload"]["metadata"]["nested"] = nested
    write_envelope(path, envelope)


def extremely_nested(path: Path) -> None:
    path.write_bytes(gzip.compress(b"[" * 200_000 + b"]" * 200_000))


def malformed_payload(path: Path) -> None:
    envelope = read_envelope(path)
    del envelope["payload"]["resources"][0]["scope"]
    write_envelope(path, envelope)


def not_an_object(path: Path) -> None:
    write_envelope(path, [1, 2, 3])


DAMAGE = {
    "truncated": (truncate, "truncated"),
    "corrupted": (corrupt, "corrupted"),
    "hash-mismatch": (edit_without_rehash, "SHA-256"),
    "wrong-format": (wrong_format, "someone-elses-format"),
    "newer-version": (newer_version, f"version {FORMAT_VERSION + 1} .* newer .*format versions 1"),
    "older-version": (older_version, "version 0 .* no longer supported; this ztscan reads format versions 1"),
    "not-gzip": (not_gzip, "not a gzip file"),
    "empty": (empty, "empty"),
    "invalid-json": (invalid_json, "corrupted|truncated"),
    "deeply-nested": (deeply_nested, "nested more than 64 levels"),
    "recursion-limit": (extremely_nested, "nested too deeply"),
    "malformed-payload": (malformed_payload, "malformed"),
    "not-an-object": (not_an_object, "not a ztscan inventory snapshot"),
}


@pytest.mark.parametrize("damage,expected", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_file_rejected(snapshot_file: Path, damage, expected: str):
    damage(snapshot_file)
    with pytest.raises(ConfigurationError, match=expected) as caught:
        load_snapshot(snapshot_file)
    assert str(snapshot_file) in str(caught.value)


def test_missing_file_named(tmp_path: Path):
    path = tmp_path / "nowhere.gz"
    with pytest.raises(ConfigurationError, match="not found") as caught:
        load_snapshot(path)
    assert str(path) in str(caught.value)


def test_gzip_bomb_stops_at_bound(tmp_path: Path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(b" " * (8 * 1024 * 1024)))
    assert path.stat().st_size < 100_000
    with pytest.raises(ConfigurationError, match="more than 1048576 bytes") as caught:
        load_snapshot(path, max_bytes=1024 * 1024)
    assert str(path) in str(caught.value)


def test_default_bound_is_documented():
    from ztscan import snapshot

    docs = (Path(__file__).parent.parent / "docs" / "snapshots.md").read_text(encoding="utf-8")
    assert f"{snapshot.MAX_DECOMPRESSED_BYTES // (1024 * 1024)} MiB" in docs
    assert f"{snapshot.MAX_DEPTH} levels" in docs


# -- signatures ----------------------------------------------------------------

def test_signed_snapshot_verifies(tmp_path: Path):
    path = tmp_path / "signed.gz"
    save_snapshot(clinic_inventory(), path, provider="aws", signing_key=KEY, signing_key_env="ZTSCAN_KEY")
    snapshot = read_snapshot(path, signing_key=KEY)
    assert snapshot.signed is True
    assert snapshot.signature_verified is True


def test_signed_snapshot_wrong_key(tmp_path: Path):
    path = tmp_path / "signed.gz"
    save_snapshot(clinic_inventory(), path, provider="aws", signing_key=KEY)
    with pytest.raises(ConfigurationError, match="signature does not match"):
        read_snapshot(path, signing_key=b"another-key")


def test_signed_snapshot_rehashed_edit_rejected(tmp_path: Path):
    path = tmp_path / "signed.gz"
    save_snapshot(clinic_inventory(), path, provider="aws", signing_key=KEY)
    envelope = read_envelope(path)
    envelope["payload"]["resources"][0]["facts"]["flow_logs_enabled"] = False
    write_envelope(path, envelope, rehash=True)
    with pytest.raises(ConfigurationError, match="signature does not match"):
        read_snapshot(path, signing_key=KEY)


def test_unsigned_snapshot_with_key_rejected(snapshot_file: Path):
    with pytest.raises(ConfigurationError, match="not signed"):
        read_snapshot(snapshot_file, signing_key=KEY)


def test_signed_snapshot_without_key_loads_unverified(tmp_path: Path):
    path = tmp_path / "signed.gz"
    save_snapshot(clinic_inventory(), path, provider="aws", signing_key=KEY)
    snapshot = read_snapshot(path)
    assert snapshot.signed is True
    assert snapshot.signature_verified is False


def test_signing_key_env_unset(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ZTSCAN_TEST_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ZTSCAN_TEST_KEY is not set"):
        signing_key_from_env("ZTSCAN_TEST_KEY")


def test_signing_key_env_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZTSCAN_TEST_KEY", "s3cret")
    assert signing_key_from_env("ZTSCAN_TEST_KEY") == b"s3cret"


def nan_constant(path: Path) -> None:
    text = json.dumps(read_envelope(path)).replace('"flow_logs_enabled": true', '"flow_logs_enabled": NaN', 1)
    path.write_bytes(gzip.compress(text.encode("utf-8")))


def non_ascii_digest(path: Path) -> None:
    envelope = read_envelope(path)
    envelope["payload_sha256"] = "é" * 64
    write_envelope(path, envelope, rehash=False)


def trailing_garbage(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"garbage after the gzip stream")


MORE_DAMAGE = {
    "nan-constant": (nan_constant, "NaN is not valid JSON"),
    "non-ascii-digest": (non_ascii_digest, "SHA-256"),
    "trailing-garbage": (trailing_garbage, "corrupted"),
}


@pytest.mark.parametrize("damage,expected", MORE_DAMAGE.values(), ids=MORE_DAMAGE.keys())
def test_hostile_content_rejected(snapshot_file: Path, damage, expected: str):
    damage(snapshot_file)
    with pytest.raises(ConfigurationError, match=expected) as caught:
        load_snapshot(snapshot_file)
    assert str(snapshot_file) in str(caught.value)
