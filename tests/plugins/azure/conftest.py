"""Fixtures of the Azure provider tests: one fake ARM and Graph server per module, reset for each test."""

from __future__ import annotations

import socket
from typing import Any, Iterator

import pytest

from tests.fakes.azure_server import FakeAzureServer
from tests.plugins.azure.azure_estate import TENANT, Estate
from ztscan.provider import CollectContext

SECRET_VARIABLE = "ZTSCAN_TEST_AZURE_SECRET"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def guard_network(patch: pytest.MonkeyPatch) -> None:
    """Fail any name lookup of a host other than the loopback, so no request can leave the machine."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in _LOCAL_HOSTS:
            raise OSError(f"test tried to reach {host!r}; only 127.0.0.1 is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    patch.setattr(socket, "getaddrinfo", guarded)


def prepare_environment(patch: pytest.MonkeyPatch, server: FakeAzureServer) -> None:
    """Point azure-identity at the fake server and set the fake client secret."""
    # requests prefers these variables over a per-session CA bundle, so they are removed.
    patch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    patch.delenv("CURL_CA_BUNDLE", raising=False)
    patch.setenv("AZURE_AUTHORITY_HOST", server.url)
    patch.setenv(SECRET_VARIABLE, "fake-client-secret")


@pytest.fixture(autouse=True)
def local_network_only(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)


@pytest.fixture(scope="module")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAzureServer]:
    with FakeAzureServer(tmp_path_factory.mktemp("fake-azure-tls")) as server:
        yield server


@pytest.fixture
def fake(azure_server: FakeAzureServer, monkeypatch: pytest.MonkeyPatch) -> FakeAzureServer:
    azure_server.reset()
    prepare_environment(monkeypatch, azure_server)
    return azure_server


@pytest.fixture
def estate(fake: FakeAzureServer) -> Estate:
    return Estate(fake)


def scan_options(server: FakeAzureServer, **overrides: Any) -> dict[str, Any]:
    """Return provider options that point every endpoint at the fake server, with fast retries."""
    from ztscan_azure.arm import RetrySettings

    options: dict[str, Any] = {
        "tenant_id": TENANT,
        "client_id": "11111111-2222-3333-4444-555555555555",
        "client_secret_env": SECRET_VARIABLE,
        "cloud": "public",
        "arm_endpoint": server.url,
        "graph_endpoint": server.url,
        "authority_host": server.url,
        "ca_bundle": server.ca_path,
        "retry": RetrySettings(total=2, backoff_factor=0.0, max_retry_after=0.01,
                               connection_timeout=5, read_timeout=10),
    }
    options.update(overrides)
    return options


def run_scan(server: FakeAzureServer, **overrides: Any):
    from ztscan_azure.provider import AzureProvider

    return AzureProvider().collect(scan_options(server, **overrides), CollectContext(max_workers=4))


def evaluate_all(inventory):
    """Run every built-in rule over ``inventory`` with the catalogue's severities."""
    from ztscan.engine import evaluate
    from ztscan.rulecatalogue import load_rule_catalogue
    from ztscan.rules import all_rules

    catalogue = load_rule_catalogue()
    rules = list(all_rules())
    return evaluate(inventory, rules, {rule.id: catalogue[rule.id].severity for rule in rules})


def statuses(findings, rule_id: str) -> dict[str, str]:
    """Map resource id to the status string of one rule's findings."""
    return {finding.resource_id: finding.status.value for finding in findings if finding.rule_id == rule_id}


class StaticTokenCredential:
    """A credential object that returns a fixed token and records the requested scopes."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any):
        import time

        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken("static-fake-token", int(time.time()) + 3600)
