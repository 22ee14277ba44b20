"""Canary secrets planted in every credential path never appear in any output, log line or snapshot.

Each scan runs through the command line with ``-vv`` in every output format
(one as --output, the rest as --export) and with --save-inventory. The search
covers stdout, stderr, the process's own stderr (the logging fallback) and the
decompressed content of every file written.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.faults import plan as faults
from tests.faults.aws_wire import FaultyMotoServer
from tests.faults.conftest import aws_environment, fast_botocore_backoff, guard_network
from tests.faults.estates import AZURE_SUBSCRIPTIONS, GCP_PROJECTS, build_aws, build_azure, build_gcp
from tests.faults.fake_servers import FaultyAzureServer, FaultyGcpServer
from tests.plugins.azure.azure_estate import TENANT, Estate
from tests.plugins.azure.conftest import prepare_environment
from ztscan.cli import main

AWS_SECRET = "ZTCANARYawsSecretKey0000000000000000000000"
AWS_TOKEN = "ZTCANARYawsSessionToken00000000000000000000"
AWS_PROFILE_SECRET = "ZTCANARYprofileSecretKey000000000000000000"
AWS_PROFILE_TOKEN = "ZTCANARYprofileSessionToken0000000000000000"
AZURE_SECRET = "ZTCANARYazureClientSecret~0000000000000000"
AZURE_TOKEN = "ZTCANARYazureAccessToken0000000000000000000"
GCP_TOKEN = "ZTCANARYgcpAccessToken000000000000000000000"
AZURE_SECRET_VARIABLE = "ZTSCAN_CANARY_AZURE_SECRET"

#: Every report format; the first goes to --output, the others to --export.
FORMATS = ("json", "sarif", "junit", "csv", "table")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def output_arguments(directory: Path) -> list[str]:
    arguments = ["--format", FORMATS[0], "--output", str(directory / f"report.{FORMATS[0]}")]
    for name in FORMATS[1:]:
        arguments += ["--export", f"{name}:{directory / f'report.{name}'}"]
    return arguments + ["--save-inventory", str(directory / "inventory.snapshot")]


def written_text(directory: Path) -> dict[str, str]:
    """Return the decompressed text of every file under ``directory``."""
    texts = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            texts[path.name] = data.decode("utf-8", errors="replace")
    return texts


def assert_no_canary(canaries: tuple[str, ...], sources: dict[str, str]) -> None:
    leaks = {(name, canary) for name, text in sources.items() for canary in canaries if canary in text}
    assert leaks == set()


def scan_and_search(capsys, directory: Path, canaries: tuple[str, ...], *argv: str) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    code, out, err = run_cli("-vv", *argv, *output_arguments(directory))
    captured = capsys.readouterr()
    files = written_text(directory)
    assert set(files) >= {f"report.{name}" for name in FORMATS} | {"inventory.snapshot"}, err
    assert_no_canary(canaries, {"stdout": out, "stderr": err, "process stdout": captured.out,
                                "process stderr": captured.err, **files})
    return code


# -- AWS: environment and profile file ---------------------------------------------


@pytest.fixture(scope="module")
def moto():
    server = FaultyMotoServer().start()
    with pytest.MonkeyPatch.context() as patch:
        aws_environment(patch, server.url)
        server.reset()
        build_aws(server.url)
    yield server
    server.stop()


@pytest.fixture
def aws_canary_environment(moto, monkeypatch, tmp_path):
    guard_network(monkeypatch)
    aws_environment(monkeypatch, moto.url)
    fast_botocore_backoff(monkeypatch)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_TOKEN)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return moto


AWS_CANARIES = (AWS_SECRET, AWS_TOKEN, AWS_PROFILE_SECRET, AWS_PROFILE_TOKEN)


def test_aws_environment_canaries(aws_canary_environment, tmp_path, capsys):
    code = scan_and_search(capsys, tmp_path / "out", AWS_CANARIES, "scan", "aws", "--regions", "us-east-1")
    assert code in (0, 1, 3)


def test_aws_profile_canaries(aws_canary_environment, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home" / ".aws"
    home.mkdir(parents=True)
    (home / "credentials").write_text(
        f"[canary]\naws_access_key_id = AKIACANARY0000000000\naws_secret_access_key = {AWS_PROFILE_SECRET}\n"
        f"aws_session_token = {AWS_PROFILE_TOKEN}\n", encoding="utf-8")
    (home / "config").write_text("[profile canary]\nregion = us-east-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code = scan_and_search(capsys, tmp_path / "out", AWS_CANARIES, "scan", "aws", "--profile", "canary",
                           "--regions", "us-east-1")
    assert code in (0, 1, 3)


def test_aws_echoed_token_canaries(aws_canary_environment, tmp_path, capsys):
    """Denied calls whose error messages quote the Authorization and session token headers."""
    server = aws_canary_environment
    server.plan = faults.FaultPlan().always(r"^(s3|iam)\.", faults.DENIED)
    server.middleware.echo_headers = ("HTTP_AUTHORIZATION", "HTTP_X_AMZ_SECURITY_TOKEN")
    try:
        code = scan_and_search(capsys, tmp_path / "out", AWS_CANARIES, "scan", "aws", "--regions", "us-east-1")
    finally:
        server.plan = faults.FaultPlan()
        server.middleware.echo_headers = ()
    assert code == 3


# -- Azure: client secret in a named variable, a bearer token echoed in errors ------------


class EchoingAzureServer(FaultyAzureServer):
    """Issue a canary access token, and optionally respond with errors that quote the Authorization header."""

    echo = False

    def respond(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            return 200, {}, {"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                             "access_token": AZURE_TOKEN}
        if self.echo and "/providers/microsoft.keyvault/" in path.lower():
            message = f"The client with Authorization 'Bearer {AZURE_TOKEN}' and secret {AZURE_SECRET} is denied"
            return 403, {}, {"error": {"code": "AuthorizationFailed", "message": message}}
        return super().respond(method, path, query)


@pytest.fixture(scope="module")
def azure_canary_server(tmp_path_factory):
    with EchoingAzureServer(tmp_path_factory.mktemp("canary-azure")) as server:
        with pytest.MonkeyPatch.context() as patch:
            prepare_environment(patch, server)
            build_azure(Estate(server))
        yield server


@pytest.fixture
def azure_canary(azure_canary_server, monkeypatch):
    guard_network(monkeypatch)
    prepare_environment(monkeypatch, azure_canary_server)
    monkeypatch.setenv(AZURE_SECRET_VARIABLE, AZURE_SECRET)
    azure_canary_server.echo = False
    return azure_canary_server


def azure_arguments(server) -> list[str]:
    return ["scan", "azure", "--tenant-id", TENANT, "--client-id", "11111111-2222-3333-4444-555555555555",
            "--client-secret-env", AZURE_SECRET_VARIABLE, "--arm-endpoint", server.url,
            "--graph-endpoint", server.url, "--authority-host", server.url, "--ca-bundle", server.ca_path,
            "--max-retries", "0", "--subscriptions", AZURE_SUBSCRIPTIONS[0]]


def test_azure_secret_canaries(azure_canary, tmp_path, capsys):
    code = scan_and_search(capsys, tmp_path / "out", (AZURE_SECRET, AZURE_TOKEN), *azure_arguments(azure_canary))
    assert code in (0, 1)
    assert azure_canary.requests_to("/oauth2/v2.0/token")


def test_azure_echoed_token_canaries(azure_canary, tmp_path, capsys):
    azure_canary.echo = True
    code = scan_and_search(capsys, tmp_path / "out", (AZURE_SECRET, AZURE_TOKEN), *azure_arguments(azure_canary))
    assert code == 3


# -- GCP: a service-account key file, a static token, a token echoed in errors ----------


class EchoingGcpServer(FaultyGcpServer):
    """Issue a canary token for key-file sign-in, and optionally quote the Authorization header in errors."""

    echo = False

    def _respond(self, method, path, query, target):
        from tests.fakes.gcp_server import google_error

        if method == "POST" and path == "/token":
            body = json.dumps({"access_token": GCP_TOKEN, "expires_in": 3600, "token_type": "Bearer"})
            return 200, "application/json", body, {}
        if self.echo and path.endswith("/serviceAccounts"):
            return 403, "application/json", google_error(
                403, f"Permission denied for request with header Authorization: Bearer {GCP_TOKEN}"), {}
        return super()._respond(method, path, query, target)


def service_account_key(path: Path, token_uri: str) -> str:
    """Write a service-account key file with a fresh RSA key; return the private key PEM (the canary)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": GCP_PROJECTS[0], "private_key_id": "0123456789abcdef",
        "private_key": pem, "client_email": f"scanner@{GCP_PROJECTS[0]}.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": token_uri,
    }), encoding="utf-8")
    return pem


@pytest.fixture(scope="module")
def gcp_canary_server():
    with EchoingGcpServer() as server:
        build_gcp(server)
        yield server


@pytest.fixture
def gcp_canary(gcp_canary_server, monkeypatch, tmp_path):
    guard_network(monkeypatch)
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    gcp_canary_server.echo = False
    key_file = tmp_path / "key.json"
    pem = service_account_key(key_file, f"{gcp_canary_server.url}/token")
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return gcp_canary_server, key_file, (GCP_TOKEN, body_lines[1], body_lines[-2])


def gcp_arguments(server, key_file: Path) -> list[str]:
    arguments = ["scan", "gcp", "--projects", GCP_PROJECTS[0], "--key-file", str(key_file)]
    for api in ("compute", "storage", "cloudresourcemanager", "sqladmin", "iam", "cloudkms"):
        arguments += ["--endpoint", f"{api}={server.url}"]
    return arguments


def test_gcp_key_file_canaries(gcp_canary, tmp_path, capsys):
    server, key_file, canaries = gcp_canary
    code = scan_and_search(capsys, tmp_path / "out", canaries, *gcp_arguments(server, key_file))
    assert code in (0, 1)
    assert server.requests_to("/token", method="POST")


def test_gcp_echoed_token_canaries(gcp_canary, tmp_path, capsys):
    server, key_file, canaries = gcp_canary
    server.echo = True
    code = scan_and_search(capsys, tmp_path / "out", canaries, *gcp_arguments(server, key_file))
    assert code == 3


def test_gcp_static_token_canary(gcp_canary, caplog):
    """A static bearer token passed as a credentials object stays out of logs, findings and the snapshot."""
    from google.oauth2.credentials import Credentials

    from tests.faults.conftest import gcp_options, scan
    from ztscan.snapshot import canonical_payload, inventory_payload

    server, _, _ = gcp_canary
    server.echo = True
    caplog.set_level("DEBUG")
    inventory, report = scan("gcp", gcp_options(server, credentials=Credentials(token=GCP_TOKEN),
                                                projects=GCP_PROJECTS[0]))
    texts = {"log": caplog.text, "report": json.dumps(report.to_dict(), default=str),
             "snapshot": canonical_payload(inventory_payload(inventory, "gcp")).decode()}
    assert_no_canary((GCP_TOKEN,), texts)
    assert report.incomplete


# -- a tenants file that references the secret's environment variable -------------------


def test_tenants_file_secret_canaries(azure_canary, tmp_path, capsys):
    import yaml

    azure_canary.echo = True
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(yaml.safe_dump({"tenants": [{"name": "clinic-north", "azure": {
        "tenant_id": TENANT, "client_id": "11111111-2222-3333-4444-555555555555",
        "client_secret_env": AZURE_SECRET_VARIABLE, "subscriptions": [AZURE_SUBSCRIPTIONS[0]],
        "arm_endpoint": azure_canary.url, "graph_endpoint": azure_canary.url,
        "authority_host": azure_canary.url, "ca_bundle": azure_canary.ca_path, "max_retries": 0}}]}),
        encoding="utf-8")
    output_dir = tmp_path / "reports"
    code, out, err = run_cli("-vv", "scan", "--tenants", str(tenants), "--output-dir", str(output_dir),
                             "--formats", ",".join(FORMATS))
    captured = capsys.readouterr()
    files = written_text(output_dir)
    assert len(files) >= len(FORMATS), err
    assert_no_canary((AZURE_SECRET, AZURE_TOKEN), {"stdout": out, "stderr": err, "process stdout": captured.out,
                                                    "process stderr": captured.err, **files})
    assert code == 3


# -- the redaction itself ------------------------------------------------------------------

REDACTION_CASES = [
    pytest.param("denied for Authorization: Bearer abc.def-123456", "Bearer [REDACTED]", id="bearer-token"),
    pytest.param("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl here", "token [REDACTED] here",
                 id="json-web-token"),
    pytest.param("body client_secret=abcd1234efgh&grant_type=x", "client_secret=[REDACTED]&grant_type=x",
                 id="secret-pair"),
    pytest.param('{"access_token": "ya29.a0AfB_abc"}', '{"access_token": "[REDACTED]"}', id="json-token"),
    pytest.param("-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----", "[REDACTED]", id="pem-key"),
]


@pytest.mark.parametrize(("text", "expected"), REDACTION_CASES)
def test_redact_credential_shapes(text, expected):
    from ztscan.redaction import redact

    assert expected in redact(text)


KEPT_CASES = [
    pytest.param("iam.GenerateCredentialReport: ReportInProgress", id="operation-name"),
    pytest.param("the scan deadline passed before this request was sent", id="deadline"),
    pytest.param("AuthorizationFailed: The client does not have authorization", id="azure-code"),
    pytest.param("403 Forbidden: GET http://127.0.0.1:1/v1/projects/p/serviceAccounts", id="url"),
]


@pytest.mark.parametrize("text", KEPT_CASES)
def test_redact_keeps_ordinary_messages(text):
    from ztscan.redaction import redact

    assert redact(text) == text


def test_redact_registered_secret():
    from ztscan.redaction import redact, register_secret

    register_secret("ZTCANARYregistered-value-123")
    assert redact("echo ZTCANARYregistered-value-123 back") == "echo [REDACTED] back"


def test_collection_error_message_redacted():
    from ztscan.model import CollectionError, Scope

    error = CollectionError(Scope("gcp", "p"), "iam", "serviceAccounts.list", "403",
                            "denied: Authorization: Bearer ZTCANARYsomething0000", "identity.service_account")
    assert "ZTCANARY" not in error.message
    assert "ZTCANARY" not in error.describe()


def test_cli_error_line_is_redacted(monkeypatch):
    import io

    from ztscan.cli import main
    from ztscan.redaction import register_secret

    canary = "ztscan-canary-cli-error-7f3a9c"
    register_secret(canary)
    err = io.StringIO()
    code = main(["demo", "--output", f"/nonexistent-{canary}/report.json"], out=io.StringIO(), err=err)
    assert code == 2
    assert canary not in err.getvalue()
    assert "[REDACTED]" in err.getvalue()


def test_sdk_debug_log_is_redacted():
    import io
    import logging

    from ztscan.cli import configure_logging
    from ztscan.redaction import register_secret

    canary = "ztscan-canary-sdk-debug-51be20"
    register_secret(canary)
    stream = io.StringIO()
    configure_logging(3, stream)
    try:
        logging.getLogger("botocore.endpoint").debug("Sending request with headers %s", {"X-Amz-Security-Token": canary})
    finally:
        configure_logging(0, io.StringIO())
    assert canary not in stream.getvalue()
    assert "Sending request" in stream.getvalue()
