"""Build a fake Azure estate on :class:`FakeAzureServer`, in the shapes of Microsoft's example responses.

Each helper writes the JSON that an ARM or Graph operation returns, in the shape
of the examples in Microsoft's REST API specifications: ``id``, ``name``,
``type``, ``location``, ``etag`` and a ``properties`` object. It returns the new
resource's id, so tests can link resources the way ARM does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from tests.fakes.azure_server import FakeAzureServer

TENANT = "72f988bf-0000-4000-8000-000000000001"
GLOBAL_ADMIN_ROLE = "62e90394-69f5-4237-9190-012177145e10"
ETAG = 'W/"00000000-0000-0000-0000-000000000000"'

_SUBSCRIPTION_LISTS = (
    "providers/Microsoft.Network/networkSecurityGroups",
    "providers/Microsoft.Network/virtualNetworks",
    "providers/Microsoft.Network/networkInterfaces",
    "providers/Microsoft.Network/publicIPAddresses",
    "providers/Microsoft.Network/networkWatchers",
    "providers/Microsoft.Compute/virtualMachines",
    "providers/Microsoft.Compute/disks",
    "providers/Microsoft.Storage/storageAccounts",
    "providers/Microsoft.Sql/servers",
    "providers/Microsoft.KeyVault/vaults",
    "providers/Microsoft.Insights/diagnosticSettings",
)

_DEFAULT_RULES = (
    ("AllowVnetInBound", "Inbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", "Inbound", "Allow", 65001, "AzureLoadBalancer", "*"),
    ("DenyAllInBound", "Inbound", "Deny", 65500, "*", "*"),
    ("AllowVnetOutBound", "Outbound", "Allow", 65000, "VirtualNetwork", "VirtualNetwork"),
    ("AllowInternetOutBound", "Outbound", "Allow", 65001, "*", "Internet"),
    ("DenyAllOutBound", "Outbound", "Deny", 65500, "*", "*"),
)


def security_rule(name: str, priority: int, access: str = "Allow", direction: str = "Inbound",
                  protocol: str = "Tcp", port: str | None = None, ports: Iterable[str] = (),
                  source: str | None = None, sources: Iterable[str] = (), destination: str | None = "*",
                  source_groups: Iterable[str] = ()) -> dict[str, Any]:
    """Return the ``properties`` of one security rule; the NSG helper adds name, id and etag."""
    properties: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "protocol": protocol,
        "sourcePortRange": "*",
        "access": access,
        "priority": priority,
        "direction": direction,
        "sourcePortRanges": [],
        "destinationPortRanges": list(ports),
        "sourceAddressPrefixes": list(sources),
        "destinationAddressPrefixes": [],
    }
    if port is not None:
        properties["destinationPortRange"] = port
    if source is not None:
        properties["sourceAddressPrefix"] = source
    if destination is not None:
        properties["destinationAddressPrefix"] = destination
    if source_groups:
        properties["sourceApplicationSecurityGroups"] = [{"id": group} for group in source_groups]
    return {"name": name, "properties": properties}


@dataclass
class Subscription:
    server: FakeAzureServer
    subscription_id: str
    group: str = "rg1"
    location: str = "eastus"

    @property
    def base(self) -> str:
        return f"/subscriptions/{self.subscription_id}"

    def rid(self, provider_type: str, name: str, group: str | None = None) -> str:
        return f"{self.base}/resourceGroups/{group or self.group}/providers/{provider_type}/{name}"

    def _append(self, collection: str, item: dict[str, Any]) -> str:
        self.server.list_items(f"{self.base}/{collection}").append(item)
        return item["id"]

    def _link_nsg(self, group_id: str, field: str, resource_id: str) -> None:
        """Add the back-reference ARM keeps on an NSG to the subnets and interfaces that use it."""
        for group in self.server.list_items(f"{self.base}/providers/Microsoft.Network/networkSecurityGroups"):
            if group["id"].lower() == group_id.lower():
                group["properties"].setdefault(field, []).append({"id": resource_id})

    # -- network -----------------------------------------------------------

    def nsg(self, name: str, rules: Iterable[dict[str, Any]] = (), subnets: Iterable[str] = (),
            nics: Iterable[str] = (), location: str | None = None) -> str:
        group_id = self.rid("Microsoft.Network/networkSecurityGroups", name)
        custom = []
        for rule in rules:
            custom.append({"name": rule["name"], "id": f"{group_id}/securityRules/{rule['name']}", "etag": ETAG,
                           "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                           "properties": rule["properties"]})
        defaults = []
        for rule_name, direction, access, priority, source, destination in _DEFAULT_RULES:
            defaults.append({
                "name": rule_name, "id": f"{group_id}/defaultSecurityRules/{rule_name}", "etag": ETAG,
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded", "description": f"{rule_name} default rule",
                    "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                    "sourceAddressPrefix": source, "destinationAddressPrefix": destination,
                    "access": access, "priority": priority, "direction": direction,
                    "sourcePortRanges": [], "destinationPortRanges": [],
                    "sourceAddressPrefixes": [], "destinationAddressPrefixes": [],
                },
            })
        properties: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "resourceGuid": "00000000-0000-0000-0000-000000000001",
            "securityRules": custom,
            "defaultSecurityRules": defaults,
        }
        if subnets:
            properties["subnets"] = [{"id": subnet} for subnet in subnets]
        if nics:
            properties["networkInterfaces"] = [{"id": nic} for nic in nics]
        return self._append("providers/Microsoft.Network/networkSecurityGroups", {
            "name": name, "id": group_id, "etag": ETAG, "type": "Microsoft.Network/networkSecurityGroups",
            "location": location or self.location, "properties": properties,
        })

    def vnet(self, name: str, prefixes: Iterable[str] = ("10.0.0.0/16",),
             subnets: Iterable[tuple[str, str, str | None]] = (), peers: Iterable[str] = (),
             location: str | None = None) -> str:
        """Add a virtual network. ``subnets`` contains (name, prefix, NSG id or None) tuples."""
        vnet_id = self.rid("Microsoft.Network/virtualNetworks", name)
        subnet_items = []
        for subnet_name, prefix, group_id in subnets:
            properties: dict[str, Any] = {"addressPrefix": prefix, "provisioningState": "Succeeded"}
            if group_id:
                properties["networkSecurityGroup"] = {"id": group_id}
                self._link_nsg(group_id, "subnets", f"{vnet_id}/subnets/{subnet_name}")
            subnet_items.append({"name": subnet_name, "id": f"{vnet_id}/subnets/{subnet_name}", "etag": ETAG,
                                 "type": "Microsoft.Network/virtualNetworks/subnets", "properties": properties})
        peerings = [{
            "name": f"peer{index}", "id": f"{vnet_id}/virtualNetworkPeerings/peer{index}", "etag": ETAG,
            "properties": {"allowVirtualNetworkAccess": True, "peeringState": "Connected",
                           "provisioningState": "Succeeded", "remoteVirtualNetwork": {"id": peer}},
        } for index, peer in enumerate(peers)]
        return self._append("providers/Microsoft.Network/virtualNetworks", {
            "name": name, "id": vnet_id, "etag": ETAG, "type": "Microsoft.Network/virtualNetworks",
            "location": location or self.location,
            "properties": {
                "provisioningState": "Succeeded",
                "addressSpace": {"addressPrefixes": list(prefixes)},
                "subnets": subnet_items,
                "virtualNetworkPeerings": peerings,
                "enableDdosProtection": False,
            },
        })

    def watcher(self, location: str | None = None, flow_logs: Iterable[tuple[str, bool]] = ()) -> str:
        """Add a Network Watcher with flow logs given as (target resource id, enabled) pairs."""
        location = location or self.location
        name = f"NetworkWatcher_{location}"
        watcher_id = self.rid("Microsoft.Network/networkWatchers", name, group="NetworkWatcherRG")
        logs = []
        for index, (target, enabled) in enumerate(flow_logs):
            logs.append({
                "name": f"fl{index}", "id": f"{watcher_id}/flowLogs/fl{index}", "etag": ETAG,
                "type": "Microsoft.Network/networkWatchers/flowLogs", "location": location,
                "properties": {
                    "targetResourceId": target,
                    "storageId": self.rid("Microsoft.Storage/storageAccounts", "flowlogstore"),
                    "enabled": enabled,
                    "retentionPolicy": {"days": 90, "enabled": True},
                    "format": {"type": "JSON", "version": 2},
                    "provisioningState": "Succeeded",
                },
            })
        self.server.set_list(f"{watcher_id}/flowLogs", logs)
        return self._append("providers/Microsoft.Network/networkWatchers", {
            "name": name, "id": watcher_id, "etag": ETAG, "type": "Microsoft.Network/networkWatchers",
            "location": location, "properties": {"provisioningState": "Succeeded"},
        })

    def public_ip(self, name: str, address: str | None, nic: str | None = None) -> str:
        properties: dict[str, Any] = {"provisioningState": "Succeeded", "publicIPAddressVersion": "IPv4",
                                      "publicIPAllocationMethod": "Static", "idleTimeoutInMinutes": 4}
        if address:
            properties["ipAddress"] = address
        if nic:
            properties["ipConfiguration"] = {"id": f"{nic}/ipConfigurations/ipconfig1"}
        return self._append("providers/Microsoft.Network/publicIPAddresses", {
            "name": name, "id": self.rid("Microsoft.Network/publicIPAddresses", name), "etag": ETAG,
            "type": "Microsoft.Network/publicIPAddresses", "location": self.location,
            "sku": {"name": "Standard", "tier": "Regional"}, "properties": properties,
        })

    def nic(self, name: str, subnet: str, public_ip: str | None = None, nsg: str | None = None,
            vm: str | None = None) -> str:
        nic_id = self.rid("Microsoft.Network/networkInterfaces", name)
        configuration: dict[str, Any] = {"privateIPAddress": "10.0.0.4", "privateIPAllocationMethod": "Dynamic",
                                         "subnet": {"id": subnet}, "primary": True,
                                         "provisioningState": "Succeeded"}
        if public_ip:
            configuration["publicIPAddress"] = {"id": public_ip}
        properties: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "ipConfigurations": [{"name": "ipconfig1", "id": f"{nic_id}/ipConfigurations/ipconfig1", "etag": ETAG,
                                  "properties": configuration}],
            "enableAcceleratedNetworking": True, "enableIPForwarding": False,
        }
        if nsg:
            properties["networkSecurityGroup"] = {"id": nsg}
            self._link_nsg(nsg, "networkInterfaces", nic_id)
        if vm:
            properties["virtualMachine"] = {"id": vm}
        return self._append("providers/Microsoft.Network/networkInterfaces", {
            "name": name, "id": nic_id, "etag": ETAG, "type": "Microsoft.Network/networkInterfaces",
            "location": self.location, "properties": properties,
        })

    # -- compute -----------------------------------------------------------

    def vm(self, name: str, nics: Iterable[str] = (), encryption_at_host: bool | None = None,
           security_type: str | None = None) -> str:
        security: dict[str, Any] = {}
        if encryption_at_host is not None:
            security["encryptionAtHost"] = encryption_at_host
        if security_type:
            security.update(securityType=security_type,
                            uefiSettings={"secureBootEnabled": True, "vTpmEnabled": True})
        properties: dict[str, Any] = {
            "vmId": "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1",
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {"osDisk": {"osType": "Linux", "name": f"{name}_OsDisk", "createOption": "FromImage",
                                          "managedDisk": {"storageAccountType": "Premium_LRS"}}},
            "osProfile": {"computerName": name, "adminUsername": "azureuser"},
            "networkProfile": {"networkInterfaces": [{"id": nic} for nic in nics]},
            "provisioningState": "Succeeded",
        }
        if security:
            properties["securityProfile"] = security
        return self._append("providers/Microsoft.Compute/virtualMachines", {
            "name": name, "id": self.rid("Microsoft.Compute/virtualMachines", name),
            "type": "Microsoft.Compute/virtualMachines", "location": self.location, "properties": properties,
        })

    def disk(self, name: str, encryption_type: str = "EncryptionAtRestWithPlatformKey",
             managed_by: str | None = None) -> str:
        item: dict[str, Any] = {
            "name": name, "id": self.rid("Microsoft.Compute/disks", name), "type": "Microsoft.Compute/disks",
            "location": self.location, "sku": {"name": "Premium_LRS", "tier": "Premium"},
            "properties": {"osType": "Linux", "diskSizeGB": 30, "diskState": "Attached",
                           "encryption": {"type": encryption_type}, "provisioningState": "Succeeded",
                           "creationData": {"createOption": "Empty"}},
        }
        if managed_by:
            item["managedBy"] = managed_by
        return self._append("providers/Microsoft.Compute/disks", item)

    # -- storage -----------------------------------------------------------

    def storage_account(self, name: str, min_tls: str | None = "TLS1_2", https_only: bool = True,
                        allow_blob_public: bool | None = False, default_action: str = "Deny",
                        key_source: str = "Microsoft.Storage", versioning: bool = True, logging: bool = True,
                        containers: Iterable[tuple[str, str]] = (), kind: str = "StorageV2") -> str:
        account_id = self.rid("Microsoft.Storage/storageAccounts", name)
        properties: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/"},
            "primaryLocation": self.location, "statusOfPrimary": "available",
            "creationTime": "2024-01-01T00:00:00.0000000Z",
            "encryption": {"services": {"blob": {"keyType": "Account", "enabled": True},
                                        "file": {"keyType": "Account", "enabled": True}},
                           "keySource": key_source},
            "supportsHttpsTrafficOnly": https_only,
            "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                            "defaultAction": default_action},
            "accessTier": "Hot",
        }
        if min_tls is not None:
            properties["minimumTlsVersion"] = min_tls
        if allow_blob_public is not None:
            properties["allowBlobPublicAccess"] = allow_blob_public
        self.server.set_object(f"{account_id}/blobServices/default", {
            "id": f"{account_id}/blobServices/default", "name": "default",
            "type": "Microsoft.Storage/storageAccounts/blobServices",
            "properties": {"isVersioningEnabled": versioning,
                           "deleteRetentionPolicy": {"enabled": True, "days": 7}, "cors": {"corsRules": []}},
        })
        settings = []
        if logging:
            settings.append(diagnostic_setting(f"{account_id}/blobServices/default", "blob-logs",
                                               ["StorageRead", "StorageWrite", "StorageDelete"]))
        self.server.set_list(f"{account_id}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings",
                             settings)
        self.server.set_list(f"{account_id}/blobServices/default/containers", [{
            "id": f"{account_id}/blobServices/default/containers/{container}", "name": container,
            "type": "Microsoft.Storage/storageAccounts/blobServices/containers", "etag": '"0x8D589847D51C7DE"',
            "properties": {"publicAccess": access, "leaseStatus": "Unlocked", "hasImmutabilityPolicy": False},
        } for container, access in containers])
        return self._append("providers/Microsoft.Storage/storageAccounts", {
            "id": account_id, "name": name, "type": "Microsoft.Storage/storageAccounts", "location": self.location,
            "kind": kind, "sku": {"name": "Standard_GRS", "tier": "Standard"}, "tags": {"env": "prod"},
            "properties": properties,
        })

    # -- SQL ---------------------------------------------------------------

    def sql_server(self, name: str, public_access: str = "Disabled", min_tls: str | None = "1.2",
                   auditing: bool = True, databases: Iterable[tuple[str, bool, int]] = (("db1", True, 7),),
                   firewall: Iterable[tuple[str, str, str]] = ()) -> str:
        """Add a logical server.

        ``databases`` contains (name, TDE enabled, retention days) tuples and
        ``firewall`` contains (rule name, first IPv4 address, last IPv4 address) tuples.
        """
        server_id = self.rid("Microsoft.Sql/servers", name)
        self.server.set_list(f"{server_id}/firewallRules", [{
            "id": f"{server_id}/firewallRules/{rule}", "name": rule, "type": "Microsoft.Sql/servers/firewallRules",
            "properties": {"startIpAddress": start, "endIpAddress": end},
        } for rule, start, end in firewall])
        self.server.set_list(f"{server_id}/ipv6FirewallRules", [])
        properties: dict[str, Any] = {"administratorLogin": "dbadmin", "version": "12.0", "state": "Ready",
                                      "fullyQualifiedDomainName": f"{name}.database.windows.net",
                                      "publicNetworkAccess": public_access}
        if min_tls is not None:
            properties["minimalTlsVersion"] = min_tls
        self.server.set_object(f"{server_id}/auditingSettings/default", {
            "id": f"{server_id}/auditingSettings/default", "name": "Default",
            "type": "Microsoft.Sql/servers/auditingSettings",
            "properties": {"state": "Enabled" if auditing else "Disabled", "retentionDays": 0,
                           "isAzureMonitorTargetEnabled": auditing},
        })
        items = [{"id": f"{server_id}/databases/master", "name": "master", "location": self.location,
                  "type": "Microsoft.Sql/servers/databases", "properties": {"status": "Online"}}]
        for database, tde, retention in databases:
            database_id = f"{server_id}/databases/{database}"
            items.append({"id": database_id, "name": database, "location": self.location,
                          "type": "Microsoft.Sql/servers/databases", "sku": {"name": "S0", "tier": "Standard"},
                          "properties": {"status": "Online", "collation": "SQL_Latin1_General_CP1_CI_AS"}})
            self.server.set_object(f"{database_id}/transparentDataEncryption/current", {
                "id": f"{database_id}/transparentDataEncryption/current", "name": "current",
                "type": "Microsoft.Sql/servers/databases/transparentDataEncryption",
                "properties": {"state": "Enabled" if tde else "Disabled"},
            })
            self.server.set_object(f"{database_id}/backupShortTermRetentionPolicies/default", {
                "id": f"{database_id}/backupShortTermRetentionPolicies/default", "name": "default",
                "type": "Microsoft.Sql/servers/databases/backupShortTermRetentionPolicies",
                "properties": {"retentionDays": retention, "diffBackupIntervalInHours": 12},
            })
            self.server.set_object(f"{database_id}/auditingSettings/default", {
                "id": f"{database_id}/auditingSettings/default", "name": "Default",
                "type": "Microsoft.Sql/servers/databases/auditingSettings",
                "properties": {"state": "Disabled", "retentionDays": 0},
            })
        self.server.set_list(f"{server_id}/databases", items)
        return self._append("providers/Microsoft.Sql/servers", {
            "id": server_id, "name": name, "type": "Microsoft.Sql/servers", "location": self.location,
            "kind": "v12.0", "properties": properties,
        })

    # -- Key Vault ---------------------------------------------------------

    def vault(self, name: str, soft_delete: bool | None = True, purge_protection: bool | None = True,
              keys: Iterable[tuple[str, str | None]] = ()) -> str:
        """Add a vault. ``keys`` contains (name, rotation period such as "P90D" or None) tuples."""
        vault_id = self.rid("Microsoft.KeyVault/vaults", name)
        properties: dict[str, Any] = {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
                                      "accessPolicies": [], "enableRbacAuthorization": True,
                                      "vaultUri": f"https://{name}.vault.azure.net", "provisioningState": "Succeeded"}
        if soft_delete is not None:
            properties["enableSoftDelete"] = soft_delete
            properties["softDeleteRetentionInDays"] = 90
        if purge_protection is not None:
            properties["enablePurgeProtection"] = purge_protection
        listed = []
        for key_name, period in keys:
            key_id = f"{vault_id}/keys/{key_name}"
            key_properties: dict[str, Any] = {
                "attributes": {"enabled": True, "created": 1598533051, "updated": 1598533051,
                               "recoveryLevel": "Recoverable+Purgeable", "exportable": False},
                "kty": "RSA", "keyOps": ["encrypt", "decrypt", "wrapKey", "unwrapKey"], "keySize": 2048,
                "keyUri": f"https://{name}.vault.azure.net/keys/{key_name}",
                "keyUriWithVersion": f"https://{name}.vault.azure.net/keys/{key_name}/fd618d9519b74f9aae94ade66b876acc",
            }
            listed.append({"id": key_id, "name": key_name, "type": "Microsoft.KeyVault/vaults/keys",
                           "location": self.location, "properties": dict(key_properties)})
            if period:
                key_properties["rotationPolicy"] = {
                    "attributes": {"expiryTime": "P2Y"},
                    "lifetimeActions": [
                        {"trigger": {"timeAfterCreate": period}, "action": {"type": "rotate"}},
                        {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}},
                    ],
                }
            self.server.set_object(key_id, {"id": key_id, "name": key_name, "type": "Microsoft.KeyVault/vaults/keys",
                                            "location": self.location, "properties": key_properties})
        self.server.set_list(f"{vault_id}/keys", listed)
        return self._append("providers/Microsoft.KeyVault/vaults", {
            "id": vault_id, "name": name, "type": "Microsoft.KeyVault/vaults", "location": self.location,
            "tags": {}, "properties": properties,
        })

    # -- Activity Log ------------------------------------------------------

    def activity_log_export(self, categories: Iterable[str] = ("Administrative", "Security", "Policy")) -> None:
        self.server.list_items(f"{self.base}/providers/Microsoft.Insights/diagnosticSettings").append(
            diagnostic_setting(self.base, "export-activity-log", list(categories)))


def diagnostic_setting(resource_id: str, name: str, categories: list[str]) -> dict[str, Any]:
    return {
        "id": f"{resource_id}/providers/microsoft.insights/diagnosticSettings/{name}",
        "name": name, "type": "Microsoft.Insights/diagnosticSettings",
        "properties": {
            "workspaceId": "/subscriptions/00000000-0000-0000-0000-00000000aaaa/resourceGroups/logs/providers/"
                           "Microsoft.OperationalInsights/workspaces/central",
            "logs": [{"category": category, "enabled": True} for category in categories],
        },
    }


class Estate:
    """A tenant with subscriptions and Entra ID data on one fake server."""

    def __init__(self, server: FakeAzureServer, tenant_id: str = TENANT):
        self.server = server
        self.tenant_id = tenant_id
        self.subscriptions = server.set_list("/subscriptions")
        self.users = server.set_list("/v1.0/users", graph=True)
        self.registrations = server.set_list("/v1.0/reports/authenticationMethods/userRegistrationDetails",
                                             graph=True)
        self.role_assignments = server.set_list("/v1.0/roleManagement/directory/roleAssignments", graph=True)
        self.policies = server.set_list("/v1.0/identity/conditionalAccess/policies", graph=True)
        self.security_defaults(False)

    def subscription(self, subscription_id: str, name: str = "Production") -> Subscription:
        self.subscriptions.append({
            "id": f"/subscriptions/{subscription_id}", "subscriptionId": subscription_id, "tenantId": self.tenant_id,
            "displayName": name, "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased",
        })
        for collection in _SUBSCRIPTION_LISTS:
            self.server.set_list(f"/subscriptions/{subscription_id}/{collection}")
        return Subscription(self.server, subscription_id)

    def security_defaults(self, enabled: bool) -> None:
        self.server.set_object("/v1.0/policies/identitySecurityDefaultsEnforcementPolicy", {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/"
                              "identitySecurityDefaultsEnforcementPolicy/$entity",
            "id": "00000000-0000-0000-0000-000000000005",
            "displayName": "Security Defaults",
            "description": "Security defaults is a set of basic identity security mechanisms.",
            "isEnabled": enabled,
        })

    def mfa_policy(self, name: str, users: dict[str, Any], state: str = "enabled") -> None:
        self.policies.append({
            "id": f"policy-{len(self.policies) + 1}", "displayName": name, "state": state,
            "createdDateTime": "2024-01-01T00:00:00Z", "modifiedDateTime": None,
            "conditions": {
                "userRiskLevels": [], "signInRiskLevels": [], "clientAppTypes": ["all"],
                "platforms": None, "locations": None, "devices": None,
                "applications": {"includeApplications": ["All"], "excludeApplications": [],
                                 "includeUserActions": []},
                "users": {"includeUsers": [], "excludeUsers": [], "includeGroups": [], "excludeGroups": [],
                          "includeRoles": [], "excludeRoles": [], **users},
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [],
                              "termsOfUse": []},
            "sessionControls": None,
        })

    def user(self, name: str, mfa_registered: bool = True, enabled: bool = True,
             last_sign_in: str | None = "2026-11-30T08:00:00Z", admin_role: str | None = None) -> str:
        user_id = f"00000000-0000-4000-8000-{len(self.users) + 1:012d}"
        self.users.append({
            "id": user_id, "displayName": name.title(), "userPrincipalName": f"{name}@clinic.example",
            "accountEnabled": enabled, "userType": "Member", "createdDateTime": "2024-01-01T00:00:00Z",
            "lastPasswordChangeDateTime": "2026-10-01T00:00:00Z",
            "signInActivity": {"lastSignInDateTime": last_sign_in, "lastNonInteractiveSignInDateTime": None},
        })
        self.registrations.append({
            "id": user_id, "userPrincipalName": f"{name}@clinic.example", "userDisplayName": name.title(),
            "userType": "member", "isAdmin": admin_role is not None, "isSsprRegistered": mfa_registered,
            "isMfaCapable": mfa_registered, "isMfaRegistered": mfa_registered, "isPasswordlessCapable": False,
            "methodsRegistered": ["microsoftAuthenticatorPush"] if mfa_registered else [],
            "defaultMfaMethod": "pushNotification" if mfa_registered else "none",
            "lastUpdatedDateTime": "2026-11-30T08:00:00Z",
        })
        if admin_role:
            self.role_assignments.append({
                "id": f"assignment-{len(self.role_assignments) + 1}", "principalId": user_id,
                "roleDefinitionId": admin_role, "directoryScopeId": "/",
            })
        return user_id
