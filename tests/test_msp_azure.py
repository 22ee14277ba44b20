"""A tenants file entry for Azure, scanned through the Azure provider against the local fake ARM and Graph server."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterator

import pytest

from tests.fakes.azure_server import FakeAzureServer
from tests.plugins.azure.azure_estate import TENANT, Estate
from tests.plugins.azure.conftest import SECRET_VARIABLE, guard_network, prepare_environment
from ztscan.cli import main


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureServer]:
    guard_network(monkeypatch)
    with FakeAzureServer(tmp_path / "tls") as server:
        prepare_environment(monkeypatch, server)
        yield server


def write_tenants(path: Path, server: FakeAzureServer, secret_variable: str) -> Path:
    path.write_text(
        "version: 1\n"
        "tenants:\n"
        "  - name: clinic-azure\n"
        "    azure:\n"
        f"      tenant_id: {TENANT}\n"
        "      client_id: 11111111-2222-3333-4444-555555555555\n"
        f"      client_secret_env: {secret_variable}\n"
        f"      arm_endpoint: {server.url}\n"
        f"      graph_endpoint: {server.url}\n"
        f"      authority_host: {server.url}\n"
        f"      ca_bundle: {server.ca_path}\n"
        "      max_retries: 1\n"
        "      max_retry_wait: 0.01\n", encoding="utf-8")
    return path


def scan(tenants_file: Path, out: Path) -> tuple[int, dict]:
    code = main(["scan", "--tenants", str(tenants_file), "--output-dir", str(out)], out=io.StringIO(),
                err=io.StringIO())
    return code, json.loads((out / "run.json").read_text(encoding="utf-8"))


def test_azure_tenant_scanned(fake: FakeAzureServer, tmp_path: Path) -> None:
    estate = Estate(fake)
    estate.subscription("sub-a").storage_account("phi1", min_tls="TLS1_0")
    code, manifest = scan(write_tenants(tmp_path / "tenants.yaml", fake, SECRET_VARIABLE), tmp_path / "out")
    record = manifest["tenants"][0]
    assert record["status"] == "complete"
    assert record["targets"][0] == {"cloud": "azure", "account": TENANT, "state": "scanned", "code": "",
                                    "message": ""}
    report = json.loads((tmp_path / "out" / "tenants" / "clinic-azure" / "report.json").read_text())
    assert any(finding["resource"]["kind"] == "storage.bucket" for finding in report["findings"])
    assert code == 1


def test_azure_secret_never_written(fake: FakeAzureServer, tmp_path: Path) -> None:
    Estate(fake).subscription("sub-a")
    scan(write_tenants(tmp_path / "tenants.yaml", fake, SECRET_VARIABLE), tmp_path / "out")
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert "fake-client-secret" not in path.read_text(encoding="utf-8")
