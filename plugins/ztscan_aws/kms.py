"""KMS keys and the rotation of customer-managed keys."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.ec2 import region_aliases

KEY = "crypto.key"
ROTATION_FACTS = ("rotation_supported", "rotation_enabled", "rotation_period_days")
#: Key origins whose key material AWS cannot rotate automatically: imported material and custom key stores.
UNROTATABLE_ORIGINS = {"EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"}
#: Key states in which GetKeyRotationStatus succeeds. Other states raise KMSInvalidStateException.
READABLE_STATES = {"Enabled", "Disabled"}


def automatic_rotation_supported(metadata: dict[str, Any]) -> bool:
    """Return True only for symmetric encryption keys with AWS-generated material in the standard key store."""
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    return (spec == "SYMMETRIC_DEFAULT" and metadata.get("Origin", "AWS_KMS") not in UNROTATABLE_ORIGINS
            and not metadata.get("CustomKeyStoreId"))


def collect_keys(target: Target) -> None:
    try:
        keys = target.paginate("kms", "ListKeys", "Keys")
    except ApiFailure as failure:
        target.record(failure, KEY)
        return
    if not keys:
        return  # no key to name, so the region's aliases are not listed
    aliases: dict[str, list[str]] = {}
    try:
        for alias in region_aliases(target):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    except ApiFailure as failure:
        # Aliases only name keys and confirm AWS-managed ones; KeyManager still decides.
        target.record(failure, KEY, ("managed_by",))
    target.map(lambda key: _collect_key(target, key["KeyArn"], key["KeyId"], aliases.get(key["KeyId"], [])), keys)


def _collect_key(target: Target, arn: str, key_id: str, aliases: list[str]) -> None:
    try:
        metadata = target.call("kms", "DescribeKey", KeyId=key_id)["KeyMetadata"]
    except ApiFailure as failure:
        target.record(failure, KEY, ("managed_by", "state") + ROTATION_FACTS, arn)
        target.add(KEY, arn, aliases[0].removeprefix("alias/") if aliases else key_id, {})
        return
    # Aliases under alias/aws/ are reserved for AWS-managed keys (moto 5.2 reports such keys as CUSTOMER).
    aws_alias = any(alias.startswith("alias/aws/") for alias in aliases)
    customer = metadata.get("KeyManager") == "CUSTOMER" and not aws_alias
    state = metadata.get("KeyState", "")
    facts: dict[str, Any] = {"managed_by": "customer" if customer else "provider", "state": state}
    if customer:
        facts.update(_rotation_facts(target, arn, key_id, metadata, state))
    name = aliases[0].removeprefix("alias/") if aliases else metadata.get("Description") or key_id
    target.add(KEY, arn, name, facts)


def _rotation_facts(target: Target, arn: str, key_id: str, metadata: dict[str, Any], state: str) -> dict[str, Any]:
    if not automatic_rotation_supported(metadata):
        return {"rotation_supported": False, "rotation_enabled": False, "rotation_period_days": None}
    if state not in READABLE_STATES:
        # Keys pending deletion or import cannot be queried; they are not rotating.
        return {"rotation_supported": True, "rotation_enabled": False, "rotation_period_days": None}
    try:
        status = target.call("kms", "GetKeyRotationStatus", KeyId=key_id)
    except ApiFailure as failure:
        target.record(failure, KEY, ("rotation_enabled", "rotation_period_days"), arn)
        return {"rotation_supported": True}
    enabled = bool(status.get("KeyRotationEnabled"))
    return {"rotation_supported": True, "rotation_enabled": enabled,
            "rotation_period_days": status.get("RotationPeriodInDays") if enabled else None}
