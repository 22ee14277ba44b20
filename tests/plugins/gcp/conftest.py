"""Fixtures for the GCP provider tests: a fake API server and a collect() helper.

Every test passes an explicit credential and endpoint, and the environment
below points google-auth's metadata server lookups at a closed local port, so
nothing can reach Google or a metadata address.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from ztscan.model import Inventory
from ztscan.provider import CollectContext

from tests.fakes.gcp_server import FakeGcpServer

#: A closed port on the loopback address: any metadata lookup fails at once.
_CLOSED_LOCAL = "127.0.0.1:9"


@pytest.fixture(autouse=True)
def no_google_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", _CLOSED_LOCAL)
    monkeypatch.setenv("GCE_METADATA_IP", _CLOSED_LOCAL)
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeGcpServer]:
    with FakeGcpServer() as fake:
        yield fake


def fast_retry(max_attempts: int = 4, deadline: float = 5.0) -> dict[str, Any]:
    """Retry settings that keep the backoff in milliseconds."""
    return {"initial": 0.01, "maximum": 0.02, "multiplier": 2.0, "deadline": deadline, "max_attempts": max_attempts}


#: Default of collect(credentials=...): anonymous credentials. None passes no credentials object at all.
ANONYMOUS = object()


def collect(server: FakeGcpServer, projects: str | None = "clinic-prod", credentials: Any = ANONYMOUS,
            **options: Any) -> Inventory:
    """Run the GCP provider against the fake server with every API endpoint pointed at it."""
    from google.auth.credentials import AnonymousCredentials

    from ztscan_gcp.provider import GcpProvider

    endpoints = {api: server.url for api in ("compute", "storage", "cloudresourcemanager", "sqladmin", "iam",
                                             "cloudkms", "iamcredentials")}
    settings: dict[str, Any] = {
        "projects": projects,
        "endpoint": [f"{api}={url}" for api, url in endpoints.items()],
        "retry": fast_retry(),
    }
    if credentials is ANONYMOUS:
        settings["credentials"] = AnonymousCredentials()
    elif credentials is not None:
        settings["credentials"] = credentials
    settings.update(options)
    return GcpProvider().collect(settings, CollectContext(max_workers=2))


def by_kind(inventory: Inventory, kind: str) -> dict[str, Any]:
    """Map resource name to resource for one kind."""
    return {resource.name: resource for resource in inventory.of_kind(kind)}
