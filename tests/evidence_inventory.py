"""A hand-made inventory of a small clinic network, shared by the snapshot, asset, network map and command tests."""

from __future__ import annotations

from typing import Any

from ztscan.model import CollectionError, Inventory, Resource, Scope, ScopeRecord, ScopeState

ACCOUNT = "111122223333"
EAST = Scope("aws", ACCOUNT, "us-east-1")
GLOBAL_SCOPE = Scope("aws", ACCOUNT)

VPC = "vpc-prod"
PEER_VPC = "vpc-analytics"
PUBLIC_SUBNET = "subnet-public"
PRIVATE_SUBNET = "subnet-private"
IGW = "igw-prod"
WEB_GROUP = "sg-web"
SSH_GROUP = "sg-ssh"
DB_GROUP = "sg-db"
WEB = "i-web"
WORKER = "i-worker"
UNKNOWN_INSTANCE = "i-unknown"
DATABASE = "db-ehr"
PUBLIC_DATABASE = "db-reports"
PORTAL = "lb-portal"
PUBLIC_BUCKET = "bucket-public"
PRIVATE_BUCKET = "bucket-private"
VOLUME = "vol-web"


def firewall_rule(name: str, port: int, source: str, action: str = "allow", protocol: str = "tcp") -> dict[str, Any]:
    return {"direction": "ingress", "action": action, "protocol": protocol, "ports": [[port, port]],
            "sources": [source], "source_refs": [], "priority": None, "enabled": True, "builtin": False,
            "targets": None, "name": name}


def resource(kind: str, resource_id: str, name: str = "", scope: Scope = EAST, tags: dict[str, str] | None = None,
             **facts: Any) -> Resource:
    return Resource(kind=kind, id=resource_id, scope=scope, name=name or resource_id, facts=facts, tags=tags or {})


def clinic_inventory() -> Inventory:
    """Return a network with every kind of internet path, ePHI tags, one unknown fact and one collection error."""
    resources = [
        resource("network", VPC, "prod", is_default=False, flow_logs_enabled=True, cidrs=["10.0.0.0/16"],
                 peerings=[PEER_VPC], tags={"ephi": "true"}),
        resource("network", PEER_VPC, "analytics", is_default=False, flow_logs_enabled=False,
                 cidrs=["10.1.0.0/16"], peerings=[VPC]),
        resource("network.subnet", PUBLIC_SUBNET, "public-a", network_id=VPC, cidr="10.0.1.0/24",
                 flow_logs_enabled=None, private_google_access=None, public=True),
        resource("network.subnet", PRIVATE_SUBNET, "private-a", network_id=VPC, cidr="10.0.2.0/24",
                 flow_logs_enabled=None, private_google_access=None, public=False),
        resource("network.gateway", IGW, "prod-igw", gateway_type="internet", network_ids=[VPC]),
        resource("network.firewall", WEB_GROUP, "web", network_id=VPC, is_default_group=False,
                 attached_to=[WEB], rules=[firewall_rule("https", 443, "0.0.0.0/0")]),
        resource("network.firewall", SSH_GROUP, "ssh-office", network_id=VPC, is_default_group=False,
                 attached_to=[WORKER], rules=[firewall_rule("ssh", 22, "203.0.113.0/24")]),
        resource("network.firewall", DB_GROUP, "db", network_id=VPC, is_default_group=False,
                 attached_to=[DATABASE, PUBLIC_DATABASE], rules=[firewall_rule("postgres", 5432, "::/0")]),
        resource("compute.instance", WEB, "web-1", tags={"ePHI": "yes", "Owner": "platform-team"},
                 public_ips=["198.51.100.7"], firewall_ids=[WEB_GROUP], network_id=VPC, subnet_id=PUBLIC_SUBNET,
                 metadata_token_required=True),
        resource("compute.instance", WORKER, "worker-1", public_ips=["198.51.100.8"], firewall_ids=[SSH_GROUP],
                 network_id=VPC, subnet_id=PUBLIC_SUBNET, metadata_token_required=True),
        # The firewall groups of this instance could not be collected: its exposure is unknown.
        resource("compute.instance", UNKNOWN_INSTANCE, "legacy-1", public_ips=["198.51.100.9"], network_id=VPC,
                 metadata_token_required=False),
        resource("database", DATABASE, "ehr", tags={"ephi": "true"}, engine="postgres", storage_encrypted=True,
                 publicly_accessible=False, backup_retention_days=14, network_id=VPC, firewall_ids=[DB_GROUP]),
        resource("database", PUBLIC_DATABASE, "reports", tags={"ephi": "true"}, engine="postgres",
                 storage_encrypted=False, publicly_accessible=True, backup_retention_days=1, network_id=VPC,
                 firewall_ids=[DB_GROUP]),
        resource("network.load_balancer", PORTAL, "portal", scheme="internet-facing", network_id=VPC,
                 firewall_ids=[WEB_GROUP],
                 listeners=[{"port": 443, "protocol": "HTTPS", "redirects_to_https": False}]),
        resource("storage.bucket", PUBLIC_BUCKET, "brochures", encrypted=True, key_type="provider", public=True,
                 public_access_blocked=False),
        resource("storage.bucket", PRIVATE_BUCKET, "scans", tags={"ephi": "true", "owner": "radiology"},
                 encrypted=True, key_type="customer", public=False, public_access_blocked=True),
        resource("storage.volume", VOLUME, "web-root", encrypted=False, key_type=None, attached_to=[WEB]),
        resource("identity.password_policy", "password-policy", scope=GLOBAL_SCOPE, present=True),
    ]
    errors = [CollectionError(EAST, "ec2", "DescribeInstanceAttribute", "AccessDenied", "not authorized",
                              "compute.instance", facts=("firewall_ids",), resource_id=UNKNOWN_INSTANCE)]
    return Inventory(resources=resources, errors=errors,
                     scopes=[ScopeRecord(EAST, ScopeState.SCANNED), ScopeRecord(GLOBAL_SCOPE, ScopeState.SCANNED)],
                     started_at="2026-11-30T10:00:00+00:00", finished_at="2026-11-30T10:05:00+00:00",
                     metadata={"identity": "arn:aws:iam::111122223333:role/auditor"})
