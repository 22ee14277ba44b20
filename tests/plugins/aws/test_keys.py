"""KMS collection: which keys get rotation facts and which are never asked for rotation status."""

from __future__ import annotations

import pytest

from ztscan_aws.kms import collect_keys

from .hooks import CallRecorder, by_id, collect_with, inject, request_parameters, response

KEY_KINDS = {
    "asymmetric": {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"},
    "hmac": {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    "imported": {"Origin": "EXTERNAL"},
}


@pytest.mark.parametrize("case", sorted(KEY_KINDS))
def test_unrotatable_key_not_queried(session, case):
    key = session.client("kms").create_key(**KEY_KINDS[case])["KeyMetadata"]
    recorder = CallRecorder(session)

    inventory = collect_with(session, collect_keys)
    facts = by_id(inventory, "crypto.key")[key["Arn"]].facts

    assert facts["managed_by"] == "customer"
    assert facts["rotation_supported"] is False
    assert facts["rotation_enabled"] is False
    assert recorder.count("kms", "GetKeyRotationStatus") == 0


def test_custom_key_store_not_queried(session):
    """moto cannot create custom key stores, so DescribeKey returns a recorded CloudHSM key."""
    key = session.client("kms").create_key()["KeyMetadata"]
    recorded = {**key, "Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "cks-1234567890abcdef0",
                "CloudHsmClusterId": "cluster-234567abcdef"}
    inject(session, "kms", "DescribeKey", parsed={"KeyMetadata": recorded})
    recorder = CallRecorder(session)

    facts = by_id(collect_with(session, collect_keys), "crypto.key")[key["Arn"]].facts

    assert facts["rotation_supported"] is False
    assert recorder.count("kms", "GetKeyRotationStatus") == 0


def test_symmetric_rotation_read(session):
    kms = session.client("kms")
    rotating = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=rotating["KeyId"])
    static = kms.create_key()["KeyMetadata"]

    keys = by_id(collect_with(session, collect_keys), "crypto.key")

    assert keys[rotating["Arn"]].facts["rotation_supported"] is True
    assert keys[rotating["Arn"]].facts["rotation_enabled"] is True
    assert keys[static["Arn"]].facts["rotation_enabled"] is False


def test_aws_managed_key_no_rotation_facts(session):
    key = session.client("kms").create_key()["KeyMetadata"]
    inject(session, "kms", "DescribeKey", parsed={"KeyMetadata": {**key, "KeyManager": "AWS"}})
    recorder = CallRecorder(session)

    facts = by_id(collect_with(session, collect_keys), "crypto.key")[key["Arn"]].facts

    assert facts["managed_by"] == "provider"
    assert "rotation_enabled" not in facts
    assert recorder.count("kms", "GetKeyRotationStatus") == 0


def test_rotation_status_denied_recorded(session):
    key = session.client("kms").create_key()["KeyMetadata"]
    inject(session, "kms", "GetKeyRotationStatus", code="AccessDeniedException", status=400)

    inventory = collect_with(session, collect_keys)
    facts = by_id(inventory, "crypto.key")[key["Arn"]].facts

    assert "rotation_enabled" not in facts
    assert facts["rotation_supported"] is True
    assert [e.resource_id for e in inventory.errors] == [key["Arn"]]
    assert inventory.errors[0].code == "AccessDeniedException"


def test_request_parameters_json():
    """KMS uses the JSON protocol, so injected handlers read JSON bodies."""
    assert request_parameters({"body": b'{"KeyId": "k"}'}) == {"KeyId": "k"}
    assert response(400, {})[0].status_code == 400


def test_aws_alias_marks_provider_key(session):
    """moto reports the key behind alias/aws/ebs as customer-managed; AWS reserves alias/aws/ for its own keys."""
    kms = session.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/clinic-records", TargetKeyId=key["KeyId"])
    session.client("ec2").create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True)

    keys = collect_with(session, collect_keys).resources

    named = {r.name: r for r in keys}
    assert named["clinic-records"].facts["managed_by"] == "customer"
    ebs = [r for r in keys if r.name == "aws/ebs"]
    assert len(ebs) == 1
    assert ebs[0].facts["managed_by"] == "provider"
