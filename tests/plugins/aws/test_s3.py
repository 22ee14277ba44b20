"""S3 bucket collection: encryption, TLS enforcement, public access blocks."""

from __future__ import annotations

import json

import pytest

from ztscan_aws.s3 import denies_plain_http, encryption_facts, minimum_tls_version

from ztscan_aws.s3 import collect_buckets

from .accounts import SSE_S3_DEFAULT
from .hooks import ACCOUNT, REGION, by_name, collect_with, inject

def _deny(condition: dict, principal=("*"), action="s3:*") -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": principal, "Action": action,
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Condition": condition}]}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(_deny({"Bool": {"aws:SecureTransport": "false"}}), True, id="bool-string"),
        pytest.param(_deny({"BoolIfExists": {"aws:SecureTransport": False}}), True, id="boolifexists-literal"),
        pytest.param(_deny({"Bool": {"aws:SecureTransport": "false"}}, principal={"AWS": "*"}, action="*"),
                     True, id="aws-star-principal"),
        pytest.param(_deny({"Bool": {"aws:SecureTransport": "true"}}), False, id="wrong-value"),
        pytest.param(_deny({"Bool": {"aws:SecureTransport": "false"}}, principal={"AWS": "arn:aws:iam::1:root"}),
                     False, id="one-principal"),
        pytest.param(_deny({"Bool": {"aws:SecureTransport": "false"}}, action="s3:GetObject"),
                     False, id="one-action"),
    ],
)
def test_tls_policy_detection(policy, expected):
    assert denies_plain_http(policy) is expected


def test_tls_version_from_policy():
    policy = _deny({"NumericLessThan": {"s3:TlsVersion": "1.3"}})
    assert minimum_tls_version(policy) == "1.3"


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(None, id="no-policy"),
        pytest.param(_deny({"Bool": {"aws:SecureTransport": "false"}}), id="policy-without-version"),
        pytest.param(_deny({"NumericLessThan": {"s3:TlsVersion": "1.0"}}), id="policy-below-floor"),
    ],
)
def test_tls_version_platform_floor(policy):
    assert minimum_tls_version(policy) == "1.2"


@pytest.mark.parametrize(
    ("algorithm", "key", "encryption", "key_type"),
    [
        pytest.param("AES256", None, "SSE-S3", "provider", id="sse-s3"),
        pytest.param("aws:kms", "arn:aws:kms:us-east-1:1:key/abc", "SSE-KMS", "customer", id="sse-kms"),
        pytest.param("aws:kms", None, "SSE-KMS", "provider", id="sse-kms-aws-key"),
        pytest.param("aws:kms:dsse", "arn:aws:kms:us-east-1:1:key/abc", "DSSE-KMS", "customer", id="dsse"),
    ],
)
def test_encryption_facts(algorithm, key, encryption, key_type):
    default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
    facts = encryption_facts({"Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
    assert facts == {"encrypted": True, "encryption": encryption, "key_type": key_type}


def test_sse_s3_default_encrypted(session):
    session.client("s3").create_bucket(Bucket="clinic-default")
    inject(session, "s3", "GetBucketEncryption", parsed=SSE_S3_DEFAULT)

    bucket = by_name(collect_with(session, collect_buckets, {REGION}, region="global"), "storage.bucket")["clinic-default"]

    assert bucket.facts["encrypted"] is True
    assert bucket.facts["encryption"] == "SSE-S3"
    assert bucket.facts["key_type"] == "provider"


def test_no_encryption_config_unencrypted(session):
    session.client("s3").create_bucket(Bucket="clinic-plain")

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    bucket = by_name(inventory, "storage.bucket")["clinic-plain"]

    assert bucket.facts["encrypted"] is False
    assert bucket.facts["encryption"] is None
    assert bucket.facts["tls_enforced"] is False
    assert bucket.facts["public_access_blocked"] is False
    assert inventory.errors == []


def test_settings_collected(session):
    s3 = session.client("s3")
    s3.create_bucket(Bucket="clinic-good")
    s3.create_bucket(Bucket="clinic-logs")
    s3.put_bucket_acl(Bucket="clinic-logs", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    s3.put_bucket_versioning(Bucket="clinic-good", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(Bucket="clinic-good", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "clinic-logs", "TargetPrefix": "good/"}})
    s3.put_bucket_policy(Bucket="clinic-good", Policy=json.dumps(_deny({"Bool": {"aws:SecureTransport": "false"}})))
    s3.put_public_access_block(Bucket="clinic-good", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
    session.client("s3control").put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})

    buckets = by_name(collect_with(session, collect_buckets, {REGION}, region="global"), "storage.bucket")

    good = buckets["clinic-good"].facts
    assert good["versioning"] is True
    assert good["access_logging"] is True
    assert good["tls_enforced"] is True
    assert good["public_access_blocked"] is True  # bucket and account flags combine per flag
    assert buckets["clinic-logs"].facts["public_access_blocked"] is False


def test_denied_policy_read_recorded(session):
    session.client("s3").create_bucket(Bucket="clinic-denied")
    inject(session, "s3", "GetBucketPolicy", code="AccessDenied")

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    bucket = by_name(inventory, "storage.bucket")["clinic-denied"]

    assert "tls_enforced" not in bucket.facts
    assert "encrypted" in bucket.facts
    errors = [e for e in inventory.errors if e.operation == "GetBucketPolicy"]
    assert len(errors) == 1
    assert errors[0].code == "AccessDenied"
    assert errors[0].resource_id == "arn:aws:s3:::clinic-denied"
    assert "tls_enforced" in errors[0].facts
    assert errors[0].kind == "storage.bucket"


@pytest.mark.parametrize(("ignore_acls", "public"), [(False, True), (True, False)], ids=["acl-open", "acl-ignored"])
def test_public_acl(session, ignore_acls, public):
    s3 = session.client("s3")
    s3.create_bucket(Bucket="clinic-open")
    s3.put_bucket_acl(Bucket="clinic-open", ACL="public-read")
    s3.put_public_access_block(Bucket="clinic-open", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": ignore_acls, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})

    bucket = by_name(collect_with(session, collect_buckets, {REGION}, region="global"), "storage.bucket")["clinic-open"]

    assert bucket.facts["public"] is public
    assert bucket.facts["network_default_deny"] is None


def test_bucket_outside_regions_left_out(session):
    session.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="clinic-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})

    east = collect_with(session, collect_buckets, {REGION}, region="global")
    west = collect_with(session, collect_buckets, {"eu-west-1"}, region="global")

    assert east.resources == []
    assert [r.scope.region for r in west.resources] == ["eu-west-1"]


def test_bucket_tags(session):
    s3 = session.client("s3")
    s3.create_bucket(Bucket="clinic-tagged")
    s3.create_bucket(Bucket="clinic-untagged")
    s3.put_bucket_tagging(Bucket="clinic-tagged", Tagging={"TagSet": [{"Key": "ephi", "Value": "true"}]})

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    buckets = by_name(inventory, "storage.bucket")

    assert buckets["clinic-tagged"].tags == {"ephi": "true"}
    assert buckets["clinic-untagged"].tags == {}
    assert inventory.errors == []


def test_tagging_denied_keeps_facts(session):
    s3 = session.client("s3")
    s3.create_bucket(Bucket="clinic-secret")
    s3.put_bucket_tagging(Bucket="clinic-secret", Tagging={"TagSet": [{"Key": "ephi", "Value": "true"}]})
    inject(session, "resource-groups-tagging-api", "GetResources", code="AccessDenied")

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    bucket = by_name(inventory, "storage.bucket")["clinic-secret"]

    assert bucket.tags == {}
    assert bucket.facts["versioning"] is False
    assert bucket.facts["encrypted"] is False
    assert [(e.operation, e.facts, e.resource_id) for e in inventory.errors] == [("GetResources", ("tags",), None)]
