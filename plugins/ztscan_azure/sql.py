"""Collect Azure SQL databases (``database``) with the settings of their logical servers."""

from __future__ import annotations

import ipaddress
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
    "servers": ApiOperation("sql", "servers.list", "Microsoft.Sql/servers/read",
                            "public network access and minimal TLS version of logical servers"),
    "databases": ApiOperation("sql", "databases.listByServer", "Microsoft.Sql/servers/databases/read",
                              "databases of each server"),
    "tde": ApiOperation("sql", "transparentDataEncryptions.get",
                        "Microsoft.Sql/servers/databases/transparentDataEncryption/read",
                        "transparent data encryption state"),
    "server_auditing": ApiOperation("sql", "serverBlobAuditingPolicies.get",
                                    "Microsoft.Sql/servers/auditingSettings/read", "server auditing"),
    "database_auditing": ApiOperation("sql", "databaseBlobAuditingPolicies.get",
                                      "Microsoft.Sql/servers/databases/auditingSettings/read", "database auditing"),
    "firewall": ApiOperation("sql", "firewallRules.listByServer", "Microsoft.Sql/servers/firewallRules/read",
                             "IPv4 ranges the server firewall admits"),
    "ipv6_firewall": ApiOperation("sql", "ipv6FirewallRules.listByServer",
                                  "Microsoft.Sql/servers/ipv6FirewallRules/read",
                                  "IPv6 ranges the server firewall admits"),
    "retention": ApiOperation("sql", "backupShortTermRetentionPolicies.get",
                              "Microsoft.Sql/servers/databases/backupShortTermRetentionPolicies/read",
                              "point-in-time restore retention"),
}


#: The firewall range 0.0.0.0 to 0.0.0.0 is how ARM stores "Allow Azure services and resources to
#: access this server": connections from any Azure address, other customers' included.
AZURE_SERVICES_TAG = "AzureCloud"


def firewall_sources(start: str, end: str) -> list[str]:
    """Return the CIDR blocks that cover an SQL firewall rule's address range."""
    first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
    if first.version == 4 and int(first) == 0 and int(last) == 0:
        return [AZURE_SERVICES_TAG]
    return [str(network) for network in ipaddress.summarize_address_range(first, last)]


def firewall_rules(items: list[dict[str, Any]], ipv6: list[dict[str, Any]], public: bool) -> list[dict[str, Any]]:
    """Return SQL server firewall rules as FIREWALL_RULE_FIELDS dicts (allow TCP 1433 from each range).

    The rules have no effect while public network access is off, so they are then reported disabled.
    """
    rules = []
    for item, start_field, end_field in [(item, "startIpAddress", "endIpAddress") for item in items] + [
            (item, "startIPv6Address", "endIPv6Address") for item in ipv6]:
        properties = props(item)
        rules.append({
            "direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[1433, 1433]],
            "sources": firewall_sources(properties[start_field], properties[end_field]),
            "source_refs": [], "priority": None, "enabled": public, "builtin": False, "targets": None,
            "name": item.get("name") or "",
        })
    return rules


def _min_tls(value: Any) -> str:
    # NOTE: a server without minimalTlsVersion (or with "None") accepted TLS 1.0, so it is reported
    # as "1.0". Azure is reported to have ended TLS 1.0 and 1.1 for SQL in August 2025, which is unverified here.
    text = str(value or "").strip()
    return "1.0" if text in ("", "None") else text


def collect(session: AzureSession, recorder: Recorder, subscription_id: str) -> None:
    from azure.mgmt.sql import SqlManagementClient

    client = session.client(SqlManagementClient, subscription_id)
    try:
        servers = recorder.call(OPS["servers"], lambda: each(client.servers.list()),
                                subscription_scope(subscription_id), [("database", ())])
    except CallFailed:
        return
    for server in servers:
        _collect_server(client, recorder, subscription_id, server)


def _collect_server(client: Any, recorder: Recorder, subscription_id: str, server: dict[str, Any]) -> None:
    properties = props(server)
    group_name = id_part(server["id"], "resourceGroups")
    server_name = server["name"]
    scope = location_scope(subscription_id, server.get("location"))
    try:
        databases = recorder.call(OPS["databases"],
                                  lambda: each(client.databases.list_by_server(group_name, server_name)),
                                  scope, [("database", ())], resource_id=server["id"])
    except CallFailed:
        return
    databases = [database for database in databases if database.get("name") != "master"]
    if not databases:
        return
    public = str(properties.get("publicNetworkAccess") or "Enabled").lower() == "enabled"
    firewall_id = _collect_firewall(client, recorder, scope, server, group_name, public,
                                    [database["id"] for database in databases])
    try:
        policy = recorder.call(OPS["server_auditing"],
                               lambda: as_json(client.server_blob_auditing_policies.get(group_name, server_name)),
                               scope, [("database", ("auditing_enabled",))], resource_id=server["id"])
        server_auditing: bool | None = str(props(policy).get("state")).lower() == "enabled"
    except CallFailed:
        server_auditing = None

    for database in databases:
        name = database["name"]
        database_id = database["id"]
        db_scope = location_scope(subscription_id, database.get("location") or server.get("location"))
        facts: dict[str, Any] = {
            "engine": "azure-sql",
            # Public network access is on unless the server turns it off.
            "publicly_accessible": public,
            "cluster_id": None,
            # NOTE: private endpoints into a network are not read, so no network placement is reported.
            "network_id": None,
            # Azure SQL Database accepts only encrypted connections.
            "tls_required": True,
            "min_tls_version": _min_tls(properties.get("minimalTlsVersion")),
        }
        if firewall_id is not None:
            facts["firewall_ids"] = [firewall_id]
        affects = lambda *names: [("database", names)]  # noqa: E731 - short local helper
        try:
            tde = recorder.call(OPS["tde"],
                                lambda: as_json(client.transparent_data_encryptions.get(
                                    group_name, server_name, name, "current")),
                                db_scope, affects("storage_encrypted"), resource_id=database_id)
            facts["storage_encrypted"] = str(props(tde).get("state")).lower() == "enabled"
        except CallFailed:
            pass
        try:
            retention = recorder.call(OPS["retention"],
                                      lambda: as_json(client.backup_short_term_retention_policies.get(
                                          group_name, server_name, name, "default")),
                                      db_scope, affects("backup_retention_days"), resource_id=database_id)
            days = props(retention).get("retentionDays")
            facts["backup_retention_days"] = int(days) if days is not None else None
        except CallFailed:
            pass
        if server_auditing:
            facts["auditing_enabled"] = True
        elif server_auditing is False:
            try:
                policy = recorder.call(OPS["database_auditing"],
                                       lambda: as_json(client.database_blob_auditing_policies.get(
                                           group_name, server_name, name)),
                                       db_scope, affects("auditing_enabled"), resource_id=database_id)
                facts["auditing_enabled"] = str(props(policy).get("state")).lower() == "enabled"
            except CallFailed:
                pass
        else:
            recorder.record(db_scope, OPS["server_auditing"], "ServerPolicyUnreadable",
                            "the server auditing policy could not be read", affects("auditing_enabled"),
                            resource_id=database_id)
        recorder.add("database", database_id, db_scope, f"{server_name}/{name}", facts, database.get("tags"))


def _collect_firewall(client: Any, recorder: Recorder, scope: Any, server: dict[str, Any], group_name: str,
                      public: bool, database_ids: list[str]) -> str | None:
    """Add the server firewall as a ``network.firewall`` and return its id, or None when it could not be read."""
    server_name = server["name"]
    affects = [("network.firewall", ()), ("database", ("firewall_ids",))]
    try:
        items = recorder.call(OPS["firewall"],
                              lambda: each(client.firewall_rules.list_by_server(group_name, server_name)),
                              scope, affects, resource_id=server["id"])
        ipv6 = recorder.call(OPS["ipv6_firewall"],
                             lambda: each(client.ipv6_firewall_rules.list_by_server(group_name, server_name)),
                             scope, affects, resource_id=server["id"], not_found=[])
    except CallFailed:
        return None
    firewall_id = f"{server['id']}/firewallRules"
    recorder.add("network.firewall", firewall_id, scope, f"{server_name} firewall", {
        "rules": firewall_rules(items, ipv6, public),
        "is_default_group": False,
        "network_id": None,
        "attached_to": database_ids,
    })
    return firewall_id
