"""Fixtures of the fault tests: one fault-injecting server and estate per provider, and scan helpers.

The servers and estates live for the whole session; tests change only the fault plan,
and the fixtures reset it after each test.
"""

from __future__ import annotations

import io
import socket
from typing import Any, Iterator

import pytest

from tests.faults.aws_wire import FaultyMotoServer
from tests.faults.fake_servers import FaultyAzureServer, FaultyGcpServer
from tests.plugins.azure.azure_estate import TENANT
from tests.plugins.azure.conftest import SECRET_VARIABLE, prepare_environment

#: A closed port on the loopback address: any Google metadata lookup fails at once.
_CLOSED_LOCAL = "127.0.0.1:9"


_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def guard_network(patch: pytest.MonkeyPatch) -> None:
    """Fail any name lookup of a host other than the loopback, so no request can leave the machine.

    A name ending in ``.127.0.0.1`` resolves to 127.0.0.1: botocore puts the account id in front
    of the s3control endpoint host, even for a custom endpoint.
    """
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.endswith(".127.0.0.1"):
            name = "127.0.0.1"
        if name not in _LOCAL_HOSTS:
            raise OSError(f"test tried to reach {host!r}; only 127.0.0.1 is allowed")
        return real_getaddrinfo(name, *args, **kwargs)

    patch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture(autouse=True)
def local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    guard_network(monkeypatch)
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", _CLOSED_LOCAL)
    monkeypatch.setenv("GCE_METADATA_IP", _CLOSED_LOCAL)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def aws_environment(patch: pytest.MonkeyPatch, endpoint: str) -> None:
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    patch.setenv("AWS_ENDPOINT_URL", endpoint)
    patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    patch.setenv("AWS_CONFIG_FILE", "/nonexistent/ztscan-test-config")
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ztscan-test-credentials")


def fast_botocore_backoff(patch: pytest.MonkeyPatch) -> None:
    """Shrink botocore's retry delays 50-fold, so the number of attempts stays real and tests stay fast."""
    from botocore.retries import standard

    original = standard.ExponentialBackoff.delay_amount
    patch.setattr(standard.ExponentialBackoff, "delay_amount",
                  lambda self, context: original(self, context) / 50)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[FaultyMotoServer]:
    import os

    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    server = FaultyMotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyAzureServer]:
    with FaultyAzureServer(tmp_path_factory.mktemp("faulty-azure-tls")) as server:
        yield server


@pytest.fixture
def azure(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyAzureServer]:
    """A fresh Azure server with no routes, for tests that build an estate of their own."""
    with FaultyAzureServer(tmp_path / "tls") as server:
        prepare_environment(monkeypatch, server)
        yield server


@pytest.fixture
def gcp() -> Iterator[FaultyGcpServer]:
    with FaultyGcpServer() as server:
        yield server


# -- scans --------------------------------------------------------------------

_APP: list[Any] = []


def app() -> Any:
    """Return one ztscan App for the test session, so plugins load once."""
    from ztscan.app import App

    if not _APP:
        _APP.append(App.create(out=io.StringIO(), err=io.StringIO()))
    return _APP[0]


def aws_options(server: FaultyMotoServer, **overrides: Any) -> dict[str, Any]:
    return {"profile": None, "regions": ["us-east-1"], "endpoint_url": server.url, **overrides}


def azure_options(server: FaultyAzureServer, **overrides: Any) -> dict[str, Any]:
    from ztscan_azure.arm import RetrySettings

    options: dict[str, Any] = {
        "tenant_id": TENANT, "client_id": "11111111-2222-3333-4444-555555555555",
        "client_secret_env": SECRET_VARIABLE, "cloud": "public", "arm_endpoint": server.url,
        "graph_endpoint": server.url, "authority_host": server.url, "ca_bundle": server.ca_path,
        "retry": RetrySettings(total=4, backoff_factor=0.0, max_retry_after=0.05, connection_timeout=2,
                               read_timeout=0.5),
    }
    options.update(overrides)
    return options


def gcp_options(server: FaultyGcpServer, **overrides: Any) -> dict[str, Any]:
    from google.auth.credentials import AnonymousCredentials

    from tests.faults.estates import GCP_PROJECTS

    apis = ("compute", "storage", "cloudresourcemanager", "sqladmin", "iam", "cloudkms", "iamcredentials")
    options: dict[str, Any] = {
        "projects": ",".join(GCP_PROJECTS),
        "endpoint": [f"{api}={server.url}" for api in apis],
        "credentials": AnonymousCredentials(),
        "retry": {"initial": 0.01, "maximum": 0.02, "multiplier": 2.0, "deadline": 10.0, "max_attempts": 5},
    }
    options.update(overrides)
    return options


def scan(provider: str, options: dict[str, Any], timeout: float | None = None, strict: bool = False):
    """Collect and evaluate every rule in process; return (inventory, report)."""
    from ztscan.scan import ScanSettings, run_scan

    application = app()
    settings = ScanSettings(timeout=timeout, max_workers=4, strict=strict)
    return run_scan(application, application.provider(provider), options, settings)


# -- estates scanned once per test session ----------------------------------------


@pytest.fixture(scope="session")
def aws_estate(moto_server: FaultyMotoServer) -> Iterator[tuple[FaultyMotoServer, Any]]:
    """moto with the fault-test estate and the report of a clean scan; tests change only the fault plan."""
    from tests.faults import plan as faults
    from tests.faults.estates import build_aws

    with pytest.MonkeyPatch.context() as patch:
        guard_network(patch)
        aws_environment(patch, moto_server.url)
        fast_botocore_backoff(patch)
        moto_server.reset()
        build_aws(moto_server.url)
        _, clean = scan("aws", aws_options(moto_server))
        yield moto_server, clean
        moto_server.plan = faults.FaultPlan()


@pytest.fixture(scope="session")
def azure_estate(azure_server: FaultyAzureServer) -> Iterator[tuple[FaultyAzureServer, Any]]:
    from tests.faults import plan as faults
    from tests.faults.estates import build_azure
    from tests.plugins.azure.azure_estate import Estate

    with pytest.MonkeyPatch.context() as patch:
        guard_network(patch)
        azure_server.reset()
        prepare_environment(patch, azure_server)
        build_azure(Estate(azure_server))
        _, clean = scan("azure", azure_options(azure_server))
        yield azure_server, clean
        azure_server.plan = faults.FaultPlan()


@pytest.fixture(scope="session")
def gcp_estate() -> Iterator[tuple[FaultyGcpServer, Any]]:
    from tests.faults.estates import build_gcp

    with FaultyGcpServer() as server, pytest.MonkeyPatch.context() as patch:
        guard_network(patch)
        build_gcp(server)
        _, clean = scan("gcp", gcp_options(server))
        yield server, clean


@pytest.fixture
def aws_scanned(aws_estate, monkeypatch: pytest.MonkeyPatch):
    from tests.faults import plan as faults

    server, clean = aws_estate
    aws_environment(monkeypatch, server.url)
    fast_botocore_backoff(monkeypatch)
    server.plan = faults.FaultPlan()
    yield server, clean
    server.plan = faults.FaultPlan()
    server.middleware.slow_seconds = 2.0


@pytest.fixture
def azure_scanned(azure_estate, monkeypatch: pytest.MonkeyPatch):
    from tests.faults import plan as faults

    server, clean = azure_estate
    prepare_environment(monkeypatch, server)
    server.plan = faults.FaultPlan()
    yield server, clean
    server.plan = faults.FaultPlan()
    server.retry_after = "0.01"


@pytest.fixture
def gcp_scanned(gcp_estate):
    from tests.faults import plan as faults

    server, clean = gcp_estate
    server.plan = faults.FaultPlan()
    yield server, clean
    server.plan = faults.FaultPlan()
    with server._lock:
        server._failures.clear()
