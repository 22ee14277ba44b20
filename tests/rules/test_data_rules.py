"""Data rules: encryption at rest, TLS, public access, key rotation, vault protection."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import CollectionError, Inventory, Resource, Scope, Severity, Status
from ztscan.rules import data

SCOPE = Scope("test", "acct", "region-1")


def resource(kind, **facts):
    return Resource(kind, f"{kind}-1", SCOPE, name="res-1", facts=facts)


FLAG_CASES = [
    pytest.param(data.buckets_encrypted, "storage.bucket", "encrypted", True, Status.PASS, id="bucket-encrypted"),
    pytest.param(data.buckets_encrypted, "storage.bucket", "encrypted", False, Status.FAIL, id="bucket-plain"),
    pytest.param(data.volumes_encrypted, "storage.volume", "encrypted", True, Status.PASS, id="volume-encrypted"),
    pytest.param(data.volumes_encrypted, "storage.volume", "encrypted", False, Status.FAIL, id="volume-plain"),
    pytest.param(data.databases_encrypted, "database", "storage_encrypted", True, Status.PASS, id="db-encrypted"),
    pytest.param(data.databases_encrypted, "database", "storage_encrypted", False, Status.FAIL, id="db-plain"),
    pytest.param(data.volume_encryption_default, "storage.encryption_default", "enabled", True, Status.PASS,
                 id="ebs-default-on"),
    pytest.param(data.volume_encryption_default, "storage.encryption_default", "enabled", False, Status.FAIL,
                 id="ebs-default-off"),
    pytest.param(data.buckets_require_tls, "storage.bucket", "tls_enforced", True, Status.PASS, id="tls-enforced"),
    pytest.param(data.buckets_require_tls, "storage.bucket", "tls_enforced", False, Status.FAIL, id="tls-optional"),
    pytest.param(data.buckets_block_public_access, "storage.bucket", "public_access_blocked", True, Status.PASS,
                 id="public-blocked"),
    pytest.param(data.buckets_block_public_access, "storage.bucket", "public_access_blocked", False, Status.FAIL,
                 id="public-not-blocked"),
    pytest.param(data.buckets_not_public, "storage.bucket", "public", False, Status.PASS, id="no-public-grant"),
    pytest.param(data.buckets_not_public, "storage.bucket", "public", True, Status.FAIL, id="all-users-grant"),
    pytest.param(data.buckets_not_public, "storage.bucket", "public", None, Status.NOT_APPLICABLE,
                 id="public-unknown-on-platform"),
    pytest.param(data.storage_network_default_deny, "storage.bucket", "network_default_deny", True, Status.PASS,
                 id="default-deny"),
    pytest.param(data.storage_network_default_deny, "storage.bucket", "network_default_deny", False, Status.FAIL,
                 id="default-allow"),
    pytest.param(data.storage_network_default_deny, "storage.bucket", "network_default_deny", None,
                 Status.NOT_APPLICABLE, id="no-network-default"),
    pytest.param(data.vault_soft_delete, "crypto.vault", "soft_delete", True, Status.PASS, id="soft-delete-on"),
    pytest.param(data.vault_soft_delete, "crypto.vault", "soft_delete", False, Status.FAIL, id="soft-delete-off"),
    pytest.param(data.vault_purge_protection, "crypto.vault", "purge_protection", True, Status.PASS,
                 id="purge-protection-on"),
    pytest.param(data.vault_purge_protection, "crypto.vault", "purge_protection", False, Status.FAIL,
                 id="purge-protection-off"),
    pytest.param(data.database_tls_required, "database", "tls_required", True, Status.PASS, id="db-tls-required"),
    pytest.param(data.database_tls_required, "database", "tls_required", False, Status.FAIL, id="db-tls-optional"),
    pytest.param(data.database_tls_required, "database", "tls_required", None, Status.NOT_APPLICABLE,
                 id="db-no-tls-setting"),
]


@pytest.mark.parametrize(("rule", "kind", "fact", "value", "expected"), FLAG_CASES)
def test_flag_rules(rule, kind, fact, value, expected):
    outcome = rule.check(resource(kind, **{fact: value}), None)
    assert outcome.status is expected


def test_flag_rejects_none_for_boolean_fact():
    with pytest.raises(ValueError, match="'encrypted' is None"):
        data.buckets_encrypted.check(resource("storage.bucket", encrypted=None), None)


def test_sse_s3_default_bucket_passes():
    bucket = resource("storage.bucket", encrypted=True, encryption="SSE-S3", key_type="provider")
    assert data.buckets_encrypted.check(bucket, None).status is Status.PASS


def test_aurora_cluster_encryption_passes():
    member = resource("database", storage_encrypted=True, cluster_id="aurora-1", backup_retention_days=None)
    assert data.databases_encrypted.check(member, None).status is Status.PASS


def key(managed_by="customer", supported=True, state="Enabled", rotation=True):
    return {"managed_by": managed_by, "rotation_supported": supported, "state": state, "rotation_enabled": rotation}


KEY_CASES = [
    pytest.param(key(), Status.PASS, id="rotation-on"),
    pytest.param(key(rotation=False), Status.FAIL, id="rotation-off"),
    pytest.param(key(managed_by="provider", rotation=False), Status.NOT_APPLICABLE, id="provider-managed"),
    pytest.param(key(supported=False, rotation=False), Status.NOT_APPLICABLE, id="asymmetric-or-imported"),
    pytest.param(key(state="Disabled", rotation=False), Status.NOT_APPLICABLE, id="disabled-key"),
    pytest.param(key(state="PendingDeletion", rotation=False), Status.NOT_APPLICABLE, id="pending-deletion"),
]


@pytest.mark.parametrize(("facts", "expected"), KEY_CASES)
def test_keys_rotated(facts, expected):
    assert data.keys_rotated.check(resource("crypto.key", **facts), None).status is expected


def test_unsupported_key_skips_rotation_fact():
    facts = {"managed_by": "customer", "rotation_supported": False}
    assert data.keys_rotated.check(resource("crypto.key", **facts), None).status is Status.NOT_APPLICABLE


TLS_CASES = [
    pytest.param("1.2", Status.PASS, id="dotted-1.2"),
    pytest.param("1.3", Status.PASS, id="dotted-1.3"),
    pytest.param("TLS1_2", Status.PASS, id="azure-TLS1_2"),
    pytest.param("TLS1_3", Status.PASS, id="azure-TLS1_3"),
    pytest.param("tls1.2", Status.PASS, id="lowercase-tls1.2"),
    pytest.param("TLSv1.2", Status.PASS, id="TLSv1.2"),
    pytest.param("TLS_1_2", Status.PASS, id="TLS_1_2"),
    pytest.param("1.10", Status.PASS, id="minor-compared-as-number"),
    pytest.param("1.0", Status.FAIL, id="dotted-1.0"),
    pytest.param("1.1", Status.FAIL, id="dotted-1.1"),
    pytest.param("TLS1_0", Status.FAIL, id="azure-TLS1_0"),
    pytest.param("TLS1_1", Status.FAIL, id="azure-TLS1_1"),
    pytest.param(None, Status.NOT_APPLICABLE, id="no-setting"),
]


@pytest.mark.parametrize(("version", "expected"), TLS_CASES)
def test_bucket_minimum_tls(version, expected):
    outcome = data.minimum_tls_version.check(resource("storage.bucket", min_tls_version=version), None)
    assert outcome.status is expected


@pytest.mark.parametrize(("version", "expected"), TLS_CASES)
def test_database_minimum_tls(version, expected):
    outcome = data.database_minimum_tls_version.check(resource("database", min_tls_version=version), None)
    assert outcome.status is expected


@pytest.mark.parametrize("value", ["SSL3", "", "latest", "1", "Disabled"])
def test_tls_unparseable_raises(value):
    with pytest.raises(ValueError, match=repr(value)):
        data.parse_tls_version(value)


def test_tls_unparseable_is_error_finding():
    inventory = Inventory(resources=[resource("storage.bucket", min_tls_version="SSL3")])
    [finding] = evaluate(inventory, [data.minimum_tls_version], {"ZT-DAT-008": Severity.MEDIUM})
    assert finding.status is Status.ERROR
    assert "'SSL3'" in finding.message


def test_bucket_listing_error_is_scope_error():
    inventory = Inventory()
    inventory.errors.append(CollectionError(SCOPE, "s3", "ListBuckets", "AccessDenied", "denied", "storage.bucket"))
    [finding] = evaluate(inventory, [data.buckets_encrypted], {"ZT-DAT-001": Severity.HIGH})
    assert finding.status is Status.ERROR
    assert finding.resource_id == SCOPE.label()
