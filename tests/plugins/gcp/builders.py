"""REST-shaped GCP resources and a project layout for the fake server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.gcp_server import FakeGcpServer

COMPUTE = "https://www.googleapis.com/compute/v1"
KMS_LOCATIONS = ("global", "us-central1", "us", "europe-west1")
ORGANIZATION = "organizations/9001"


def network_link(project: str, name: str = "default") -> str:
    return f"{COMPUTE}/projects/{project}/global/networks/{name}"


def network(project: str, name: str = "default", auto: bool = True, subnets: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "kind": "compute#network", "id": "4501", "name": name, "selfLink": network_link(project, name),
        "autoCreateSubnetworks": auto, "subnetworks": list(subnets), "routingConfig": {"routingMode": "REGIONAL"},
    }


def subnetwork(project: str, name: str, region: str = "us-central1", network_name: str = "default",
               flow_logs: bool = False, private_access: bool = False, cidr: str = "10.128.0.0/20") -> dict[str, Any]:
    body = {
        "kind": "compute#subnetwork", "id": "7001", "name": name, "ipCidrRange": cidr,
        "network": network_link(project, network_name),
        "region": f"{COMPUTE}/projects/{project}/regions/{region}",
        "selfLink": f"{COMPUTE}/projects/{project}/regions/{region}/subnetworks/{name}",
        "privateIpGoogleAccess": private_access, "purpose": "PRIVATE", "stackType": "IPV4_ONLY",
    }
    if flow_logs:
        body["logConfig"] = {"enable": True, "aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5}
    return body


def firewall(project: str, name: str, network_name: str = "default", **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "compute#firewall", "id": "9001", "name": name, "network": network_link(project, network_name),
        "priority": 1000, "direction": "INGRESS", "disabled": False,
        "selfLink": f"{COMPUTE}/projects/{project}/global/firewalls/{name}",
        "logConfig": {"enable": False},
    }
    body.update(fields)
    return body


def instance(project: str, name: str, zone: str = "us-central1-a", nat_ip: str | None = None,
             metadata: dict[str, str] | None = None, shielded: bool = True,
             service_account: str = "app@p.iam.gserviceaccount.com",
             scopes: tuple[str, ...] = ("https://www.googleapis.com/auth/devstorage.read_only",)) -> dict[str, Any]:
    interface: dict[str, Any] = {"name": "nic0", "network": network_link(project), "networkIP": "10.128.0.2"}
    if nat_ip is not None:
        interface["accessConfigs"] = [{"name": "External NAT", "type": "ONE_TO_ONE_NAT", "natIP": nat_ip}]
    return {
        "kind": "compute#instance", "id": "3001", "name": name, "status": "RUNNING",
        "zone": f"{COMPUTE}/projects/{project}/zones/{zone}",
        "selfLink": f"{COMPUTE}/projects/{project}/zones/{zone}/instances/{name}",
        "networkInterfaces": [interface],
        "metadata": {"kind": "compute#metadata", "fingerprint": "abc=",
                     "items": [{"key": k, "value": v} for k, v in (metadata or {}).items()]},
        "serviceAccounts": [{"email": service_account, "scopes": list(scopes)}],
        "shieldedInstanceConfig": {"enableSecureBoot": shielded, "enableVtpm": shielded,
                                   "enableIntegrityMonitoring": shielded},
    }


def disk(project: str, name: str, zone: str = "us-central1-a", kms_key: str | None = None,
         users: tuple[str, ...] = ()) -> dict[str, Any]:
    body = {
        "kind": "compute#disk", "id": "5001", "name": name, "sizeGb": "10", "status": "READY",
        "zone": f"{COMPUTE}/projects/{project}/zones/{zone}",
        "selfLink": f"{COMPUTE}/projects/{project}/zones/{zone}/disks/{name}", "users": list(users),
    }
    if kms_key:
        body["diskEncryptionKey"] = {"kmsKeyName": kms_key + "/cryptoKeyVersions/1"}
    return body


def bucket(name: str, location: str = "US", **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "storage#bucket", "id": name, "name": name, "projectNumber": "123456789",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}", "location": location,
        "locationType": "multi-region", "storageClass": "STANDARD", "etag": "CAE=",
        "timeCreated": "2025-01-01T00:00:00.000Z", "updated": "2025-01-01T00:00:00.000Z",
    }
    body.update(fields)
    return body


def policy(bindings: dict[str, list[str]], audit_configs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"version": 1, "etag": "BwX=",
                            "bindings": [{"role": role, "members": members} for role, members in bindings.items()]}
    if audit_configs:
        body["auditConfigs"] = audit_configs
    return body


def sql_instance(project: str, name: str, region: str = "us-central1", ip_configuration: dict[str, Any] | None = None,
                 backup: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "sql#instance", "name": name, "project": project, "region": region, "state": "RUNNABLE",
        "databaseVersion": "POSTGRES_15", "instanceType": "CLOUD_SQL_INSTANCE",
        "selfLink": f"https://sqladmin.googleapis.com/v1/projects/{project}/instances/{name}",
        "settings": {"tier": "db-custom-1-3840",
                     "ipConfiguration": ip_configuration or {"ipv4Enabled": False},
                     "backupConfiguration": backup or {"enabled": True, "backupRetentionSettings":
                                                       {"retentionUnit": "COUNT", "retainedBackups": 7}}},
    }
    body.update(fields)
    return body


@dataclass
class ProjectLayout:
    """Everything one fake project serves. ``install`` registers it on the server."""

    project: str
    networks: list[dict[str, Any]] = field(default_factory=list)
    subnet_scopes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    firewalls: list[dict[str, Any]] = field(default_factory=list)
    firewall_page_size: int = 0
    instance_scopes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    disk_scopes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    project_metadata: dict[str, str] = field(default_factory=dict)
    buckets: list[dict[str, Any]] = field(default_factory=list)
    bucket_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    sql_instances: list[dict[str, Any]] = field(default_factory=list)
    iam_policy: dict[str, Any] = field(default_factory=lambda: policy({}))
    service_accounts: list[dict[str, Any]] = field(default_factory=list)
    service_account_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    crypto_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Parents from the nearest folder up to the organization, each with its IAM policy.
    ancestors: list[tuple[str, dict[str, Any]]] = field(default_factory=lambda: [(ORGANIZATION, policy({}))])

    def install(self, server: FakeGcpServer) -> None:
        p = self.project
        base = f"/compute/v1/projects/{p}"
        server.set_json(base, {"kind": "compute#project", "name": p, "id": "123456789",
                               "commonInstanceMetadata": {"items": [
                                   {"key": k, "value": v} for k, v in self.project_metadata.items()]},
                               "defaultServiceAccount": "123456789-compute@developer.gserviceaccount.com"})
        server.set_list(f"{base}/global/networks", self.networks)
        server.set_aggregated(f"{base}/aggregated/subnetworks", self.subnet_scopes or {"regions/us-east1": []},
                              "subnetworks")
        server.set_list(f"{base}/global/firewalls", self.firewalls, page_size=self.firewall_page_size)
        server.set_aggregated(f"{base}/aggregated/instances", self.instance_scopes or {"zones/us-east1-b": []},
                              "instances")
        server.set_aggregated(f"{base}/aggregated/disks", self.disk_scopes or {"zones/us-east1-b": []}, "disks")
        server.set_list("/storage/v1/b", self.buckets, query={"project": p}, extra={"kind": "storage#buckets"})
        for item in self.buckets:
            bucket_policy = self.bucket_policies.get(item["name"], policy({}))
            server.set_json(f"/storage/v1/b/{item['name']}/iam", {"kind": "storage#policy", **bucket_policy})
        server.set_list(f"/v1/projects/{p}/instances", self.sql_instances, extra={"kind": "sql#instancesList"})
        server.set_json(f"/v3/projects/{p}:getIamPolicy", self.iam_policy, method="POST")
        parent = self.ancestors[0][0] if self.ancestors else ""
        server.set_json(f"/v3/projects/{p}", {"name": "projects/123456789", "projectId": p, "parent": parent,
                                               "state": "ACTIVE", "displayName": p})
        for index, (name, ancestor_policy) in enumerate(self.ancestors):
            server.set_json(f"/v3/{name}:getIamPolicy", ancestor_policy, method="POST")
            if name.startswith("folders/"):
                above = self.ancestors[index + 1][0] if index + 1 < len(self.ancestors) else ""
                server.set_json(f"/v3/{name}", {"name": name, "parent": above, "state": "ACTIVE",
                                                "displayName": name})
        server.set_list(f"/v1/projects/{p}/serviceAccounts", self.service_accounts, field_name="accounts")
        for account in self.service_accounts:
            server.set_json(f"/v1/{account['name']}/keys",
                            {"keys": self.service_account_keys.get(account["email"], [])})
        for location in KMS_LOCATIONS:
            ring = f"projects/{p}/locations/{location}/keyRings/ring-{location}"
            keys = self.crypto_keys.get(location, [])
            server.set_list(f"/v1/projects/{p}/locations/{location}/keyRings",
                            [{"name": ring, "createTime": "2024-01-01T00:00:00Z"}] if keys else [],
                            field_name="keyRings")
            server.set_list(f"/v1/{ring}/cryptoKeys", [{"name": f"{ring}/cryptoKeys/{k.pop('short', 'key')}", **k}
                                                       for k in keys], field_name="cryptoKeys")


def service_account(project: str, email: str, disabled: bool = False) -> dict[str, Any]:
    return {"name": f"projects/{project}/serviceAccounts/{email}", "projectId": project,
            "uniqueId": "1170", "email": email, "disabled": disabled}


def account_key(project: str, email: str, key_id: str, created: str,
                expires: str = "9999-12-31T23:59:59Z", disabled: bool = False) -> dict[str, Any]:
    return {"name": f"projects/{project}/serviceAccounts/{email}/keys/{key_id}", "validAfterTime": created,
            "validBeforeTime": expires, "keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED", "disabled": disabled}
