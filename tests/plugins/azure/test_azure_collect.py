"""Facts the Azure collectors derive from ARM responses: storage, compute, SQL, Key Vault, Activity Log, flow logs."""

from __future__ import annotations

import pytest

from tests.plugins.azure.conftest import run_scan


def _only(inventory, kind, name=None):
    found = [resource for resource in inventory.resources
             if resource.kind == kind and (name is None or resource.name == name)]
    assert len(found) == 1, f"expected one {kind} named {name}, found {[resource.name for resource in found]}"
    return found[0]


# -- storage ----------------------------------------------------------------


TLS_CASES = [
    pytest.param("TLS1_0", "TLS1_0", id="tls1_0-passed-through"),
    pytest.param("TLS1_1", "TLS1_1", id="tls1_1-passed-through"),
    pytest.param("TLS1_2", "TLS1_2", id="tls1_2-passed-through"),
    pytest.param("TLS1_3", "TLS1_3", id="tls1_3-passed-through"),
    pytest.param(None, "TLS1_0", id="unset-means-tls1_0"),
]

STORAGE_CASES = [
    pytest.param({}, "tls_enforced", True, id="https-only"),
    pytest.param({"https_only": False}, "tls_enforced", False, id="http-allowed"),
    pytest.param({}, "key_type", "provider", id="microsoft-managed-key"),
    pytest.param({"key_source": "Microsoft.Keyvault"}, "key_type", "customer", id="customer-managed-key"),
    pytest.param({"key_source": "Microsoft.Keyvault"}, "encryption", "Microsoft.Keyvault", id="key-source-kept"),
    pytest.param({}, "public_access_blocked", True, id="blob-public-access-off"),
    pytest.param({"allow_blob_public": True}, "public_access_blocked", False, id="blob-public-access-on"),
    pytest.param({"allow_blob_public": None}, "public_access_blocked", False, id="blob-public-access-unset"),
    pytest.param({"allow_blob_public": True, "containers": [("scans", "Blob")]}, "public", True,
                 id="anonymous-container"),
    pytest.param({"allow_blob_public": True, "containers": [("scans", "None")]}, "public", False,
                 id="private-containers"),
    pytest.param({}, "network_default_deny", True, id="network-default-deny"),
    pytest.param({"default_action": "Allow"}, "network_default_deny", False, id="network-default-allow"),
    pytest.param({"versioning": False}, "versioning", False, id="versioning-off"),
    pytest.param({}, "access_logging", True, id="blob-diagnostic-logs"),
    pytest.param({"logging": False}, "access_logging", False, id="no-blob-diagnostic-logs"),
]


@pytest.fixture(scope="module")
def storage_accounts(azure_server):
    """Scan one subscription holding one storage account per case, once for the whole module."""
    from tests.plugins.azure.azure_estate import Estate
    from tests.plugins.azure.conftest import guard_network, prepare_environment

    with pytest.MonkeyPatch.context() as patch:
        azure_server.reset()
        guard_network(patch)
        prepare_environment(patch, azure_server)
        sub = Estate(azure_server).subscription("sub-a")
        for index, case in enumerate(TLS_CASES):
            sub.storage_account(f"tls{index}", min_tls=case.values[0])
        for index, case in enumerate(STORAGE_CASES):
            sub.storage_account(f"case{index}", **case.values[0])
        inventory = run_scan(azure_server)
    return {resource.name: resource for resource in inventory.resources if resource.kind == "storage.bucket"}


@pytest.mark.parametrize(("index", "expected"), [
    pytest.param(index, case.values[1], id=case.id) for index, case in enumerate(TLS_CASES)])
def test_storage_min_tls_version(storage_accounts, index, expected):
    assert storage_accounts[f"tls{index}"].fact("min_tls_version") == expected


@pytest.mark.parametrize(("index", "fact", "expected"), [
    pytest.param(index, case.values[1], case.values[2], id=case.id) for index, case in enumerate(STORAGE_CASES)])
def test_storage_fact(storage_accounts, index, fact, expected):
    assert storage_accounts[f"case{index}"].fact(fact) == expected


def test_storage_file_account_has_no_blob_facts(fake, estate):
    estate.subscription("sub-a").storage_account("files1", kind="FileStorage")
    bucket = _only(run_scan(fake), "storage.bucket")
    assert bucket.fact("versioning") is None
    assert bucket.fact("access_logging") is None


# -- compute ----------------------------------------------------------------


def test_vm_public_ip_through_nic(fake, estate):
    sub = estate.subscription("sub-a")
    group = sub.nsg("vm-nsg")
    vnet = sub.vnet("vnet1", subnets=[("app", "10.0.2.0/24", group)])
    nic = sub.rid("Microsoft.Network/networkInterfaces", "vm1-nic")
    address = sub.public_ip("vm1-ip", "20.50.1.7", nic=nic)
    sub.nic("vm1-nic", f"{vnet}/subnets/app", public_ip=address)
    sub.vm("vm1", [nic], encryption_at_host=True, security_type="TrustedLaunch")
    inventory = run_scan(fake)
    instance = _only(inventory, "compute.instance")
    assert instance.fact("public_ips") == ["20.50.1.7"]
    assert instance.fact("firewall_ids") == [group]
    assert instance.fact("network_id") == vnet
    assert instance.fact("subnet_id") == f"{vnet}/subnets/app"
    assert instance.fact("encryption_at_host") is True
    assert instance.fact("shielded_vm") is True
    assert instance.fact("metadata_token_required") is None
    assert _only(inventory, "network.public_ip").fact("attached_to") == nic


def test_vm_without_public_ip(fake, estate):
    sub = estate.subscription("sub-a")
    vnet = sub.vnet("vnet1", subnets=[("app", "10.0.2.0/24", None)])
    nic = sub.nic("vm2-nic", f"{vnet}/subnets/app")
    sub.vm("vm2", [nic])
    instance = _only(run_scan(fake), "compute.instance")
    assert instance.fact("public_ips") == []
    assert instance.fact("firewall_ids") == []
    assert instance.fact("encryption_at_host") is False


def test_vm_nic_listing_denied(fake, estate):
    sub = estate.subscription("sub-a")
    vnet = sub.vnet("vnet1", subnets=[("app", "10.0.2.0/24", None)])
    sub.vm("vm3", [sub.nic("vm3-nic", f"{vnet}/subnets/app")])
    fake.fail(r"/networkInterfaces$", 403, times=5)
    inventory = run_scan(fake)
    instance = _only(inventory, "compute.instance")
    assert not instance.has("public_ips")
    assert instance.fact("encryption_at_host") is False
    [error] = [error for error in inventory.errors if error.kind == "compute.instance"]
    assert "public_ips" in error.facts


@pytest.mark.parametrize(("encryption_type", "expected"), [
    pytest.param("EncryptionAtRestWithPlatformKey", "provider", id="platform-key"),
    pytest.param("EncryptionAtRestWithCustomerKey", "customer", id="customer-key"),
    pytest.param("EncryptionAtRestWithPlatformAndCustomerKeys", "customer", id="double-encryption"),
])
def test_disk_key_type(fake, estate, encryption_type, expected):
    estate.subscription("sub-a").disk("disk1", encryption_type=encryption_type)
    volume = _only(run_scan(fake), "storage.volume")
    assert volume.fact("key_type") == expected
    assert volume.fact("encrypted") is True


# -- SQL --------------------------------------------------------------------


def test_sql_database_facts(fake, estate):
    sub = estate.subscription("sub-a")
    sub.sql_server("sqlopen", public_access="Enabled", min_tls="1.0", auditing=False,
                   databases=[("records", False, 3)])
    database = _only(run_scan(fake), "database")
    assert database.name == "sqlopen/records"
    assert database.fact("storage_encrypted") is False
    assert database.fact("publicly_accessible") is True
    assert database.fact("min_tls_version") == "1.0"
    assert database.fact("auditing_enabled") is False
    assert database.fact("backup_retention_days") == 3


def test_sql_master_database_skipped(fake, estate):
    estate.subscription("sub-a").sql_server("sql1", databases=[("db1", True, 7), ("db2", True, 14)])
    names = sorted(resource.name for resource in run_scan(fake).resources if resource.kind == "database")
    assert names == ["sql1/db1", "sql1/db2"]


@pytest.mark.parametrize(("stored", "expected"), [
    pytest.param("1.2", "1.2", id="tls1_2-kept"),
    pytest.param("None", "1.0", id="none-string-means-1_0"),
    pytest.param(None, "1.0", id="unset-means-1_0"),
])
def test_sql_min_tls_version(fake, estate, stored, expected):
    estate.subscription("sub-a").sql_server("sql1", min_tls=stored)
    assert _only(run_scan(fake), "database").fact("min_tls_version") == expected


@pytest.mark.parametrize(("public_access", "start", "end", "sources", "enabled"), [
    pytest.param("Enabled", "0.0.0.0", "255.255.255.255", ["0.0.0.0/0"], True, id="allow-all"),
    pytest.param("Enabled", "0.0.0.0", "0.0.0.0", ["AzureCloud"], True, id="azure-services"),
    pytest.param("Enabled", "203.0.113.0", "203.0.113.255", ["203.0.113.0/24"], True, id="office-range"),
    pytest.param("Disabled", "0.0.0.0", "255.255.255.255", ["0.0.0.0/0"], False, id="inactive-when-private"),
])
def test_sql_firewall_rule(fake, estate, public_access, start, end, sources, enabled):
    sub = estate.subscription("sub-a")
    server = sub.sql_server("sql1", public_access=public_access, firewall=[("rule1", start, end)])
    inventory = run_scan(fake)
    firewall = _only(inventory, "network.firewall")
    [rule] = firewall.fact("rules")
    assert rule["sources"] == sources
    assert rule["enabled"] is enabled
    assert rule["ports"] == [[1433, 1433]]
    assert _only(inventory, "database").fact("firewall_ids") == [f"{server}/firewallRules"]


# -- Key Vault --------------------------------------------------------------


def test_key_rotation_policy(fake, estate):
    estate.subscription("sub-a").vault("kv1", keys=[("rotated", "P90D"), ("yearly", "P1Y"), ("static", None)])
    keys = {resource.name: resource for resource in run_scan(fake).resources if resource.kind == "crypto.key"}
    assert keys["kv1/rotated"].fact("rotation_enabled") is True
    assert keys["kv1/rotated"].fact("rotation_period_days") == 90
    assert keys["kv1/yearly"].fact("rotation_period_days") == 365
    assert keys["kv1/static"].fact("rotation_enabled") is False
    assert keys["kv1/static"].fact("managed_by") == "customer"


@pytest.mark.parametrize(("soft_delete", "purge", "expected"), [
    pytest.param(True, True, (True, True), id="both-on"),
    pytest.param(False, None, (False, False), id="soft-delete-off"),
    pytest.param(None, None, (False, False), id="unset-soft-delete-is-off"),
])
def test_vault_protection(fake, estate, soft_delete, purge, expected):
    estate.subscription("sub-a").vault("kv1", soft_delete=soft_delete, purge_protection=purge)
    vault = _only(run_scan(fake), "crypto.vault")
    assert (vault.fact("soft_delete"), vault.fact("purge_protection")) == expected


def test_key_listing_denied(fake, estate):
    estate.subscription("sub-a").vault("kv1", keys=[("k1", "P90D")])
    fake.fail(r"/vaults/kv1/keys$", 403, times=5)
    inventory = run_scan(fake)
    assert _only(inventory, "crypto.vault").fact("purge_protection") is True
    [error] = [error for error in inventory.errors if error.kind == "crypto.key"]
    assert error.facts == ()


@pytest.mark.parametrize(("value", "days"), [
    ("P90D", 90), ("P3M", 90), ("P1Y", 365), ("P2W", 14), ("P1Y1M", 395), ("PT1H", None), ("", None),
])
def test_duration_days(value, days):
    from ztscan_azure.keyvault import duration_days

    assert duration_days(value) == days


# -- Activity Log -----------------------------------------------------------


@pytest.mark.parametrize(("categories", "logging"), [
    pytest.param(("Administrative", "Security"), True, id="administrative-exported"),
    pytest.param(("Security", "Policy"), False, id="administrative-missing"),
    pytest.param(None, False, id="no-diagnostic-setting"),
])
def test_activity_log_trail(fake, estate, categories, logging):
    sub = estate.subscription("sub-a")
    if categories is not None:
        sub.activity_log_export(categories)
    trail = _only(run_scan(fake), "audit.trail")
    assert trail.fact("logging") is logging
    assert trail.fact("multi_region") is True
    assert trail.fact("log_validation") is None


# -- flow logs --------------------------------------------------------------


def test_flow_logs_on_vnet(fake, estate):
    sub = estate.subscription("sub-a")
    vnet = sub.vnet("vnet1", subnets=[("a", "10.0.1.0/24", None)])
    sub.watcher(flow_logs=[(vnet, True)])
    inventory = run_scan(fake)
    assert _only(inventory, "network").fact("flow_logs_enabled") is True
    assert _only(inventory, "network.subnet").fact("flow_logs_enabled") is True


def test_flow_logs_on_every_subnet_nsg(fake, estate):
    sub = estate.subscription("sub-a")
    group = sub.nsg("shared-nsg")
    sub.vnet("vnet1", subnets=[("a", "10.0.1.0/24", group), ("b", "10.0.2.0/24", group)])
    sub.watcher(flow_logs=[(group, True)])
    assert _only(run_scan(fake), "network").fact("flow_logs_enabled") is True


def test_flow_logs_missing_on_one_subnet(fake, estate):
    sub = estate.subscription("sub-a")
    group = sub.nsg("logged-nsg")
    sub.vnet("vnet1", subnets=[("a", "10.0.1.0/24", group), ("b", "10.0.2.0/24", None)])
    sub.watcher(flow_logs=[(group, True)])
    inventory = run_scan(fake)
    assert _only(inventory, "network").fact("flow_logs_enabled") is False
    subnets = {resource.name: resource.fact("flow_logs_enabled")
               for resource in inventory.resources if resource.kind == "network.subnet"}
    assert subnets == {"a": True, "b": False}


def test_flow_log_disabled(fake, estate):
    sub = estate.subscription("sub-a")
    vnet = sub.vnet("vnet1", subnets=[("a", "10.0.1.0/24", None)])
    sub.watcher(flow_logs=[(vnet, False)])
    assert _only(run_scan(fake), "network").fact("flow_logs_enabled") is False


def test_flow_logs_without_watcher(fake, estate):
    estate.subscription("sub-a").vnet("vnet1", subnets=[("a", "10.0.1.0/24", None)])
    assert _only(run_scan(fake), "network").fact("flow_logs_enabled") is False


def test_flow_logs_listing_denied(fake, estate):
    sub = estate.subscription("sub-a")
    vnet = sub.vnet("vnet1", peers=["/subscriptions/sub-z/resourceGroups/hub/providers/"
                                    "Microsoft.Network/virtualNetworks/hub"])
    sub.watcher(flow_logs=[(vnet, True)])
    fake.fail(r"/flowLogs$", 403, times=5)
    inventory = run_scan(fake)
    network = _only(inventory, "network")
    assert not network.has("flow_logs_enabled")
    assert network.fact("peerings") == ["/subscriptions/sub-z/resourceGroups/hub/providers/"
                                        "Microsoft.Network/virtualNetworks/hub"]
    [error] = [error for error in inventory.errors if error.kind == "network"]
    assert error.scope.region == "eastus"
    assert error.facts == ("flow_logs_enabled",)
