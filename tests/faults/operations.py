"""Map requests seen by the fake Azure and GCP servers to the operation ids the providers declare.

A request that matches no pattern maps to None: the least-privilege test
reports it as an undeclared operation.
"""

from __future__ import annotations

import re

_SUB = r"^/subscriptions/[^/]+"
_GROUP_RESOURCE = r"(/resourcegroups/[^/]+)?/providers/"

#: (HTTP method, path pattern, query check or None, operation id as "service.operation").
AZURE_ROUTES: list[tuple[str, str, str | None, str]] = [
    ("GET", r"^/subscriptions$", None, "resources.subscriptions.list"),
    ("GET", _SUB + r"/providers/microsoft\.network/networksecuritygroups$", None,
     "network.networkSecurityGroups.listAll"),
    ("GET", _SUB + r"/providers/microsoft\.network/virtualnetworks$", None, "network.virtualNetworks.listAll"),
    ("GET", _SUB + r"/providers/microsoft\.network/networkinterfaces$", None, "network.networkInterfaces.listAll"),
    ("GET", _SUB + r"/providers/microsoft\.network/publicipaddresses$", None, "network.publicIPAddresses.listAll"),
    ("GET", _SUB + r"/providers/microsoft\.network/networkwatchers$", None, "network.networkWatchers.listAll"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.network/networkwatchers/[^/]+/flowlogs$", None,
     "network.flowLogs.list"),
    ("GET", _SUB + r"/providers/microsoft\.compute/virtualmachines$", None, "compute.virtualMachines.listAll"),
    ("GET", _SUB + r"/providers/microsoft\.compute/disks$", None, "compute.disks.list"),
    ("GET", _SUB + r"/providers/microsoft\.storage/storageaccounts$", None, "storage.storageAccounts.list"),
    ("GET", _SUB + r"/providers/microsoft\.sql/servers$", None, "sql.servers.list"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.sql/servers/[^/]+/databases$", None,
     "sql.databases.listByServer"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.sql/servers/[^/]+/firewallrules$", None,
     "sql.firewallRules.listByServer"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.sql/servers/[^/]+/ipv6firewallrules$", None,
     "sql.ipv6FirewallRules.listByServer"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.sql/servers/[^/]+/auditingsettings/[^/]+$", None,
     "sql.serverBlobAuditingPolicies.get"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.sql/servers/[^/]+/databases/[^/]+/auditingsettings/[^/]+$", None,
     "sql.databaseBlobAuditingPolicies.get"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.sql/servers/[^/]+/databases/[^/]+/transparentdataencryption/[^/]+$",
     None, "sql.transparentDataEncryptions.get"),
    ("GET", _SUB + _GROUP_RESOURCE
     + r"microsoft\.sql/servers/[^/]+/databases/[^/]+/backupshorttermretentionpolicies/[^/]+$", None,
     "sql.backupShortTermRetentionPolicies.get"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.storage/storageaccounts/[^/]+/blobservices/default$", None,
     "storage.blobServices.getServiceProperties"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.storage/storageaccounts/[^/]+/blobservices/default/containers$",
     None, "storage.blobContainers.list"),
    ("GET", _SUB + r"/providers/microsoft\.keyvault/vaults$", None, "keyvault.vaults.listBySubscription"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.keyvault/vaults/[^/]+/keys$", None, "keyvault.keys.list"),
    ("GET", _SUB + _GROUP_RESOURCE + r"microsoft\.keyvault/vaults/[^/]+/keys/[^/]+$", None, "keyvault.keys.get"),
    ("GET", _SUB + r"/providers/microsoft\.insights/diagnosticsettings$", None,
     "monitor.subscriptionDiagnosticSettings.list"),
    ("GET", _SUB + r"/.+/providers/microsoft\.insights/diagnosticsettings$", None, "monitor.diagnosticSettings.list"),
    ("GET", r"^/v1\.0/policies/identitysecuritydefaultsenforcementpolicy$", None,
     "graph.identitySecurityDefaultsEnforcementPolicy.get"),
    ("GET", r"^/v1\.0/identity/conditionalaccess/policies$", None, "graph.conditionalAccessPolicies.list"),
    ("GET", r"^/v1\.0/users$", "signInActivity", "graph.users.list(signInActivity)"),
    ("GET", r"^/v1\.0/users$", None, "graph.users.list"),
    ("GET", r"^/v1\.0/reports/authenticationmethods/userregistrationdetails$", None,
     "graph.userRegistrationDetails.list"),
    ("GET", r"^/v1\.0/rolemanagement/directory/roleassignments$", None, "graph.roleAssignments.list"),
]

#: Sign-in requests: the identity platform, not an API a role grants.
AZURE_SIGN_IN = re.compile(r"(/\.well-known/openid-configuration|/oauth2/v2\.0/token|/discovery/)", re.IGNORECASE)

_PROJECT = r"/projects/[^/:]+"
GCP_ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"^/compute/v1" + _PROJECT + "$", "compute.projects.get"),
    ("GET", r"^/compute/v1" + _PROJECT + r"/aggregated/instances$", "compute.instances.aggregatedList"),
    ("GET", r"^/compute/v1" + _PROJECT + r"/aggregated/disks$", "compute.disks.aggregatedList"),
    ("GET", r"^/compute/v1" + _PROJECT + r"/global/networks$", "compute.networks.list"),
    ("GET", r"^/compute/v1" + _PROJECT + r"/aggregated/subnetworks$", "compute.subnetworks.aggregatedList"),
    ("GET", r"^/compute/v1" + _PROJECT + r"/global/firewalls$", "compute.firewalls.list"),
    ("GET", r"^/storage/v1/b$", "storage.buckets.list"),
    ("GET", r"^/storage/v1/b/[^/]+/iam$", "storage.buckets.getIamPolicy"),
    ("GET", r"^/v1" + _PROJECT + r"/instances$", "sqladmin.instances.list"),
    ("GET", r"^/v1" + _PROJECT + r"/serviceAccounts$", "iam.serviceAccounts.list"),
    ("GET", r"^/v1" + _PROJECT + r"/serviceAccounts/[^/]+/keys$", "iam.serviceAccounts.keys.list"),
    ("POST", r"^/v3" + _PROJECT + r":getIamPolicy$", "cloudresourcemanager.projects.getIamPolicy"),
    ("GET", r"^/v3" + _PROJECT + "$", "cloudresourcemanager.projects.get"),
    ("GET", r"^/v3/folders/[^/:]+$", "cloudresourcemanager.folders.get"),
    ("POST", r"^/v3/folders/[^/:]+:getIamPolicy$", "cloudresourcemanager.folders.getIamPolicy"),
    ("POST", r"^/v3/organizations/[^/:]+:getIamPolicy$", "cloudresourcemanager.organizations.getIamPolicy"),
    ("GET", r"^/v3/projects$", "cloudresourcemanager.projects.list"),
    ("GET", r"^/v3/folders$", "cloudresourcemanager.folders.list"),
    ("GET", r"^/v1" + _PROJECT + r"/locations$", "cloudkms.locations.list"),
    ("GET", r"^/v1" + _PROJECT + r"/locations/[^/]+/keyRings$", "cloudkms.keyRings.list"),
    ("GET", r"^/v1" + _PROJECT + r"/locations/[^/]+/keyRings/[^/]+/cryptoKeys$", "cloudkms.cryptoKeys.list"),
    ("POST", r"^/v1/projects/-/serviceAccounts/[^/:]+:generateAccessToken$",
     "iamcredentials.serviceAccounts.generateAccessToken"),
]

#: The OAuth token endpoint a service-account key file names: sign-in, not an API a role grants.
GCP_SIGN_IN = re.compile(r"^/token$")


def azure_operation(method: str, path: str, query: dict[str, list[str]]) -> str | None:
    """Return the declared operation id of an ARM or Graph request, or None."""
    for route_method, pattern, query_marker, operation in AZURE_ROUTES:
        if method != route_method or not re.search(pattern, path, re.IGNORECASE):
            continue
        if query_marker is not None and query_marker not in (query.get("$select") or [""])[0]:
            continue
        return operation
    return None


def gcp_operation(method: str, path: str) -> str | None:
    """Return the declared operation id of a Google Cloud REST request, or None."""
    for route_method, pattern, operation in GCP_ROUTES:
        if method == route_method and re.search(pattern, path):
            return operation
    return None


_READ_VERBS = ("get", "list", "describe", "aggregatedlist", "listall", "listbysubscription", "listbyserver")


def is_read_operation(operation: str) -> bool:
    """Tell whether an operation name is a read: get, list or describe (IAM's GenerateCredentialReport too)."""
    name = operation.rsplit(".", 1)[-1] if "." in operation else operation
    name = name.split("(")[0].split(".")[-1].lower()
    if operation.endswith("GenerateCredentialReport"):
        return True
    return name.startswith(("get", "list", "describe")) or name in _READ_VERBS


def is_read_permission(provider: str, permission: str) -> bool:
    """Tell whether a permission string grants only reads in the provider's permission model."""
    if provider == "aws":
        action = permission.split(":", 1)[1]
        return action.startswith(("Get", "List", "Describe")) or permission == "iam:GenerateCredentialReport"
    if provider == "azure":
        if "/" in permission:
            return permission.lower().endswith("/read")
        return ".Read." in permission
    verb = permission.rsplit(".", 1)[-1]
    if verb in ("getAccessToken", "getOpenIdToken", "signBlob", "signJwt", "actAs"):
        return False  # these mint credentials, whatever their names suggest
    return verb.startswith(("get", "list"))
