"""The ``public`` fact of buckets for every combination of policy, ACL and effective public access block.

GetBucketPolicyStatus and GetBucketAcl are read only when they can change the
answer; these cases check that the fact stays what reading both would give.
"""

from __future__ import annotations

import json
from itertools import product

import pytest

from ztscan_aws.s3 import collect_buckets

from .hooks import REGION, CallRecorder, by_name, collect_with, inject

BUCKET = "clinic-case"
ALLOW_READ = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}
DENY_HTTP = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}/*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def _setup(session, policy: str, acl: str, block: dict[str, bool] | None) -> list[int]:
    """Create the bucket; return a list that grows by one per GetBucketPolicyStatus request."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    status_calls: list[int] = []
    if policy != "absent":
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(ALLOW_READ if policy == "public" else DENY_HTTP))
        inject(session, "s3", "GetBucketPolicyStatus", parsed={"PolicyStatus": {"IsPublic": policy == "public"}},
               when=lambda params: status_calls.append(1) is None)
    if acl == "public":
        s3.put_bucket_acl(Bucket=BUCKET, ACL="public-read")
    if block is not None:
        s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "BlockPublicPolicy": False, **block})
    return status_calls


def _case_id(policy: str, acl: str, restrict: bool, ignore: bool) -> str:
    return (f"policy-{policy}-acl-{acl}-{'restrict' if restrict else 'no-restrict'}-"
            f"{'ignore-acls' if ignore else 'no-ignore-acls'}")


CASES = [pytest.param(policy, acl, restrict, ignore, id=_case_id(policy, acl, restrict, ignore))
         for policy, acl, restrict, ignore in product(("absent", "private", "public"), ("private", "public"),
                                                      (False, True), (False, True))]


@pytest.mark.parametrize(("policy", "acl", "restrict", "ignore"), CASES)
def test_public_combination(session, policy, acl, restrict, ignore):
    status_calls = _setup(session, policy, acl, {"RestrictPublicBuckets": restrict, "IgnorePublicAcls": ignore})
    recorder = CallRecorder(session)

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    facts = by_name(inventory, "storage.bucket")[BUCKET].facts

    assert facts["public"] is ((policy == "public" and not restrict) or (acl == "public" and not ignore))
    assert len(status_calls) == (1 if policy != "absent" and not restrict else 0)
    assert recorder.count("s3", "GetBucketAcl") == (0 if ignore else 1)
    assert inventory.errors == []


@pytest.mark.parametrize(("policy", "acl", "public"), [
    pytest.param("absent", "private", False, id="no-grant"),
    pytest.param("public", "private", None, id="policy-grant"),
    pytest.param("absent", "public", None, id="acl-grant"),
    pytest.param("private", "private", False, id="private-policy"),
])
def test_public_block_unknown(session, policy, acl, public):
    # With the account block unreadable, a bucket's own block cannot skip a read: the account may add flags.
    status_calls = _setup(session, policy, acl, {"RestrictPublicBuckets": True, "IgnorePublicAcls": True})
    inject(session, "s3-control", "GetPublicAccessBlock", code="AccessDenied")
    recorder = CallRecorder(session)

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    facts = by_name(inventory, "storage.bucket")[BUCKET].facts

    assert facts.get("public") is public
    assert ("public" in facts) is (public is not None)
    assert recorder.count("s3", "GetBucketAcl") == 1
    assert len(status_calls) == (0 if policy == "absent" else 1)


def test_public_policy_unreadable(session):
    # A denied GetBucketPolicy leaves the policy unknown, so its status is read.
    status_calls = _setup(session, "public", "private", None)
    inject(session, "s3", "GetBucketPolicy", code="AccessDenied")

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    facts = by_name(inventory, "storage.bucket")[BUCKET].facts

    assert facts["public"] is True
    assert len(status_calls) == 1


def test_public_status_denied(session):
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(ALLOW_READ))
    inject(session, "s3", "GetBucketPolicyStatus", code="AccessDenied")

    inventory = collect_with(session, collect_buckets, {REGION}, region="global")
    facts = by_name(inventory, "storage.bucket")[BUCKET].facts

    assert "public" not in facts
    assert [(e.operation, e.facts) for e in inventory.errors] == [("GetBucketPolicyStatus", ("public",))]
