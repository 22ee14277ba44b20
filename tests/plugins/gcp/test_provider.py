"""Provider registration and import cost."""

from __future__ import annotations

import subprocess
import sys

from ztscan.kinds import KINDS

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import collect

P = "clinic-prod"


def test_import_loads_no_google_package():
    code = ("import argparse, sys; from ztscan_gcp.plugin import ztscan_providers; "
            "provider = ztscan_providers()[0]; provider.add_arguments(argparse.ArgumentParser()); "
            "provider.operations(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('google', 'grpc', 'requests')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_provider_identity():
    from ztscan_gcp.plugin import ztscan_providers

    provider = ztscan_providers()[0]
    assert (provider.name, provider.extra) == ("gcp", "gcp")


def test_facts_are_declared(server):
    b.ProjectLayout(P, networks=[b.network(P)],
                    subnet_scopes={"regions/us-central1": [b.subnetwork(P, "default")]},
                    instance_scopes={"zones/us-central1-a": [b.instance(P, "vm")]},
                    disk_scopes={"zones/us-central1-a": [b.disk(P, "d")]},
                    buckets=[b.bucket("phi")], sql_instances=[b.sql_instance(P, "db")],
                    iam_policy=b.policy({"roles/editor": ["user:bob@clinic.example"]}),
                    service_accounts=[b.service_account(P, "app@clinic-prod.iam.gserviceaccount.com")],
                    crypto_keys={"global": [{"short": "k", "purpose": "ENCRYPT_DECRYPT"}]}).install(server)
    inventory = collect(server)
    assert len({r.kind for r in inventory.resources}) == 13
    for resource in inventory.resources:
        undeclared = set(resource.facts) - set(KINDS[resource.kind].facts)
        assert undeclared == set(), resource.kind
    for error in inventory.errors:
        assert set(error.facts) <= set(KINDS[error.kind].facts), error.kind


def test_scope_records(server):
    b.ProjectLayout(P).install(server)
    b.ProjectLayout("clinic-dev").install(server)
    inventory = collect(server, projects="clinic-prod, clinic-dev")
    assert sorted(record.scope.account for record in inventory.scopes) == ["clinic-dev", "clinic-prod"]
    assert inventory.metadata["credential"] == "credentials object AnonymousCredentials"


def test_cli_scan_end_to_end(server, tmp_path):
    import json
    import os

    from tests.plugins.gcp.test_credentials import _private_key_pem

    b.ProjectLayout(P, networks=[b.network(P)], firewalls=[
        b.firewall(P, "ssh", allowed=[{"IPProtocol": "tcp", "ports": ["22"]}], sourceRanges=["::/0"])],
    ).install(server)
    server.set_json("/token", {"access_token": "cli-token", "expires_in": 3600}, method="POST")
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps({
        "type": "service_account", "project_id": P, "private_key_id": "k1", "private_key": _private_key_pem(),
        "client_email": "scanner@clinic-prod.iam.gserviceaccount.com", "token_uri": f"{server.url}/token",
    }))
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "ztscan", "scan", "gcp", "--projects", P, "--key-file", str(key_file),
               "--format", "json", "--output", str(report)]
    for api in ("compute", "storage", "cloudresourcemanager", "sqladmin", "iam", "cloudkms"):
        command += ["--endpoint", f"{api}={server.url}"]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 1, result.stderr  # gaps at or above the default threshold
    findings = json.loads(report.read_text())["findings"]
    exposure = [f for f in findings if f["rule_id"] == "ZT-NET-001"]
    assert [f["status"] for f in exposure] == ["FAIL"]
    assert "::/0" in exposure[0]["message"]
