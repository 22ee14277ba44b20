"""Inventory snapshots: a versioned, gzip-compressed JSON file that stores one collection for later evaluation.

The file is one gzip stream holding one JSON object, the envelope::

    {
      "format": "ztscan-inventory-snapshot",
      "format_version": 1,
      "tool": {"name": "ztscan", "version": "0.1.0"},
      "created_at": "2026-12-04T20:00:00+00:00",
      "payload_sha256": "<hex digest of the canonical payload>",
      "signature": null | {"algorithm": "hmac-sha256", "key_env": "NAME", "value": "<hex>"},
      "payload": {"provider": ..., "started_at": ..., "finished_at": ..., "metadata": {...},
                  "resources": [...], "collection_errors": [...], "scopes": [...]}
    }

The canonical payload is ``json.dumps(payload, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` encoded as UTF-8. The SHA-256 digest detects accidental damage
and naive edits only, because anyone who can rewrite the file can recompute it. The optional
HMAC-SHA256 signature, keyed with a secret that only the signer and the verifier
hold, detects deliberate tampering. docs/snapshots.md describes the format for users.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ztscan import __version__
from ztscan.model import CollectionError, Inventory, Resource, ScopeRecord
from ztscan.provider import ConfigurationError

log = logging.getLogger(__name__)

FORMAT_NAME = "ztscan-inventory-snapshot"
#: The format version this ztscan writes.
FORMAT_VERSION = 1
#: Format versions this ztscan reads. Older versions listed in MIGRATIONS are upgraded on load.
SUPPORTED_VERSIONS = (1,)
#: Upgrade functions from an older envelope payload to the next version, keyed by the older version.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

#: Default bound on the decompressed size of a snapshot (512 MiB), so that a gzip bomb cannot exhaust memory.
#: NOTE: a document near this bound takes several times its size in memory once parsed into Python objects.
#: That is an estimate, not a measurement; the largest inventories in the tests are far smaller.
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
#: Maximum nesting depth of JSON arrays and objects in a snapshot; real inventories stay far below it.
MAX_DEPTH = 64
SIGNATURE_ALGORITHM = "hmac-sha256"

_CHUNK = 1024 * 1024
_RECOLLECT = "collect it again with 'ztscan collect' or 'ztscan scan ... --save-inventory'"


@dataclass(frozen=True)
class Snapshot:
    """A loaded snapshot: the inventory and the envelope facts about it."""

    inventory: Inventory
    provider: str
    format_version: int
    tool_version: str
    created_at: str
    signed: bool
    #: True when the signature was checked against a key; False when there was no key or no signature.
    signature_verified: bool


def signing_key_from_env(name: str | None) -> bytes | None:
    """Return the HMAC key held in the environment variable ``name``, or None when no name is given.

    Raises ConfigurationError, naming the variable but never its value, when it is unset or empty.
    """
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(
            f"--signing-key-env {name}: the environment variable {name} is not set or is empty; "
            "set it to the secret key shared by whoever signs and verifies snapshots")
    return value.encode("utf-8")


def canonical_payload(payload: dict[str, Any]) -> bytes:
    """Serialize ``payload`` to the canonical bytes that the digest and the signature cover."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _signed_message(format_version: int, created_at: str, digest: str) -> bytes:
    return f"{FORMAT_NAME}\n{format_version}\n{created_at}\n{digest}".encode("utf-8")


def inventory_payload(inventory: Inventory, provider: str) -> dict[str, Any]:
    return {
        "provider": provider,
        "started_at": inventory.started_at,
        "finished_at": inventory.finished_at,
        "metadata": inventory.metadata,
        "resources": [resource.to_dict() for resource in inventory.resources],
        "collection_errors": [error.to_dict() for error in inventory.errors],
        "scopes": [record.to_dict() for record in inventory.scopes],
    }


def save_snapshot(inventory: Inventory, path: str | os.PathLike[str], provider: str,
                  signing_key: bytes | None = None, signing_key_env: str | None = None,
                  created_at: str | None = None) -> None:
    """Write ``inventory`` to ``path`` as a snapshot, atomically (temporary file, fsync, rename).

    With ``signing_key``, the envelope carries an HMAC-SHA256 signature;
    ``signing_key_env`` is the variable name recorded beside it as a hint for verifiers.
    """
    from ztscan.scan import utc_now

    payload = inventory_payload(inventory, provider)
    try:
        canonical = canonical_payload(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the inventory cannot be stored as JSON: {exc}") from exc
    digest = hashlib.sha256(canonical).hexdigest()
    created = created_at or utc_now()
    signature = None
    if signing_key is not None:
        value = hmac.new(signing_key, _signed_message(FORMAT_VERSION, created, digest), hashlib.sha256).hexdigest()
        signature = {"algorithm": SIGNATURE_ALGORITHM, "key_env": signing_key_env, "value": value}
    envelope = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "ztscan", "version": __version__},
        "created_at": created,
        "payload_sha256": digest,
        "signature": signature,
        "payload": payload,
    }
    document = json.dumps(envelope, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    if len(document) > MAX_DECOMPRESSED_BYTES:
        raise ConfigurationError(
            f"cannot write snapshot {path}: the inventory is {len(document)} bytes as JSON, over the "
            f"{MAX_DECOMPRESSED_BYTES}-byte limit that 'ztscan evaluate' accepts; collect fewer regions or accounts per file")
    _write_bytes_atomic(Path(path), gzip.compress(document, compresslevel=6, mtime=0))
    log.info("wrote snapshot %s: %d resources, %d collection errors", path,
             len(inventory.resources), len(inventory.errors))


def _write_bytes_atomic(target: Path, data: bytes) -> None:
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ConfigurationError(f"cannot write {target}: directory {directory} does not exist; create it first")
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise


def load_snapshot(path: str | os.PathLike[str], signing_key: bytes | None = None,
                  max_bytes: int = MAX_DECOMPRESSED_BYTES) -> Inventory:
    """Read a snapshot file and return its inventory; see :func:`read_snapshot`."""
    return read_snapshot(path, signing_key=signing_key, max_bytes=max_bytes).inventory


def read_snapshot(path: str | os.PathLike[str], signing_key: bytes | None = None,
                  max_bytes: int = MAX_DECOMPRESSED_BYTES) -> Snapshot:
    """Read, check and decode a snapshot file.

    Raises ConfigurationError, naming the file and the fix, when the file is
    missing, empty, not gzip, truncated, corrupted, larger than ``max_bytes`` once
    decompressed or nested deeper than MAX_DEPTH. The same happens for another
    format, an unsupported version, a digest mismatch, and (with ``signing_key``)
    a missing or invalid signature.
    Nothing is returned until every check has passed.
    """
    source = str(path)
    envelope = _parse_json(source, _decompress(source, max_bytes))
    version = _check_envelope(source, envelope)
    payload = envelope["payload"]
    if not isinstance(payload, dict):
        raise ConfigurationError(f"{source}: the snapshot has no payload object; the file is damaged, {_RECOLLECT}")
    digest = hashlib.sha256(canonical_payload(payload)).hexdigest()
    if not hmac.compare_digest(digest.encode("ascii"), str(envelope.get("payload_sha256", "")).encode("utf-8")):
        raise ConfigurationError(
            f"{source}: the snapshot's content does not match its SHA-256 digest, so it was damaged or edited "
            f"after it was written; use an intact copy or {_RECOLLECT}")
    signed, verified = _check_signature(source, envelope, version, digest, signing_key)
    while version in MIGRATIONS:
        payload = MIGRATIONS[version](payload)
        version += 1
    inventory = _decode_payload(source, payload)
    tool = envelope.get("tool") if isinstance(envelope.get("tool"), dict) else {}
    return Snapshot(inventory=inventory, provider=str(payload.get("provider", "")), format_version=version,
                    tool_version=str(tool.get("version", "unknown")), created_at=str(envelope.get("created_at", "")),
                    signed=signed, signature_verified=verified)


def _decompress(source: str, max_bytes: int) -> bytes:
    """Decompress the whole file in bounded chunks, stopping as soon as the output exceeds ``max_bytes``."""
    try:
        handle = open(source, "rb")
    except FileNotFoundError:
        raise ConfigurationError(f"{source}: snapshot file not found; check the path") from None
    except OSError as exc:
        raise ConfigurationError(f"{source}: cannot read snapshot: {exc.strerror}") from None
    chunks: list[bytes] = []
    total = 0
    with handle:
        start = handle.read(2)
        if not start:
            raise ConfigurationError(f"{source}: the snapshot file is empty; {_RECOLLECT}")
        handle.seek(0)
        try:
            with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > max_bytes:
                        raise ConfigurationError(
                            f"{source}: the snapshot decompresses to more than {max_bytes} bytes, the limit "
                            "for snapshot files; the file is not a ztscan snapshot or was written for a larger "
                            "limit, so split the collection into smaller files")
                    chunks.append(chunk)
        except gzip.BadGzipFile as exc:
            if start != b"\x1f\x8b":
                raise ConfigurationError(
                    f"{source}: not a ztscan snapshot (not a gzip file); pass a file written by "
                    "'ztscan collect --output' or 'ztscan scan --save-inventory'") from None
            raise ConfigurationError(f"{source}: the snapshot is corrupted ({exc}); {_RECOLLECT}") from None
        except EOFError:
            raise ConfigurationError(
                f"{source}: the snapshot is truncated (the compressed data ends early); copy the complete "
                f"file again or {_RECOLLECT}") from None
        except zlib.error as exc:
            raise ConfigurationError(f"{source}: the snapshot is corrupted ({exc}); {_RECOLLECT}") from None
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(source: str, data: bytes) -> Any:
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ConfigurationError(f"{source}: the snapshot is corrupted (its content is not UTF-8); {_RECOLLECT}") from None
    except RecursionError:
        raise ConfigurationError(
            f"{source}: the snapshot is nested too deeply to read (the limit is {MAX_DEPTH} levels); "
            "it is not a ztscan snapshot") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{source}: the snapshot is corrupted (invalid JSON at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); {_RECOLLECT}") from None
    except ValueError as exc:  # NaN or Infinity, or an integer longer than Python's digit limit
        raise ConfigurationError(f"{source}: the snapshot is corrupted ({exc}); {_RECOLLECT}") from None
    if _depth_exceeds(document, MAX_DEPTH):
        raise ConfigurationError(
            f"{source}: the snapshot is nested more than {MAX_DEPTH} levels deep, the limit for snapshot files; "
            "it is not a ztscan snapshot")
    return document


def _depth_exceeds(document: Any, limit: int) -> bool:
    """Return True when arrays and objects in ``document`` nest deeper than ``limit``; iterative, so no recursion."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _check_envelope(source: str, envelope: Any) -> int:
    """Check the format name and version, and return the version."""
    supported = ", ".join(str(version) for version in SUPPORTED_VERSIONS)
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT_NAME:
        found = envelope.get("format") if isinstance(envelope, dict) else None
        what = f"format {found!r}" if found else "no snapshot format name"
        raise ConfigurationError(
            f"{source}: not a ztscan inventory snapshot ({what}; expected {FORMAT_NAME!r}); pass a file written "
            "by 'ztscan collect --output' or 'ztscan scan --save-inventory'")
    version = envelope.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigurationError(f"{source}: the snapshot's format_version {version!r} is not a whole number; "
                                 f"the file is damaged, {_RECOLLECT}")
    written_by = envelope.get("tool", {}).get("version", "unknown") if isinstance(envelope.get("tool"), dict) else "unknown"
    if version > FORMAT_VERSION:
        raise ConfigurationError(
            f"{source}: snapshot format version {version} (written by ztscan {written_by}) is newer than this "
            f"ztscan {__version__} supports (format versions {supported}); upgrade ztscan to read it")
    if version not in SUPPORTED_VERSIONS and version not in MIGRATIONS:
        raise ConfigurationError(
            f"{source}: snapshot format version {version} (written by ztscan {written_by}) is no longer "
            f"supported; this ztscan reads format versions {supported}, so {_RECOLLECT}")
    return version


def _check_signature(source: str, envelope: dict[str, Any], version: int, digest: str,
                     key: bytes | None) -> tuple[bool, bool]:
    signature = envelope.get("signature")
    if signature is None:
        if key is not None:
            raise ConfigurationError(
                f"{source}: the snapshot is not signed, but a signing key was given; accept it only "
                "without --signing-key-env, or collect it again with --signing-key-env")
        return False, False
    if not isinstance(signature, dict) or signature.get("algorithm") != SIGNATURE_ALGORITHM:
        raise ConfigurationError(f"{source}: the snapshot's signature is damaged or uses an unknown algorithm; "
                                 f"this ztscan verifies {SIGNATURE_ALGORITHM} only")
    if key is None:
        log.warning("%s: the snapshot is signed (key variable %s) but no --signing-key-env was given, "
                    "so the signature was not verified", source, signature.get("key_env") or "unknown")
        return True, False
    expected = hmac.new(key, _signed_message(version, str(envelope.get("created_at", "")), digest),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), str(signature.get("value", "")).encode("utf-8")):
        raise ConfigurationError(
            f"{source}: the snapshot's signature does not match, so it was altered after signing or signed "
            "with another key; check the key in --signing-key-env or use an intact copy")
    return True, True


def _decode_payload(source: str, payload: dict[str, Any]) -> Inventory:
    try:
        metadata = payload.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise TypeError("metadata is not an object")
        return Inventory(
            resources=[Resource.from_dict(item) for item in _list(payload, "resources")],
            errors=[CollectionError.from_dict(item) for item in _list(payload, "collection_errors")],
            scopes=[ScopeRecord.from_dict(item) for item in _list(payload, "scopes")],
            started_at=str(payload.get("started_at", "")),
            finished_at=str(payload.get("finished_at", "")),
            metadata=dict(metadata),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigurationError(
            f"{source}: the snapshot's payload is malformed ({type(exc).__name__}: {exc}) although its digest "
            f"matches; it was not written by ztscan, {_RECOLLECT}") from None


def _list(payload: dict[str, Any], name: str) -> list[Any]:
    value = payload.get(name)
    if not isinstance(value, list):
        raise TypeError(f"{name!r} is not a list")
    return value
