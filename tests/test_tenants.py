"""Tests of ztscan.tenants: loading and validating tenants files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ztscan.provider import ConfigurationError
from ztscan.redaction import redact
from ztscan.tenants import load_tenants, validate_tenants

GOOD_YAML = """\
version: 1
defaults:
  aws:
    regions: [us-east-1, eu-west-1]
tenants:
  - name: clinic-north
    aws:
      profile: clinic-north
  - name: hospital-b
    description: role in the client's account
    aws:
      role_arn: arn:aws:iam::111122223333:role/ZtscanAudit
      external_id: hospital-b-7f3e
  - name: group-c
    aws:
      - organization:
          member_role: ZtscanAudit
          external_id: group-c-org
          exclude_accounts: ["999988887777"]
      - profile: group-c-legacy
        regions: us-west-2
    azure:
      tenant_id: 11111111-2222-3333-4444-555555555555
      client_id: 66666666-7777-8888-9999-000000000000
      client_secret_env: GROUPC_AZURE_SECRET
      subscriptions: [aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee]
    gcp:
      organization: "123456789"
      impersonate: ztscan@msp-hub.iam.gserviceaccount.com
"""

GOOD_TOML = """\
version = 1

[[tenants]]
name = "clinic-north"
[tenants.aws]
profile = "clinic-north"

[[tenants]]
name = "lab-d"
[tenants.gcp]
projects = ["lab-d-prod", "lab-d-dev"]
key_file = "/secrets/lab-d.json"
"""


def write(tmp_path: Path, text: str, name: str = "tenants.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(data: object) -> str:
    with pytest.raises(ConfigurationError) as caught:
        validate_tenants(data, "tenants.yaml")
    return str(caught.value)


def tenant(name: str = "acme", **clouds: object) -> dict:
    return {"version": 1, "tenants": [{"name": name, **clouds}]}


def test_load_yaml_tenants(tmp_path: Path) -> None:
    loaded = load_tenants(write(tmp_path, GOOD_YAML))
    assert loaded.names() == ["clinic-north", "hospital-b", "group-c"]
    assert loaded.tenants[0].aws[0]["regions"] == ["us-east-1", "eu-west-1"]
    assert loaded.tenants[1].aws[0]["external_id"] == "hospital-b-7f3e"
    assert loaded.tenants[2].aws[0]["organization"]["member_role"] == "ZtscanAudit"
    assert loaded.tenants[2].aws[1]["regions"] == ["us-west-2"]
    assert loaded.tenants[2].azure[0]["client_secret_env"] == "GROUPC_AZURE_SECRET"
    assert loaded.tenants[2].gcp[0]["organization"] == "123456789"
    assert len(loaded.sha256) == 64


def test_load_toml_tenants(tmp_path: Path) -> None:
    loaded = load_tenants(write(tmp_path, GOOD_TOML, "tenants.toml"))
    assert loaded.names() == ["clinic-north", "lab-d"]
    assert loaded.tenants[1].gcp[0]["projects"] == ["lab-d-prod", "lab-d-dev"]


def test_tenant_entries_order(tmp_path: Path) -> None:
    loaded = load_tenants(write(tmp_path, GOOD_YAML))
    assert [cloud for cloud, _ in loaded.tenants[2].entries()] == ["aws", "aws", "azure", "gcp"]


@pytest.mark.parametrize(("name", "text", "expected"), [
    pytest.param("tenants.json", "{}", "unknown file type '.json'", id="suffix"),
    pytest.param("tenants.yaml", "tenants: [\n", "invalid YAML", id="yaml-syntax"),
    pytest.param("tenants.toml", "tenants = [", "invalid TOML", id="toml-syntax"),
])
def test_load_unreadable(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        load_tenants(write(tmp_path, text, name))


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read tenants file"):
        load_tenants(tmp_path / "absent.yaml")


@pytest.mark.parametrize(("key", "value", "hint"), [
    pytest.param("client_secret", "s3cr3t-value", "client_secret_env", id="azure-client-secret"),
    pytest.param("secret", "s3cr3t-value", "client_secret_env", id="secret"),
    pytest.param("password", "hunter22", "client_secret_env", id="password"),
    pytest.param("aws_secret_access_key", "k3y-v4lue", "profile", id="aws-secret-key"),
    pytest.param("aws_access_key_id", "k3y-v4lue", "profile", id="aws-key-id"),
    pytest.param("private_key", "k3y-v4lue", "key_file", id="private-key"),
    pytest.param("Client_Secret", "k3y-v4lue", "client_secret_env", id="mixed-case"),
])
def test_inline_secret_key_rejected(key: str, value: str, hint: str) -> None:
    message = problems_of(tenant(azure={"tenant_id": "t", "client_id": "c", "certificate_path": "/c.pem",
                                        key: value}))
    assert "tenant 'acme'" in message
    assert f"azure.{key}" in message
    assert "must not be written" in message
    assert hint in message
    assert value not in message
    # Error output is redacted; the explanation must come through it whole.
    assert redact(message) == message


@pytest.mark.parametrize(("field", "value", "shape"), [
    pytest.param("profile", "AKIAIOSFODNN7EXAMPLE", "AWS access key id", id="aws-key-id"),
    pytest.param("profile", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key", id="aws-secret"),
    pytest.param("profile", "-----BEGIN RSA PRIVATE KEY-----\nMIIE", "PEM private key", id="pem"),
    pytest.param("profile", '{"type": "service_account", "private_key": "x"}', "service-account key", id="sa-json"),
    pytest.param("profile", "abc8Q~Zy0aBcDeFgHiJkLmNoPqRsTuVwXyZ0123", "Azure client secret", id="azure-secret"),
])
def test_secret_shaped_value_rejected(field: str, value: str, shape: str) -> None:
    message = problems_of(tenant(aws={field: value}))
    assert "tenant 'acme'" in message
    assert f"aws.{field}" in message
    assert shape in message
    assert value not in message


def test_invalid_name_entry_still_checked() -> None:
    """An invalid or missing name does not hide the entry's other problems."""
    for name in ("bad/name", None):
        entry = {"gcp": {}} if name is None else {"name": name, "gcp": {}}
        message = problems_of({"version": 1, "tenants": [entry]})
        assert "tenant entry 1: name:" in message
        assert "gcp: missing target" in message
        assert "gcp: missing credentials" in message


def test_secret_in_env_name_rejected() -> None:
    message = problems_of(tenant(azure={"tenant_id": "t", "client_id": "c",
                                        "client_secret_env": "abc8Q~Zy0a-BcDe FgHiJk"}))
    assert "azure.client_secret_env" in message
    assert "NAME of an environment variable" in message


def test_random_external_id_accepted() -> None:
    tenants = validate_tenants(tenant(aws={"role_arn": "arn:aws:iam::111122223333:role/Audit",
                                           "external_id": "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0h"}), "t.yaml")
    assert tenants[0].aws[0]["external_id"].startswith("Ab3d")


def test_secret_in_defaults_rejected() -> None:
    message = problems_of({"version": 1, "defaults": {"azure": {"client_secret": "x"}},
                           "tenants": [{"name": "acme", "aws": {"profile": "p"}}]})
    assert "defaults.azure.client_secret" in message


@pytest.mark.parametrize(("data", "where", "field"), [
    pytest.param(tenant(aws={"profile": "p", "region": "us-east-1"}), "tenant 'acme'", "aws.region: unknown key",
                 id="unknown-cloud-key"),
    pytest.param({"version": 1, "tenants": [{"name": "acme", "owner": "x", "aws": {"profile": "p"}}]},
                 "tenant 'acme'", "owner: unknown key", id="unknown-tenant-key"),
    pytest.param({"version": 1, "tenant": []}, "(top level)", "tenant: unknown key", id="unknown-top-key"),
    pytest.param({"version": 1, "tenants": [{"aws": {"profile": "p"}}]}, "tenant entry 1", "name: missing",
                 id="missing-name"),
    pytest.param({"version": 1, "tenants": [{"name": "a b", "aws": {"profile": "p"}}]}, "tenant entry 1",
                 "name: 'a b' is invalid", id="bad-name"),
    pytest.param(tenant(), "tenant 'acme'", "no cloud given", id="no-cloud"),
    pytest.param(tenant(aws={"regions": ["us-east-1"]}), "tenant 'acme'", "aws: missing credentials",
                 id="aws-no-credentials"),
    pytest.param(tenant(aws={"role_arn": "arn:aws:iam::1:role/x"}), "tenant 'acme'", "aws.role_arn: ",
                 id="aws-bad-arn"),
    pytest.param(tenant(aws={"profile": "p", "external_id": "abc"}), "tenant 'acme'", "aws.external_id: set without",
                 id="aws-external-id-alone"),
    pytest.param(tenant(aws={"role_arn": "arn:aws:iam::111122223333:role/x", "organization": {"member_role": "r"}}),
                 "tenant 'acme'", "either role_arn", id="aws-role-and-org"),
    pytest.param(tenant(aws={"organization": {"external_id": "abc"}}), "tenant 'acme'",
                 "aws.organization.member_role: missing", id="aws-org-no-role"),
    pytest.param(tenant(aws={"organization": {"member_role": "r", "accounts": ["12"]}}), "tenant 'acme'",
                 "aws.organization.accounts: '12' is invalid", id="aws-org-bad-account"),
    pytest.param(tenant(azure={"client_id": "c", "client_secret_env": "V"}), "tenant 'acme'",
                 "azure.tenant_id: missing", id="azure-no-tenant-id"),
    pytest.param(tenant(azure={"tenant_id": "t", "client_id": "c"}), "tenant 'acme'",
                 "exactly one of client_secret_env", id="azure-no-credential"),
    pytest.param(tenant(azure={"tenant_id": "t", "client_id": "c", "client_secret_env": "V",
                               "certificate_path": "/c.pem"}), "tenant 'acme'", "exactly one of client_secret_env",
                 id="azure-two-credentials"),
    pytest.param(tenant(gcp={"key_file": "/k.json"}), "tenant 'acme'", "gcp: missing target", id="gcp-no-target"),
    pytest.param(tenant(gcp={"projects": ["p"]}), "tenant 'acme'", "gcp: missing credentials", id="gcp-no-credential"),
    pytest.param(tenant(gcp={"organization": "acme-org", "key_file": "/k"}), "tenant 'acme'",
                 "gcp.organization: 'acme-org' is invalid", id="gcp-bad-org"),
    pytest.param(tenant(aws=[{"profile": "p"}, "x"]), "tenant 'acme'", "aws[1]: expected a mapping",
                 id="aws-list-item"),
    pytest.param({"version": 2, "tenants": [{"name": "a", "aws": {"profile": "p"}}]}, "(top level)",
                 "version: 2 is not supported", id="version"),
    pytest.param({"version": 1, "tenants": []}, "(top level)", "tenants: missing or empty", id="no-tenants"),
])
def test_invalid_entry(data: dict, where: str, field: str) -> None:
    message = problems_of(data)
    assert f"{where}: " in message
    assert field in message


def test_duplicate_tenant() -> None:
    message = problems_of({"version": 1, "tenants": [{"name": "Acme", "aws": {"profile": "a"}},
                                                     {"name": "acme", "aws": {"profile": "b"}}]})
    assert "tenant 'acme'" in message
    assert "name: duplicate tenant name (also entry 1)" in message


def test_every_problem_listed() -> None:
    message = problems_of({"version": 1, "tenants": [{"name": "one", "aws": {"profile": "p", "x": 1}},
                                                     {"name": "two", "gcp": {"projects": ["p"]}}]})
    assert "2 problems" in message
    assert "tenant 'one': aws.x: unknown key" in message
    assert "tenant 'two': gcp: missing credentials" in message
    assert "nothing was scanned" in message


def test_defaults_apply_without_creating_entries() -> None:
    tenants = validate_tenants({"version": 1, "defaults": {"aws": {"regions": ["eu-west-1"]}},
                                "tenants": [{"name": "a", "gcp": {"projects": ["p"], "key_file": "/k"}}]}, "t.yaml")
    assert tenants[0].aws == ()
    assert tenants[0].gcp[0]["projects"] == ["p"]


@pytest.mark.parametrize(("document", "language"), [
    pytest.param("tenants.md", "yaml", id="tenants-yaml"),
    pytest.param("tenants.md", "toml", id="tenants-toml"),
    pytest.param("scale-out.md", "configmap", id="scale-out-configmap"),
])
def test_docs_examples_valid(document: str, language: str) -> None:
    import re
    import tomllib

    import yaml

    text = (Path(__file__).resolve().parent.parent / "docs" / document).read_text(encoding="utf-8")
    if language == "toml":
        data = tomllib.loads(re.findall(r"```toml\n(.*?)```", text, re.S)[0])
    elif language == "yaml":
        data = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", text, re.S)[0])
    else:
        config_map = next(yaml.safe_load_all(re.findall(r"```yaml\n(.*?)```", text, re.S)[0]))
        data = yaml.safe_load(config_map["data"]["tenants.yaml"])
    assert validate_tenants(data, document)
