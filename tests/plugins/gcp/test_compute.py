"""Networks, subnetworks, instances and disks through aggregated lists."""

from __future__ import annotations

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import by_kind, collect

P = "clinic-prod"
DEFAULT_SA = "123456789-compute@developer.gserviceaccount.com"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
KEY = "projects/clinic-prod/locations/us-central1/keyRings/disks/cryptoKeys/phi"


def _layout() -> b.ProjectLayout:
    return b.ProjectLayout(
        P,
        networks=[b.network(P), b.network(P, "phi", auto=False)],
        subnet_scopes={
            "regions/us-central1": [b.subnetwork(P, "default", flow_logs=False),
                                    b.subnetwork(P, "phi-a", network_name="phi", flow_logs=True,
                                                 private_access=True)],
            "regions/us-east1": [b.subnetwork(P, "phi-b", region="us-east1", network_name="phi", flow_logs=True)],
            "regions/asia-east1": [],
        },
        instance_scopes={
            "zones/us-central1-a": [
                b.instance(P, "web", nat_ip="34.1.2.3", service_account=DEFAULT_SA, scopes=(CLOUD_PLATFORM,)),
                b.instance(P, "db", metadata={"enable-oslogin": "FALSE", "serial-port-enable": "1"}, shielded=False),
            ],
            "zones/europe-west1-b": [],
        },
        disk_scopes={"zones/us-central1-a": [b.disk(P, "web-boot"), b.disk(P, "phi-data", kms_key=KEY)],
                     "zones/asia-east1-a": []},
        project_metadata={"enable-oslogin": "TRUE"},
    )


def test_network_flow_logs_need_every_subnet(server):
    _layout().install(server)
    networks = by_kind(collect(server), "network")
    assert networks["default"].facts["flow_logs_enabled"] is False
    assert networks["phi"].facts["flow_logs_enabled"] is True
    assert networks["phi"].facts["cidrs"] == ["10.128.0.0/20", "10.128.0.0/20"]


def test_network_default_flag(server):
    _layout().install(server)
    networks = by_kind(collect(server), "network")
    assert networks["default"].facts["is_default"] is True
    assert networks["phi"].facts["is_default"] is False
    assert networks["phi"].scope.region == "global"


def test_subnet_facts(server):
    _layout().install(server)
    subnets = by_kind(collect(server), "network.subnet")
    assert subnets["phi-a"].facts["private_google_access"] is True
    assert subnets["phi-a"].facts["flow_logs_enabled"] is True
    assert subnets["default"].facts["flow_logs_enabled"] is False
    assert subnets["phi-b"].scope.region == "us-east1"


def test_instance_facts(server):
    _layout().install(server)
    instances = by_kind(collect(server), "compute.instance")
    web, db = instances["web"].facts, instances["db"].facts
    assert web["public_ips"] == ["34.1.2.3"]
    assert db["public_ips"] == []
    assert web["os_login"] is True  # from project metadata
    assert db["os_login"] is False  # instance metadata overrides the project
    assert web["serial_port_enabled"] is False
    assert db["serial_port_enabled"] is True
    assert web["shielded_vm"] is True
    assert db["shielded_vm"] is False
    assert web["default_service_account_full_scope"] is True
    assert db["default_service_account_full_scope"] is False
    assert web["metadata_token_required"] is None
    assert instances["web"].scope.region == "us-central1"


def test_instance_attached_to_network_firewall(server):
    _layout().install(server)
    inventory = collect(server)
    web = by_kind(inventory, "compute.instance")["web"]
    firewall = by_kind(inventory, "network.firewall")["default"]
    assert web.facts["firewall_ids"] == [firewall.id]
    assert web.id in firewall.facts["attached_to"]


def test_disk_key_types(server):
    _layout().install(server)
    disks = by_kind(collect(server), "storage.volume")
    assert disks["web-boot"].facts["key_type"] == "provider"
    assert disks["phi-data"].facts["key_type"] == "customer"
    assert disks["phi-data"].facts["encrypted"] is True


def test_project_metadata_denied_leaves_facts_out(server):
    _layout().install(server)
    server.fail("/compute/v1/projects/clinic-prod", 403, exact=True)
    inventory = collect(server)
    instances = by_kind(inventory, "compute.instance")
    assert "os_login" not in instances["web"].facts
    assert instances["db"].facts["os_login"] is False
    errors = [e for e in inventory.errors if e.operation == "projects.get"]
    assert errors[0].facts == ("os_login", "serial_port_enabled")
