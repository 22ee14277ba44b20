"""The Azure provider object: options, clouds, credentials, declared operations and the kinds contract."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from tests.plugins.azure.azure_estate import GLOBAL_ADMIN_ROLE, security_rule
from tests.plugins.azure.conftest import StaticTokenCredential, run_scan
from ztscan.provider import ConfigurationError


def _provider():
    from ztscan_azure.provider import AzureProvider

    return AzureProvider()


def test_provider_identity():
    provider = _provider()
    assert (provider.name, provider.extra) == ("azure", "azure")


def test_arguments_parse():
    parser = argparse.ArgumentParser()
    _provider().add_arguments(parser)
    options = parser.parse_args([
        "--tenant-id", "t1", "--client-id", "c1", "--client-secret-env", "MY_SECRET",
        "--subscriptions", "s1,s2", "--cloud", "usgov", "--max-retries", "2",
    ])
    assert options.client_secret_env == "MY_SECRET"
    assert options.subscriptions == "s1,s2"
    assert options.cloud == "usgov"
    assert options.max_retries == 2


def test_arguments_reject_unknown_cloud():
    parser = argparse.ArgumentParser()
    _provider().add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--cloud", "germany"])


def test_operations_declare_permissions():
    operations = _provider().operations()
    assert all(operation.permission for operation in operations)
    keys = [(operation.service, operation.operation) for operation in operations]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("permission", [
    "Microsoft.Network/networkSecurityGroups/read",
    "Microsoft.Network/networkWatchers/flowLogs/read",
    "Microsoft.Storage/storageAccounts/read",
    "Microsoft.Sql/servers/databases/transparentDataEncryption/read",
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.Insights/DiagnosticSettings/Read",
    "Policy.Read.All",
    "AuditLog.Read.All",
    "RoleManagement.Read.Directory",
])
def test_operations_include_permission(permission):
    assert permission in {operation.permission for operation in _provider().operations()}


def test_operations_only_read():
    for operation in _provider().operations():
        if operation.service != "graph":
            assert operation.permission.lower().endswith("/read"), operation


def test_permission_policy_splits_arm_and_graph():
    policy = _provider().permission_policy()
    actions = policy["roleDefinition"]["Actions"]
    assert "Microsoft.Network/networkSecurityGroups/read" in actions
    assert "Policy.Read.All" not in actions
    assert policy["microsoftGraphApplicationPermissions"] == [
        "AuditLog.Read.All", "Policy.Read.All", "RoleManagement.Read.Directory", "User.Read.All"]


def test_import_does_not_load_azure_sdk():
    code = ("import sys, ztscan_azure.plugin, ztscan_azure.provider;"
            "ztscan_azure.provider.AzureProvider().operations();"
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'azure'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("cloud", "arm", "authority", "graph"), [
    pytest.param("public", "https://management.azure.com", "https://login.microsoftonline.com",
                 "https://graph.microsoft.com", id="public"),
    pytest.param("usgov", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
                 "https://graph.microsoft.us", id="usgov"),
    pytest.param("china", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
                 "https://microsoftgraph.chinacloudapi.cn", id="china"),
])
def test_resolve_cloud(cloud, arm, authority, graph):
    from ztscan_azure.clouds import resolve_cloud

    resolved = resolve_cloud({"cloud": cloud})
    assert (resolved.arm_endpoint, resolved.authority_host, resolved.graph_endpoint) == (arm, authority, graph)
    assert resolved.graph_scope == f"{graph}/.default"


def test_resolve_cloud_override_keeps_audience():
    from ztscan_azure.clouds import resolve_cloud

    resolved = resolve_cloud({"cloud": "usgov", "arm_endpoint": "https://arm.proxy.example/"})
    assert resolved.arm_endpoint == "https://arm.proxy.example"
    assert resolved.arm_scope == "https://management.core.usgovcloudapi.net/.default"


@pytest.mark.parametrize("options", [
    pytest.param({"cloud": "germany"}, id="unknown-cloud"),
    pytest.param({"arm_endpoint": "http://127.0.0.1:1"}, id="plain-http-endpoint"),
])
def test_resolve_cloud_invalid(options):
    from ztscan_azure.clouds import resolve_cloud

    with pytest.raises(ConfigurationError):
        resolve_cloud(options)


def test_prebuilt_credential_scopes(fake, estate):
    estate.subscription("sub-a")
    credential = StaticTokenCredential()
    run_scan(fake, client_secret_env=None, credential=credential)
    assert set(credential.scopes) == {"https://management.azure.com/.default", "https://graph.microsoft.com/.default"}
    assert fake.tokens_issued == 0


def test_client_secret_credential_uses_fake_authority(fake, estate):
    estate.subscription("sub-a")
    run_scan(fake)
    assert fake.tokens_issued >= 1
    assert fake.requests_to(r"/v2\.0/\.well-known/openid-configuration$")


def test_missing_certificate_file(fake, estate, tmp_path):
    with pytest.raises(ConfigurationError, match="--certificate-path"):
        run_scan(fake, client_secret_env=None, certificate_path=str(tmp_path / "absent.pem"))


def test_missing_ca_bundle(fake, estate, tmp_path):
    with pytest.raises(ConfigurationError, match="--ca-bundle"):
        run_scan(fake, ca_bundle=str(tmp_path / "absent.pem"))


def test_secret_never_in_inventory(fake, estate):
    sub = estate.subscription("sub-a")
    sub.storage_account("store1")
    fake.fail(r"/storageAccounts$", 403, times=5)
    inventory = run_scan(fake)
    dumped = json.dumps({
        "resources": [resource.to_dict() for resource in inventory.resources],
        "errors": [error.to_dict() for error in inventory.errors],
        "metadata": inventory.metadata,
    })
    assert "fake-client-secret" not in dumped
    assert inventory.metadata["credential"] == "ClientSecretCredential"


def test_disabled_subscription_skipped(fake, estate):
    estate.subscription("sub-a")
    estate.subscription("sub-old")
    estate.subscriptions[1]["state"] = "Disabled"
    inventory = run_scan(fake)
    assert inventory.metadata["subscriptions"] == ["sub-a"]
    skipped = {record.scope.account: record.state.value for record in inventory.scopes}
    assert skipped["sub-old"] == "skipped"


def test_explicit_subscriptions_only(fake, estate):
    estate.subscription("sub-a")
    estate.subscription("sub-b")
    inventory = run_scan(fake, subscriptions="sub-b")
    accounts = [resource.scope.account for resource in inventory.resources if resource.kind == "account"]
    assert accounts == ["sub-b"]
    assert not fake.requests_to(r"^/subscriptions/sub-a/")


def test_collected_facts_are_declared(fake, estate):
    from ztscan.kinds import KINDS, fact_names

    sub = estate.subscription("sub-a")
    group = sub.nsg("web-nsg", [security_rule("https", 100, port="443", source="Internet")])
    vnet = sub.vnet("vnet1", subnets=[("web", "10.0.1.0/24", group)])
    sub.watcher(flow_logs=[(vnet, True)])
    nic = sub.rid("Microsoft.Network/networkInterfaces", "nic1")
    address = sub.public_ip("pip1", "20.1.2.3", nic=nic)
    sub.nic("nic1", f"{vnet}/subnets/web", public_ip=address)
    sub.vm("vm1", [nic])
    sub.disk("disk1")
    sub.storage_account("store1", allow_blob_public=True, containers=[("c", "None")])
    sub.sql_server("sql1", firewall=[("office", "203.0.113.0", "203.0.113.255")])
    sub.vault("kv1", keys=[("k1", "P90D")])
    sub.activity_log_export()
    estate.user("alice", admin_role=GLOBAL_ADMIN_ROLE)
    inventory = run_scan(fake)
    kinds = {resource.kind for resource in inventory.resources}
    assert kinds == {"account", "network.firewall", "network", "network.subnet", "network.public_ip",
                     "compute.instance", "storage.volume", "storage.bucket", "database", "crypto.vault",
                     "crypto.key", "audit.trail", "identity.tenant_policy", "identity.user"}
    for resource in inventory.resources:
        assert resource.kind in KINDS
        undeclared = set(resource.facts) - fact_names(resource.kind)
        assert not undeclared, f"{resource.kind} sets undeclared facts {sorted(undeclared)}"
    assert inventory.errors == []


def test_cli_scan_against_fake(fake, estate):
    import os

    from tests.plugins.azure.azure_estate import TENANT
    from tests.plugins.azure.conftest import SECRET_VARIABLE

    estate.subscription("sub-a").nsg("rdp-nsg", [security_rule("rdp", 100, port="3389", source="Internet")])
    command = [
        sys.executable, "-m", "ztscan", "scan", "azure", "--tenant-id", TENANT, "--client-id", "c1",
        "--client-secret-env", SECRET_VARIABLE, "--arm-endpoint", fake.url, "--graph-endpoint", fake.url,
        "--authority-host", fake.url, "--ca-bundle", fake.ca_path, "--max-retries", "1", "--format", "json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    report = json.loads(result.stdout)
    statuses = {(finding["rule_id"], finding["resource"]["id"]): finding["status"] for finding in report["findings"]}
    group = "/subscriptions/sub-a/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/rdp-nsg"
    assert result.returncode == 1, result.stderr
    assert statuses[("ZT-NET-001", group)] == "FAIL"
    assert "fake-client-secret" not in result.stdout + result.stderr
