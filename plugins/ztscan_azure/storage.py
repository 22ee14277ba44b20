"""Collect storage accounts (``storage.bucket``)."""

from __future__ import annotations

from typing import Any

from ztscan.provider import ApiOperation

from ztscan_azure import monitor
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
    "accounts": ApiOperation("storage", "storageAccounts.list", "Microsoft.Storage/storageAccounts/read",
                             "encryption, secure transfer, minimum TLS version, public access, network rules"),
    "blob_service": ApiOperation("storage", "blobServices.getServiceProperties",
                                 "Microsoft.Storage/storageAccounts/blobServices/read", "blob versioning"),
    "containers": ApiOperation("storage", "blobContainers.list",
                               "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                               "containers open to anonymous access"),
}

#: Blob resource log categories that record reads and writes, like S3 server access logs.
_ACCESS_LOG_CATEGORIES = {"StorageRead", "StorageWrite"}


def collect(session: AzureSession, recorder: Recorder, subscription_id: str) -> None:
    from azure.mgmt.storage import StorageManagementClient

    client = session.client(StorageManagementClient, subscription_id)
    try:
        accounts = recorder.call(OPS["accounts"], lambda: each(client.storage_accounts.list()),
                                 subscription_scope(subscription_id), [("storage.bucket", ())])
    except CallFailed:
        return
    for account in accounts:
        _add_account(session, client, recorder, subscription_id, account)


def _add_account(session: AzureSession, client: Any, recorder: Recorder, subscription_id: str,
                 account: dict[str, Any]) -> None:
    properties = props(account)
    scope = location_scope(subscription_id, account.get("location"))
    account_id = account["id"]
    key_source = (properties.get("encryption") or {}).get("keySource") or "Microsoft.Storage"
    network_rules = properties.get("networkAcls") or {}
    public_network = str(properties.get("publicNetworkAccess") or "Enabled").lower()
    blob_public_allowed = properties.get("allowBlobPublicAccess")
    facts: dict[str, Any] = {
        # Azure Storage encrypts all data at rest and the encryption cannot be switched off.
        "encrypted": True,
        "encryption": key_source,
        "key_type": "provider" if key_source.lower() == "microsoft.storage" else "customer",
        "tls_enforced": properties.get("supportsHttpsTrafficOnly") is not False,
        # The StorageAccount model of the ARM specification reads an unset minimumTlsVersion as TLS 1.0.
        "min_tls_version": properties.get("minimumTlsVersion") or "TLS1_0",
        # Before November 2023 an unset allowBlobPublicAccess meant allowed, so only False blocks.
        "public_access_blocked": blob_public_allowed is False,
        "network_default_deny": public_network == "disabled" or str(network_rules.get("defaultAction")) == "Deny",
    }
    if str(account.get("kind") or "").lower() == "filestorage":
        # A FileStorage account has no blob service, so the blob facts do not apply.
        facts.update(versioning=None, access_logging=None, public=None)
    else:
        _add_blob_facts(session, client, recorder, scope, account, facts)
    recorder.add("storage.bucket", account_id, scope, account.get("name", ""), facts, account.get("tags"))


def _add_blob_facts(session: AzureSession, client: Any, recorder: Recorder, scope: Any,
                    account: dict[str, Any], facts: dict[str, Any]) -> None:
    account_id = account["id"]
    group_name = id_part(account_id, "resourceGroups")
    name = account["name"]
    try:
        service = recorder.call(
            OPS["blob_service"], lambda: client.blob_services.get_service_properties(group_name, name), scope,
            [("storage.bucket", ("versioning",))], resource_id=account_id)
        facts["versioning"] = props(as_json(service)).get("isVersioningEnabled") is True
    except CallFailed:
        pass

    try:
        settings = recorder.call(
            monitor.OPS["resource_settings"],
            lambda: monitor.list_diagnostic_settings(session, f"{account_id}/blobServices/default"), scope,
            [("storage.bucket", ("access_logging",))], resource_id=account_id)
        # NOTE: classic Storage Analytics logging is a data-plane setting and is not read here.
        facts["access_logging"] = any(monitor.exports_logs(setting, _ACCESS_LOG_CATEGORIES) for setting in settings)
    except CallFailed:
        pass

    if facts["public_access_blocked"]:
        facts["public"] = False
        return
    try:
        containers = recorder.call(
            OPS["containers"], lambda: each(client.blob_containers.list(group_name, name)), scope,
            [("storage.bucket", ("public",))], resource_id=account_id)
        levels = {str(props(container).get("publicAccess") or "None").lower() for container in containers}
        facts["public"] = bool(levels & {"blob", "container"})
    except CallFailed:
        pass
