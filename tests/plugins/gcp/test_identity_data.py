"""IAM policy, service accounts, audit configs, Cloud SQL and Cloud KMS."""

from __future__ import annotations

import pytest

from ztscan_gcp.sql import sql_instance_facts

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import by_kind, collect

P = "clinic-prod"
APP = "app@clinic-prod.iam.gserviceaccount.com"
DEPLOY = "deploy@clinic-prod.iam.gserviceaccount.com"
ALL_SERVICES_DATA = {"service": "allServices", "auditLogConfigs": [
    {"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]}


def _layout(**fields) -> b.ProjectLayout:
    defaults = dict(
        iam_policy=b.policy({
            "roles/owner": ["user:alice@clinic.example", f"serviceAccount:{DEPLOY}"],
            "roles/editor": ["user:bob@clinic.example", "group:ops@clinic.example"],
            "roles/viewer": ["user:carol@clinic.example", "allAuthenticatedUsers"],
        }, audit_configs=[ALL_SERVICES_DATA]),
        service_accounts=[b.service_account(P, APP), b.service_account(P, DEPLOY, disabled=True)],
        service_account_keys={APP: [
            b.account_key(P, APP, "old", "2023-01-01T00:00:00Z"),
            b.account_key(P, APP, "off", "2023-01-01T00:00:00Z", disabled=True),
            b.account_key(P, APP, "short", "2026-01-01T00:00:00Z", expires="2026-03-01T00:00:00Z"),
        ]},
    )
    defaults.update(fields)
    return b.ProjectLayout(P, **defaults)


def test_primitive_role_users(server):
    _layout().install(server)
    users = by_kind(collect(server), "identity.user")
    assert sorted(users) == ["alice@clinic.example", "bob@clinic.example"]
    assert users["alice@clinic.example"].facts["admin_policies"] == ["roles/owner"]
    assert users["bob@clinic.example"].facts["admin_rights"] is True
    assert users["bob@clinic.example"].facts["admin_via_direct_policy"] is True


def test_user_mfa_not_readable(server):
    _layout().install(server)
    inventory = collect(server)
    alice = by_kind(inventory, "identity.user")["alice@clinic.example"]
    assert "mfa_enabled" not in alice.facts
    assert "Google Workspace" in alice.facts["credentials_managed_externally"]
    assert [e for e in inventory.errors if e.kind == "identity.user"] == []


def test_user_mfa_rules_not_assessable(server):
    from ztscan.engine import evaluate
    from ztscan.model import Status
    from ztscan.rulecatalogue import load_rule_catalogue
    from ztscan.rules import all_rules

    _layout().install(server)
    catalogue = load_rule_catalogue()
    rules = [rule for rule in all_rules() if rule.id in ("ZT-IAM-001", "ZT-IAM-005")]
    findings = evaluate(collect(server), rules, {rule.id: catalogue[rule.id].severity for rule in rules})
    assert findings
    for finding in findings:
        assert finding.status is Status.NOT_APPLICABLE
        assert "not assessable" in finding.message


def test_tenant_policy_not_assessable(server):
    _layout().install(server)
    policy = next(iter(by_kind(collect(server), "identity.tenant_policy").values()))
    assert policy.facts["mfa_assessable"] is False
    assert "Cloud Identity" in policy.facts["mfa_reason"]
    assert policy.facts["mfa_required_all_users"] is None


def test_public_project_bindings(server):
    _layout().install(server)
    account = by_kind(collect(server), "account")[P]
    assert account.facts["public_grants"] == ["roles/viewer:allAuthenticatedUsers"]


def test_service_accounts(server):
    _layout().install(server)
    accounts = by_kind(collect(server), "identity.service_account")
    app, deploy = accounts[APP].facts, accounts[DEPLOY].facts
    assert [key["id"] for key in app["user_managed_keys"]] == ["old", "short"]
    assert app["user_managed_keys"][0] == {"id": "old", "created": "2023-01-01T00:00:00+00:00", "expires": None}
    assert app["user_managed_keys"][1]["expires"] == "2026-03-01T00:00:00+00:00"
    assert app["admin_rights"] is False
    assert deploy["admin_rights"] is True
    assert deploy["disabled"] is True


@pytest.mark.parametrize(
    "audit_configs, expected",
    [
        pytest.param([ALL_SERVICES_DATA], True, id="all-services-read-write"),
        pytest.param([], False, id="none"),
        pytest.param([{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_WRITE"}]}], False,
                     id="writes-only"),
        pytest.param([{"service": "storage.googleapis.com", "auditLogConfigs": [
            {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]}], False, id="one-service"),
        pytest.param([{"service": "allServices", "auditLogConfigs": [
            {"logType": "DATA_READ", "exemptedMembers": ["user:bob@clinic.example"]}, {"logType": "DATA_WRITE"}]}],
            False, id="exempted-member"),
    ],
)
def test_audit_data_access(server, audit_configs, expected):
    _layout(iam_policy=b.policy({}, audit_configs=audit_configs)).install(server)
    trail = next(iter(by_kind(collect(server), "audit.trail").values()))
    assert trail.facts["data_access_events"] is expected
    assert trail.facts["logging"] is True


def test_audit_data_access_inherited(server):
    folder_config = {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}
    org_config = {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_WRITE"}]}
    _layout(iam_policy=b.policy({}), ancestors=[
        ("folders/11", b.policy({}, audit_configs=[folder_config])),
        ("folders/1", b.policy({})),
        (b.ORGANIZATION, b.policy({}, audit_configs=[org_config])),
    ]).install(server)
    trail = next(iter(by_kind(collect(server), "audit.trail").values()))
    assert trail.facts["data_access_events"] is True
    assert len(server.requests_to(":getIamPolicy", method="POST")) == 4


def test_audit_ancestors_skipped_when_project_enables(server):
    _layout().install(server)
    collect(server)
    assert server.requests_to("/v3/organizations/") == []


def test_audit_ancestor_denied_leaves_fact_out(server):
    _layout(iam_policy=b.policy({})).install(server)
    server.fail(f"/v3/{b.ORGANIZATION}:getIamPolicy", 403, method="POST")
    inventory = collect(server)
    trail = next(iter(by_kind(inventory, "audit.trail").values()))
    assert "data_access_events" not in trail.facts
    error = next(e for e in inventory.errors if e.kind == "audit.trail")
    assert error.facts == ("data_access_events",)
    assert error.resource_id == trail.id


def test_policy_denied_is_error_for_users_and_trail(server):
    _layout().install(server)
    server.fail(f"/v3/projects/{P}:getIamPolicy", 403, method="POST")
    inventory = collect(server)
    kinds = {e.kind for e in inventory.errors if e.operation == "projects.getIamPolicy" and not e.facts}
    assert kinds == {"identity.user", "audit.trail"}
    assert "admin_rights" not in by_kind(inventory, "identity.service_account")[APP].facts


@pytest.mark.parametrize(
    "ip_configuration, expected",
    [
        pytest.param({"ipv4Enabled": True, "authorizedNetworks": [{"value": "0.0.0.0/0", "name": "any"}]},
                     {"publicly_accessible": True, "tls_required": False}, id="open-network"),
        pytest.param({"ipv4Enabled": True, "authorizedNetworks": [{"value": "203.0.113.0/24"}]},
                     {"publicly_accessible": False}, id="narrow-network"),
        pytest.param({"ipv4Enabled": False, "authorizedNetworks": [{"value": "0.0.0.0/0"}]},
                     {"publicly_accessible": False}, id="private-ip-only"),
        pytest.param({"ipv4Enabled": True, "requireSsl": True}, {"tls_required": True}, id="require-ssl"),
        pytest.param({"sslMode": "ENCRYPTED_ONLY"}, {"tls_required": True}, id="ssl-mode-encrypted"),
        pytest.param({"sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED", "requireSsl": True}, {"tls_required": False},
                     id="ssl-mode-wins"),
    ],
)
def test_sql_network_forms(ip_configuration, expected):
    facts = sql_instance_facts(b.sql_instance(P, "db", ip_configuration=ip_configuration))
    for name, value in expected.items():
        assert facts[name] == value, name


@pytest.mark.parametrize(
    "backup, instance_type, expected",
    [
        pytest.param({"enabled": True, "backupRetentionSettings": {"retainedBackups": 14}}, "CLOUD_SQL_INSTANCE", 14,
                     id="retained-14"),
        pytest.param({"enabled": True}, "CLOUD_SQL_INSTANCE", 7, id="default-retention"),
        pytest.param({"enabled": False}, "CLOUD_SQL_INSTANCE", 0, id="disabled"),
        pytest.param({"enabled": False}, "READ_REPLICA_INSTANCE", None, id="replica"),
    ],
)
def test_sql_backups(backup, instance_type, expected):
    facts = sql_instance_facts(b.sql_instance(P, "db", backup=backup, instanceType=instance_type))
    assert facts["backup_retention_days"] == expected


def test_sql_over_rest(server):
    b.ProjectLayout(P, sql_instances=[b.sql_instance(P, f"db-{i}") for i in range(3)]).install(server)
    server.set_list(f"/v1/projects/{P}/instances", [b.sql_instance(P, f"db-{i}") for i in range(3)], page_size=2)
    databases = by_kind(collect(server), "database")
    assert sorted(databases) == ["db-0", "db-1", "db-2"]
    assert databases["db-0"].facts["storage_encrypted"] is True
    assert databases["db-0"].facts["engine"] == "postgres"


def test_kms_keys(server):
    layout = b.ProjectLayout(P, buckets=[b.bucket("phi", location="US")], crypto_keys={
        "global": [{"short": "rotated", "purpose": "ENCRYPT_DECRYPT", "rotationPeriod": "7776000s",
                    "primary": {"name": "v1", "state": "ENABLED"}}],
        "us": [{"short": "manual", "purpose": "ENCRYPT_DECRYPT", "primary": {"name": "v1", "state": "ENABLED"}},
               {"short": "signing", "purpose": "ASYMMETRIC_SIGN"}],
        "europe-west1": [{"short": "unseen", "purpose": "ENCRYPT_DECRYPT"}],
    })
    layout.install(server)
    keys = by_kind(collect(server), "crypto.key")
    assert sorted(keys) == ["manual", "rotated", "signing"]  # europe-west1 has no other resource
    assert keys["rotated"].facts["rotation_period_days"] == 90
    assert keys["rotated"].facts["state"] == "Enabled"
    assert keys["manual"].facts["rotation_enabled"] is False
    assert keys["signing"].facts["rotation_supported"] is False
    assert keys["manual"].scope.region == "us"


def test_kms_explicit_locations(server):
    b.ProjectLayout(P, crypto_keys={"europe-west1": [{"short": "eu", "purpose": "ENCRYPT_DECRYPT"}]}).install(server)
    keys = by_kind(collect(server, kms_locations="europe-west1"), "crypto.key")
    assert sorted(keys) == ["eu"]
    assert server.requests_to("/locations/global/keyRings") == []
