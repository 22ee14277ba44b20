"""Cloud Storage buckets and their IAM policies.

A bucket's scope region is its location lowercased (``us``, ``eu``,
``us-central1``, ``nam4``), so multi-region and dual-region buckets keep the
location Google reports. Cloud Storage accepts only HTTPS, so ``tls_enforced`` is
always True; it has no minimum TLS version setting per bucket, so
``min_tls_version`` is None.
"""

from __future__ import annotations

from typing import Any

from ztscan.model import GLOBAL

from ztscan_gcp.common import ProjectRun

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})


def bucket_id(name: str) -> str:
    return f"//storage.googleapis.com/projects/_/buckets/{name}"


def bucket_resource(bucket: Any) -> dict[str, Any]:
    """Return the REST fields ztscan reads, from a google.cloud.storage Bucket's public properties."""
    return {
        "name": bucket.name,
        "location": bucket.location,
        # IAMConfiguration is the bucket's iamConfiguration JSON object as a dict, with
        # uniformBucketLevelAccess defaulted to disabled when the API sent only bucketPolicyOnly.
        "iamConfiguration": dict(bucket.iam_configuration or {}),
        "encryption": {"defaultKmsKeyName": bucket.default_kms_key_name},
        "versioning": {"enabled": bool(bucket.versioning_enabled)},
        "logging": bucket.get_logging(),
    }


def uniform_access(iam_configuration: dict[str, Any]) -> bool:
    """Return True when uniform bucket-level access is on, under its current or its older name."""
    for name in ("uniformBucketLevelAccess", "bucketPolicyOnly"):
        if (iam_configuration.get(name) or {}).get("enabled"):
            return True
    return False


def bucket_facts(resource: dict[str, Any]) -> dict[str, Any]:
    """Normalize the bucket fields that do not need the IAM policy."""
    iam_configuration = resource.get("iamConfiguration") or {}
    kms_key = (resource.get("encryption") or {}).get("defaultKmsKeyName")
    logging_config = resource.get("logging") or {}
    return {
        "encrypted": True,
        "encryption": "cloud-kms" if kms_key else "google-managed",
        "key_type": "customer" if kms_key else "provider",
        "tls_enforced": True,
        "min_tls_version": None,
        "public_access_blocked": iam_configuration.get("publicAccessPrevention") == "enforced",
        "uniform_access": uniform_access(iam_configuration),
        "versioning": bool((resource.get("versioning") or {}).get("enabled")),
        "access_logging": bool(logging_config.get("logBucket")),
        "network_default_deny": None,
    }


def public_members(bindings: list[dict[str, Any]]) -> list[str]:
    """Return the roles granted to ``allUsers`` or ``allAuthenticatedUsers``, as ``role:member`` strings."""
    found = []
    for binding in bindings:
        for member in binding.get("members", ()):
            if member in PUBLIC_MEMBERS:
                found.append(f"{binding.get('role', '')}:{member}")
    return found


def collect(run: ProjectRun) -> None:
    """Collect the buckets of one project with their IAM policies."""
    client = run.apis.storage(run.project)
    ok, buckets = run.call(
        "storage", "buckets.list", "storage.bucket",
        lambda: list(client.list_buckets(project=run.project, retry=run.apis.retry(),
                                         timeout=run.apis.timeout())))
    if not ok:
        return
    for bucket in buckets or ():
        resource = bucket_resource(bucket)
        identifier = bucket_id(bucket.name)
        region = (resource.get("location") or GLOBAL).lower()
        facts = bucket_facts(resource)
        # NOTE: without uniform bucket-level access, object ACLs can still make single objects
        # public. Only the bucket policy is read, which includes the bucket ACL as legacy roles.
        got_policy, policy = run.call(
            "storage", "buckets.getIamPolicy", "storage.bucket",
            lambda: bucket.get_iam_policy(requested_policy_version=3, retry=run.apis.retry(),
                                          timeout=run.apis.timeout()),
            facts=("public",), resource_id=identifier, region=region)
        if got_policy:
            facts["public"] = bool(public_members(list(policy.bindings)))
        run.add("storage.bucket", identifier, bucket.name, region, facts)
