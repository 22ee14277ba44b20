"""Credentials: static tokens, key files with their own token_uri, impersonation, endpoint checks."""

from __future__ import annotations

import json

import pytest

from ztscan.provider import ConfigurationError

from ztscan_gcp.credentials import parse_endpoints
from ztscan_gcp.provider import GcpProvider

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import collect

P = "clinic-prod"
SCANNER = "scanner@clinic-prod.iam.gserviceaccount.com"


def _private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _authorizations(server, fragment: str) -> set[str]:
    return {request.header("Authorization") for request in server.requests_to(fragment)}


def test_static_token_sent(server):
    from google.oauth2.credentials import Credentials

    b.ProjectLayout(P).install(server)
    collect(server, credentials=Credentials(token="static-token"))
    assert _authorizations(server, "/global/firewalls") == {"Bearer static-token"}


def test_key_file_uses_its_token_uri(server, tmp_path):
    b.ProjectLayout(P).install(server)
    server.set_json("/token", {"access_token": "from-key-file", "expires_in": 3600, "token_type": "Bearer"},
                    method="POST")
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps({
        "type": "service_account", "project_id": P, "private_key_id": "k1", "private_key": _private_key_pem(),
        "client_email": SCANNER, "client_id": "1", "token_uri": f"{server.url}/token",
    }))
    inventory = collect(server, credentials=None, key_file=str(key_file))
    # The generated clients sign their own JWT for a service account (google-cloud-compute 1.57),
    # while the plain REST calls use an access token from the key file's token_uri.
    assert _authorizations(server, "/v1/projects/clinic-prod/instances") == {"Bearer from-key-file"}
    assert inventory.metadata["credential"] == f"key file {key_file}"
    assert len(server.requests_to("/token")) == 1


@pytest.mark.parametrize(
    "content, message",
    [
        pytest.param("{not json", "not valid JSON", id="not-json"),
        pytest.param('{"type": "external_account"}', "unsupported credential type", id="unsupported-type"),
        pytest.param('{"type": "service_account", "client_email": "x"}', "invalid service_account", id="incomplete"),
        pytest.param(None, "cannot read", id="missing-file"),
    ],
)
def test_key_file_invalid(server, tmp_path, content, message):
    key_file = tmp_path / "key.json"
    if content is not None:
        key_file.write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        collect(server, credentials=None, key_file=str(key_file))


def test_impersonation_uses_iamcredentials_endpoint(server):
    from google.oauth2.credentials import Credentials

    b.ProjectLayout(P).install(server)
    server.set_json(f"/v1/projects/-/serviceAccounts/{SCANNER}:generateAccessToken",
                    {"accessToken": "impersonated", "expireTime": "2099-01-01T00:00:00Z"}, method="POST")
    inventory = collect(server, credentials=Credentials(token="caller"), impersonate=SCANNER)
    assert _authorizations(server, "/global/firewalls") == {"Bearer impersonated"}
    assert _authorizations(server, ":generateAccessToken") == {"Bearer caller"}
    assert inventory.metadata["credential"].endswith(f"impersonating {SCANNER}")


@pytest.mark.parametrize(
    "value, message",
    [
        pytest.param(["compute"], "expected API=URL", id="no-equals"),
        pytest.param(["bigquery=https://example.test"], "unknown API", id="unknown-api"),
        pytest.param(["compute=ftp://example.test"], "invalid URL", id="bad-scheme"),
        pytest.param(["compute=http://compute.example.test"], "plain http", id="http-remote"),
    ],
)
def test_endpoint_rejected(value, message):
    with pytest.raises(ConfigurationError, match=message):
        parse_endpoints(value)


def test_endpoint_accepted():
    endpoints = parse_endpoints(["compute=https://compute-psc.p.googleapis.com/", "Storage=http://127.0.0.1:8080"])
    assert endpoints == {"compute": "https://compute-psc.p.googleapis.com", "storage": "http://127.0.0.1:8080"}


def test_cli_options_parse():
    import argparse

    parser = argparse.ArgumentParser()
    GcpProvider().add_arguments(parser)
    args = parser.parse_args(["--projects", "a,b", "--endpoint", "compute=https://c.test",
                              "--endpoint", "storage=https://s.test", "--impersonate", SCANNER])
    assert args.projects == "a,b"
    assert args.endpoint == ["compute=https://c.test", "storage=https://s.test"]
    assert args.impersonate == SCANNER


def test_operations_are_permissions():
    operations = GcpProvider().operations()
    permissions = {operation.permission for operation in operations}
    assert "compute.firewalls.list" in permissions
    assert "storage.buckets.getIamPolicy" in permissions
    assert all(operation.permission.count(".") >= 2 for operation in operations)
