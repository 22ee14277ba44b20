"""Data rules: encryption at rest, TLS in transit, public access, key rotation, key vault protection."""

from __future__ import annotations

import re

from ztscan.model import Outcome, Resource, failed, not_applicable, passed
from ztscan.rules.base import InventoryIndex, rule

#: Oldest TLS version accepted, as (major, minor).
MIN_TLS = (1, 2)

# Accepts "1.2", "TLS1_2", "tls1.2", "TLSv1.2", "TLS_1_2" and "TLS 1.2".
_TLS_PATTERN = re.compile(r"^\s*(?:tls)?[\s_v]*(\d+)[._](\d+)\s*$", re.IGNORECASE)


def parse_tls_version(value: str) -> tuple[int, int]:
    """Return ``(major, minor)`` for a TLS version string; raise ValueError for any other value."""
    match = _TLS_PATTERN.match(str(value))
    if match is None:
        raise ValueError(f"unrecognized TLS version {value!r}; expected a form such as '1.2' or 'TLS1_2'")
    return int(match.group(1)), int(match.group(2))


def _min_tls_outcome(resource: Resource) -> Outcome:
    value = resource.fact("min_tls_version")
    if value is None:
        return not_applicable("the platform has no minimum TLS version setting")
    version = parse_tls_version(value)
    minimum = ".".join(map(str, MIN_TLS))
    if version >= MIN_TLS:
        return passed(f"minimum TLS version {value} is {minimum} or newer", min_tls_version=value)
    return failed(f"minimum TLS version {value} is older than {minimum}", min_tls_version=value)


def _flag(resource: Resource, fact: str, good: bool, pass_text: str, fail_text: str) -> Outcome:
    """Return PASS when the boolean fact equals ``good``, else FAIL, with the fact as evidence."""
    value = resource.fact(fact)
    if not isinstance(value, bool):
        raise ValueError(f"fact {fact!r} is {value!r}; expected True or False")
    if value is good:
        return passed(pass_text, **{fact: value})
    return failed(fail_text, **{fact: value})


def _optional_flag(resource: Resource, fact: str, good: bool, pass_text: str, fail_text: str,
                   missing_text: str) -> Outcome:
    """Like :func:`_flag`, but a None value means the platform has no such setting: NOT_APPLICABLE."""
    if resource.fact(fact) is None:
        return not_applicable(missing_text)
    return _flag(resource, fact, good, pass_text, fail_text)


@rule("ZT-DAT-001", "storage.bucket", facts=("encrypted",))
def buckets_encrypted(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "encrypted", True,
                 "objects are encrypted at rest by default", "objects are not encrypted at rest by default")


@rule("ZT-DAT-002", "storage.volume", facts=("encrypted",))
def volumes_encrypted(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "encrypted", True, "volume is encrypted at rest", "volume is not encrypted at rest")


@rule("ZT-DAT-003", "database", facts=("storage_encrypted",))
def databases_encrypted(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "storage_encrypted", True,
                 "database storage is encrypted at rest", "database storage is not encrypted at rest")


@rule("ZT-DAT-004", "storage.encryption_default", facts=("enabled",))
def volume_encryption_default(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "enabled", True,
                 "new volumes in this region are encrypted by default",
                 "new volumes in this region are not encrypted by default")


@rule("ZT-DAT-005", "storage.bucket", facts=("tls_enforced",))
def buckets_require_tls(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "tls_enforced", True,
                 "requests without TLS are denied", "requests without TLS are accepted")


@rule("ZT-DAT-006", "storage.bucket", facts=("public_access_blocked",))
def buckets_block_public_access(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "public_access_blocked", True,
                 "public access is blocked", "public access is not blocked at bucket or account level")


@rule("ZT-DAT-007", "crypto.key", facts=("managed_by", "rotation_supported", "state", "rotation_enabled"))
def keys_rotated(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("managed_by") != "customer":
        return not_applicable("key is managed by the provider, which rotates it",
                              managed_by=resource.fact("managed_by"))
    if not resource.fact("rotation_supported"):
        return not_applicable("the platform cannot rotate this key automatically (asymmetric, HMAC, "
                              "imported material or external key store)", rotation_supported=False)
    state = resource.fact("state")
    if state != "Enabled":
        return not_applicable(f"key is not in use (state {state})", state=state)
    return _flag(resource, "rotation_enabled", True,
                 "automatic key rotation is on", "automatic key rotation is off")


@rule("ZT-DAT-008", "storage.bucket", facts=("min_tls_version",))
def minimum_tls_version(resource: Resource, index: InventoryIndex) -> Outcome:
    return _min_tls_outcome(resource)


@rule("ZT-DAT-009", "storage.bucket", facts=("public",))
def buckets_not_public(resource: Resource, index: InventoryIndex) -> Outcome:
    return _optional_flag(resource, "public", False,
                          "no policy, ACL or binding grants access to everyone",
                          "a policy, ACL or binding grants access to everyone",
                          "the platform reports no public grants for this bucket")


@rule("ZT-DAT-010", "storage.bucket", facts=("network_default_deny",))
def storage_network_default_deny(resource: Resource, index: InventoryIndex) -> Outcome:
    return _optional_flag(resource, "network_default_deny", True,
                          "network access is denied unless a rule allows it",
                          "network access is allowed from every network by default",
                          "the platform has no network default action for this bucket")


@rule("ZT-DAT-011", "crypto.vault", facts=("soft_delete",))
def vault_soft_delete(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "soft_delete", True,
                 "soft delete is on: deleted keys and secrets can be recovered",
                 "soft delete is off: deleted keys and secrets are lost at once")


@rule("ZT-DAT-012", "crypto.vault", facts=("purge_protection",))
def vault_purge_protection(resource: Resource, index: InventoryIndex) -> Outcome:
    return _flag(resource, "purge_protection", True,
                 "purge protection is on: deleted keys cannot be purged before the retention period ends",
                 "purge protection is off: deleted keys can be purged at once")


@rule("ZT-DAT-013", "database", facts=("tls_required",))
def database_tls_required(resource: Resource, index: InventoryIndex) -> Outcome:
    return _optional_flag(resource, "tls_required", True,
                          "the database rejects connections without TLS",
                          "the database accepts connections without TLS",
                          "the platform has no TLS enforcement setting for this database")


@rule("ZT-DAT-014", "database", facts=("min_tls_version",))
def database_minimum_tls_version(resource: Resource, index: InventoryIndex) -> Outcome:
    return _min_tls_outcome(resource)


RULES = (
    buckets_encrypted,
    volumes_encrypted,
    databases_encrypted,
    volume_encryption_default,
    buckets_require_tls,
    buckets_block_public_access,
    keys_rotated,
    minimum_tls_version,
    buckets_not_public,
    storage_network_default_deny,
    vault_soft_delete,
    vault_purge_protection,
    database_tls_required,
    database_minimum_tls_version,
)
