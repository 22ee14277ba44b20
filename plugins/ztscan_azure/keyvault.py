"""Collect Key Vaults (``crypto.vault``) and their keys with rotation policies (``crypto.key``)."""

from __future__ import annotations

import re
from typing import Any

from ztscan.provider import ApiOperation

from ztscan_azure.arm import (
    AzureSession,
    CallFailed,
    Recorder,
    as_json,
    each,
    id_part,
    location_scope,
    props,
    subscription_scope,
)

OPS = {
    "vaults": ApiOperation("keyvault", "vaults.listBySubscription", "Microsoft.KeyVault/vaults/read",
                           "soft delete and purge protection"),
    "keys": ApiOperation("keyvault", "keys.list", "Microsoft.KeyVault/vaults/keys/read", "keys of each vault"),
    "key": ApiOperation("keyvault", "keys.get", "Microsoft.KeyVault/vaults/keys/read", "rotation policy of a key"),
}

_DURATION = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?$")


def duration_days(value: str | None) -> int | None:
    """Return an ISO 8601 date duration (``P90D``, ``P1Y``, ``P3M``) in days; a month counts 30 days, a year 365."""
    if not value:
        return None
    match = _DURATION.match(value.strip().upper())
    if match is None or not any(match.groupdict().values()):
        return None
    parts = {key: int(number or 0) for key, number in match.groupdict().items()}
    return parts["years"] * 365 + parts["months"] * 30 + parts["weeks"] * 7 + parts["days"]


def rotation(policy: dict[str, Any] | None) -> tuple[bool, int | None]:
    """Return whether a Key Vault rotation policy rotates the key automatically, and its period in days."""
    for action in (policy or {}).get("lifetimeActions") or ():
        if str((action.get("action") or {}).get("type") or "").lower() != "rotate":
            continue
        trigger = action.get("trigger") or {}
        after_create = duration_days(trigger.get("timeAfterCreate"))
        if after_create is not None:
            return True, after_create
        expiry = duration_days(((policy or {}).get("attributes") or {}).get("expiryTime"))
        before_expiry = duration_days(trigger.get("timeBeforeExpiry"))
        if before_expiry is not None:
            return True, expiry - before_expiry if expiry is not None else None
    return False, None


def collect(session: AzureSession, recorder: Recorder, subscription_id: str) -> None:
    from azure.mgmt.keyvault import KeyVaultManagementClient

    client = session.client(KeyVaultManagementClient, subscription_id)
    try:
        vaults = recorder.call(OPS["vaults"], lambda: each(client.vaults.list_by_subscription()),
                               subscription_scope(subscription_id), [("crypto.vault", ()), ("crypto.key", ())])
    except CallFailed:
        return
    for vault in vaults:
        properties = props(vault)
        scope = location_scope(subscription_id, vault.get("location"))
        recorder.add("crypto.vault", vault["id"], scope, vault.get("name", ""), {
            # ARM sets enableSoftDelete to true on every vault created without it, and true cannot be
            # reverted, so a vault whose response lacks it predates that default and counts as off.
            "soft_delete": properties.get("enableSoftDelete") is True,
            "purge_protection": properties.get("enablePurgeProtection") is True,
        }, vault.get("tags"))
        _collect_keys(client, recorder, vault, scope)


def _collect_keys(client: Any, recorder: Recorder, vault: dict[str, Any], scope: Any) -> None:
    group_name = id_part(vault["id"], "resourceGroups")
    vault_name = vault["name"]
    try:
        keys = recorder.call(OPS["keys"], lambda: each(client.keys.list(group_name, vault_name)), scope,
                             [("crypto.key", ())], resource_id=vault["id"])
    except CallFailed:
        return
    for key in keys:
        facts: dict[str, Any] = {
            "managed_by": "customer",
            "rotation_supported": not str(props(key).get("kty") or "").lower().startswith("oct"),
            "state": "Disabled" if (props(key).get("attributes") or {}).get("enabled") is False else "Enabled",
        }
        if "rotationPolicy" not in props(key):
            key_name = key["name"]
            try:
                key = recorder.call(OPS["key"], lambda: as_json(client.keys.get(group_name, vault_name, key_name)),
                                    scope, [("crypto.key", ("rotation_enabled", "rotation_period_days"))],
                                    resource_id=key["id"])
            except CallFailed:
                key = dict(key, unreadable=True)
        if not key.get("unreadable"):
            enabled, period = rotation(props(key).get("rotationPolicy"))
            facts["rotation_enabled"] = enabled
            facts["rotation_period_days"] = period
        recorder.add("crypto.key", key["id"], scope, f"{vault_name}/{key['name']}", facts, key.get("tags"))
