"""S3 buckets: default encryption, TLS enforcement, public access blocks, versioning and access logging."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.tags import region_tags, tags_of

log = logging.getLogger(__name__)

BUCKET = "storage.bucket"
BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ENCRYPTION_NAMES = {"AES256": "SSE-S3", "aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}
BUCKET_FACTS = ("encrypted", "encryption", "key_type", "tls_enforced", "min_tls_version",
                "public_access_blocked", "public", "versioning", "access_logging", "network_default_deny")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _covers_everyone_and_s3(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS")))
    actions = {a.lower() for a in _as_list(statement.get("Action"))}
    return everyone and bool(actions & {"s3:*", "*"})


def _condition_values(statement: dict[str, Any], operators: tuple[str, ...], key: str) -> list[Any]:
    values: list[Any] = []
    for operator, conditions in (statement.get("Condition") or {}).items():
        if operator not in operators or not isinstance(conditions, dict):
            continue
        for name, value in conditions.items():
            if name.lower() == key.lower():
                values.extend(_as_list(value))
    return values


def _deny_statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(policy.get("Statement"))
            if isinstance(s, dict) and s.get("Effect") == "Deny" and _covers_everyone_and_s3(s)]


def denies_plain_http(policy: dict[str, Any]) -> bool:
    """Return True when a Deny for every principal and every S3 action applies when aws:SecureTransport is false."""
    for statement in _deny_statements(policy):
        values = _condition_values(statement, ("Bool", "BoolIfExists"), "aws:SecureTransport")
        if any(str(v).lower() == "false" for v in values):
            return True
    return False


#: The TLS floor of every AWS API endpoint, S3 included, since June 2023 (AWS Security Blog,
#: "TLS 1.2 to become the minimum TLS protocol level for all AWS API endpoints", 2022).
PLATFORM_MINIMUM_TLS = "1.2"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def minimum_tls_version(policy: dict[str, Any] | None) -> str:
    """Return the lowest TLS version a bucket accepts.

    That is the platform floor, or a higher version below which a Deny on s3:TlsVersion
    in the bucket policy rejects requests.
    """
    versions = [PLATFORM_MINIMUM_TLS]
    for statement in _deny_statements(policy or {}):
        versions += [str(v) for v in _condition_values(statement, ("NumericLessThan",), "s3:TlsVersion")]
    return max(versions, key=_version_key)


def encryption_facts(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """Return the encryption facts of a GetBucketEncryption configuration (None: no configuration)."""
    rules = (configuration or {}).get("Rules") or []
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    algorithm = default.get("SSEAlgorithm")
    if not algorithm:
        return {"encrypted": False, "encryption": None, "key_type": None}
    key = default.get("KMSMasterKeyID")
    # NOTE: a key given by the ARN of the AWS-managed aws/s3 key, not by its alias, counts as customer-managed.
    if algorithm == "AES256" or not key or key.endswith("alias/aws/s3"):
        key_type = "provider"
    else:
        key_type = "customer"
    return {"encrypted": True, "encryption": ENCRYPTION_NAMES.get(algorithm, algorithm), "key_type": key_type}


#: The largest MaxBuckets that ListBuckets accepts.
LIST_BUCKETS_PAGE_SIZE = 10_000


def bucket_region(location: str | None) -> str:
    """Map GetBucketLocation's LocationConstraint to a region name."""
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def read_block(read: Callable[[], dict[str, Any]]) -> dict[str, bool]:
    """Return a public access block configuration, or all flags False when none is set."""
    try:
        return read()
    except ApiFailure as failure:
        if failure.code == "NoSuchPublicAccessBlockConfiguration":
            return {flag: False for flag in BLOCK_FLAGS}
        raise


def collect_buckets(target: Target, regions: set[str]) -> None:
    """Add every bucket located in one of ``regions``; ``target`` is the account-wide (global) target."""
    try:
        # Any request parameter makes S3 return each bucket's region (BucketRegion), which saves a
        # GetBucketLocation per bucket; MaxBuckets at its largest value also keeps the pages few.
        buckets = target.paginate("s3", "ListBuckets", "Buckets",
                                  PaginationConfig={"PageSize": LIST_BUCKETS_PAGE_SIZE})
    except ApiFailure as failure:
        target.record(failure, BUCKET)
        return
    try:
        account_block: dict[str, bool] | None = read_block(lambda: target.call(
            "s3control", "GetPublicAccessBlock", AccountId=target.account)["PublicAccessBlockConfiguration"])
    except ApiFailure as failure:
        target.record(failure, BUCKET, ("public_access_blocked", "public"))
        account_block = None
    target.map(lambda bucket: _collect_bucket(target, bucket, account_block, regions), buckets)


def _collect_bucket(target: Target, bucket: dict[str, Any], account_block: dict[str, bool] | None,
                    regions: set[str]) -> None:
    name = bucket["Name"]
    arn = f"arn:{target.partition}:s3:::{name}"
    region = bucket.get("BucketRegion")
    if not region:
        # S3-compatible endpoints and simulators may leave BucketRegion out of the listing.
        try:
            location = target.call("s3", "GetBucketLocation", Bucket=name).get("LocationConstraint")
        except ApiFailure as failure:
            # Without the region the bucket cannot be read reliably, so every fact stays uncollected.
            target.record(failure, BUCKET, BUCKET_FACTS, arn)
            target.add(BUCKET, arn, name, {})
            return
        region = bucket_region(location)
    if region not in regions:
        log.debug("bucket %s is in %s, outside the scanned regions", name, region)
        return
    where = target.in_region(region)
    facts: dict[str, Any] = {}

    def read(operation: str, facts_on_failure: tuple[str, ...], **handled: Callable[[], None]) -> dict | None:
        try:
            return where.call("s3", operation, Bucket=name)
        except ApiFailure as failure:
            if failure.code in handled:
                handled[failure.code]()
                return None
            where.record(failure, BUCKET, facts_on_failure, arn)
            return None

    encryption = read("GetBucketEncryption", ("encrypted", "encryption", "key_type"),
                      ServerSideEncryptionConfigurationNotFoundError=lambda: facts.update(encryption_facts(None)))
    if encryption is not None:
        facts.update(encryption_facts(encryption.get("ServerSideEncryptionConfiguration")))

    def no_policy() -> None:
        facts.update(tls_enforced=False, min_tls_version=minimum_tls_version(None))

    policy = read("GetBucketPolicy", ("tls_enforced", "min_tls_version"), NoSuchBucketPolicy=no_policy)
    if policy is not None:
        document = json.loads(policy["Policy"])
        facts.update(tls_enforced=denies_plain_http(document), min_tls_version=minimum_tls_version(document))
    # GetBucketPolicy returned NoSuchBucketPolicy: with no policy, no policy grant can make the bucket public.
    policy_absent = policy is None and "tls_enforced" in facts

    effective: dict[str, bool] | None = None
    try:
        block = read_block(lambda: where.call("s3", "GetPublicAccessBlock", Bucket=name)["PublicAccessBlockConfiguration"])
        if account_block is not None:
            effective = {f: bool(block.get(f) or account_block.get(f)) for f in BLOCK_FLAGS}
            facts["public_access_blocked"] = all(effective.values())
    except ApiFailure as failure:
        where.record(failure, BUCKET, ("public_access_blocked", "public"), arn)
    _public_facts(where, name, arn, effective, policy_absent, facts)
    # S3 has no network default action; VPC endpoint policies are outside this fact.
    facts["network_default_deny"] = None

    versioning = read("GetBucketVersioning", ("versioning",))
    if versioning is not None:
        facts["versioning"] = versioning.get("Status") == "Enabled"
    logging_config = read("GetBucketLogging", ("access_logging",))
    if logging_config is not None:
        facts["access_logging"] = "LoggingEnabled" in logging_config
    # Tags come from the region's tagging listing; a failed listing is recorded once under the pseudo-fact "tags".
    where.add(BUCKET, arn, name, facts, tags_of(region_tags(where, BUCKET), arn))


PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


def _public_facts(where: Target, name: str, arn: str, effective: dict[str, bool] | None,
                  policy_absent: bool, facts: dict[str, Any]) -> None:
    """Set ``public``: the bucket policy or ACL grants access to everyone and no block neutralizes it.

    A source is read only when it can change the result: GetBucketPolicyStatus is
    skipped when the bucket has no policy or an effective RestrictPublicBuckets
    makes policy grants irrelevant, and GetBucketAcl is skipped when an effective
    IgnorePublicAcls makes ACL grants irrelevant. With the effective public access
    block unknown, a grant found leaves ``public`` uncollected, because a block may
    neutralize it.
    """
    restricted = effective is not None and effective["RestrictPublicBuckets"]
    ignored = effective is not None and effective["IgnorePublicAcls"]
    policy_public = False
    if not (policy_absent or restricted):
        try:
            status = where.call("s3", "GetBucketPolicyStatus", Bucket=name)
            policy_public = bool(status["PolicyStatus"].get("IsPublic"))
        except ApiFailure as failure:
            if failure.code != "NoSuchBucketPolicy":
                where.record(failure, BUCKET, ("public",), arn)
                return
    acl_public = False
    if not ignored:
        try:
            grants = where.call("s3", "GetBucketAcl", Bucket=name).get("Grants", [])
        except ApiFailure as failure:
            where.record(failure, BUCKET, ("public",), arn)
            return
        acl_public = any(g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS for g in grants)
    if effective is None and (policy_public or acl_public):
        return
    # Grants that an effective block neutralizes were not read, or were read as False above.
    facts["public"] = policy_public or acl_public
