"""Named firewall and bucket cases: collect from the fake server, then evaluate every built-in rule."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import Status
from ztscan.rulecatalogue import load_rule_catalogue
from ztscan.rules import all_rules

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import collect

P = "clinic-prod"
SSH = {"IPProtocol": "tcp", "ports": ["22"]}


@pytest.fixture(scope="module")
def rules_and_severities():
    catalogue = load_rule_catalogue()
    rules = list(all_rules())
    return rules, {rule.id: catalogue[rule.id].severity for rule in rules}


def _findings(server, rules_and_severities, **layout):
    b.ProjectLayout(P, networks=[b.network(P, "phi", auto=False)], **layout).install(server)
    rules, severities = rules_and_severities
    return evaluate(collect(server), rules, severities)


def _status(findings, rule_id: str, kind: str) -> set[Status]:
    return {f.status for f in findings if f.rule_id == rule_id and f.resource_kind == kind}


@pytest.mark.parametrize(
    "firewalls, expected",
    [
        pytest.param([b.firewall(P, "ssh-v4", "phi", allowed=[SSH], sourceRanges=["0.0.0.0/0"])],
                     Status.FAIL, id="ssh-from-any-ipv4"),
        pytest.param([b.firewall(P, "ssh-v6", "phi", allowed=[SSH], sourceRanges=["::/0"])],
                     Status.FAIL, id="ssh-from-any-ipv6"),
        pytest.param([b.firewall(P, "ssh-off", "phi", allowed=[SSH], sourceRanges=["0.0.0.0/0"], disabled=True)],
                     Status.PASS, id="disabled-rule"),
        pytest.param([b.firewall(P, "icmp", "phi", allowed=[{"IPProtocol": "icmp"}], sourceRanges=["0.0.0.0/0"])],
                     Status.PASS, id="icmp-only"),
        pytest.param([b.firewall(P, "ssh", "phi", allowed=[SSH], sourceRanges=["0.0.0.0/0"], priority=1000),
                      b.firewall(P, "deny-ssh", "phi", denied=[SSH], sourceRanges=["0.0.0.0/0"], priority=100)],
                     Status.PASS, id="higher-priority-deny"),
        pytest.param([b.firewall(P, "ssh", "phi", allowed=[SSH], sourceRanges=["0.0.0.0/0"], priority=100),
                      b.firewall(P, "deny-ssh", "phi", denied=[SSH], sourceRanges=["0.0.0.0/0"], priority=1000)],
                     Status.FAIL, id="lower-priority-deny"),
        pytest.param([b.firewall(P, "all", "phi", allowed=[{"IPProtocol": "all"}], sourceRanges=["0.0.0.0/0"])],
                     Status.FAIL, id="protocol-all"),
        pytest.param([b.firewall(P, "range", "phi", allowed=[{"IPProtocol": "tcp", "ports": ["20-30"]}],
                                 sourceRanges=["0.0.0.0/0"])], Status.FAIL, id="port-range"),
        pytest.param([b.firewall(P, "tcp-any", "phi", allowed=[{"IPProtocol": "tcp"}], sourceRanges=["0.0.0.0/0"])],
                     Status.FAIL, id="tcp-no-ports"),
        pytest.param([b.firewall(P, "tagged", "phi", allowed=[SSH], sourceTags=["bastion"])],
                     Status.PASS, id="source-tag-only"),
        pytest.param([b.firewall(P, "sa", "phi", allowed=[SSH],
                                 sourceServiceAccounts=["bastion@clinic-prod.iam.gserviceaccount.com"])],
                     Status.PASS, id="source-service-account-only"),
        pytest.param([b.firewall(P, "targeted", "phi", allowed=[SSH], sourceRanges=["0.0.0.0/0"],
                                 targetTags=["bastion"])], Status.FAIL, id="target-tags-still-exposed"),
        pytest.param([b.firewall(P, "office", "phi", allowed=[SSH], sourceRanges=["203.0.113.0/24"])],
                     Status.PASS, id="narrow-source"),
        pytest.param([], Status.PASS, id="implied-deny-only"),
    ],
)
def test_admin_port_exposure(server, rules_and_severities, firewalls, expected):
    findings = _findings(server, rules_and_severities, firewalls=firewalls)
    assert _status(findings, "ZT-NET-001", "network.firewall") == {expected}


def test_database_port_exposure(server, rules_and_severities):
    firewalls = [b.firewall(P, "pg", "phi", allowed=[{"IPProtocol": "tcp", "ports": ["5432"]}],
                            sourceRanges=["::/0"])]
    findings = _findings(server, rules_and_severities, firewalls=firewalls)
    assert _status(findings, "ZT-NET-002", "network.firewall") == {Status.FAIL}


@pytest.mark.parametrize(
    "fields, bindings, rule_id, expected",
    [
        pytest.param({}, {"roles/storage.objectViewer": ["allUsers"]}, "ZT-DAT-009", Status.FAIL, id="all-users"),
        pytest.param({}, {"roles/storage.objectViewer": ["allAuthenticatedUsers"]}, "ZT-DAT-009", Status.FAIL,
                     id="all-authenticated-users"),
        pytest.param({}, {}, "ZT-DAT-009", Status.PASS, id="private"),
        pytest.param({"iamConfiguration": {"publicAccessPrevention": "enforced"}}, {}, "ZT-DAT-006", Status.PASS,
                     id="prevention-enforced"),
        pytest.param({}, {}, "ZT-DAT-006", Status.FAIL, id="prevention-inherited"),
        pytest.param({}, {}, "ZT-DAT-001", Status.PASS, id="encrypted"),
        pytest.param({}, {}, "ZT-DAT-005", Status.PASS, id="https-only"),
        pytest.param({"versioning": {"enabled": True}}, {}, "ZT-BAK-002", Status.PASS, id="versioning"),
        pytest.param({}, {}, "ZT-BAK-002", Status.FAIL, id="no-versioning"),
        pytest.param({"logging": {"logBucket": "logs"}}, {}, "ZT-LOG-002", Status.PASS, id="logging"),
        pytest.param({}, {}, "ZT-LOG-002", Status.FAIL, id="no-logging"),
    ],
)
def test_bucket_rules(server, rules_and_severities, fields, bindings, rule_id, expected):
    findings = _findings(server, rules_and_severities, buckets=[b.bucket("phi", **fields)],
                         bucket_policies={"phi": b.policy(bindings)})
    assert _status(findings, rule_id, "storage.bucket") == {expected}


def test_tenant_mfa_not_assessable(server, rules_and_severities):
    findings = _findings(server, rules_and_severities)
    assert _status(findings, "ZT-IAM-008", "identity.tenant_policy") == {Status.NOT_APPLICABLE}
    message = next(f.message for f in findings if f.rule_id == "ZT-IAM-008")
    assert "Cloud Identity" in message


def test_denied_firewalls_are_error(server, rules_and_severities):
    server.fail("/global/firewalls", 403, times=5)
    findings = _findings(server, rules_and_severities)
    assert _status(findings, "ZT-NET-001", "network.firewall") == {Status.ERROR}


def test_no_pass_without_data(server, rules_and_severities):
    server.fail("/compute/", 403, times=100)
    server.fail("/storage/", 403, times=100)
    findings = _findings(server, rules_and_severities)
    for rule_id in ("ZT-NET-001", "ZT-NET-004", "ZT-CMP-002", "ZT-DAT-002", "ZT-DAT-009"):
        statuses = {f.status for f in findings if f.rule_id == rule_id}
        assert statuses == {Status.ERROR}, rule_id


def test_no_rule_crashes_on_full_project(server, rules_and_severities):
    default_sa = "123456789-compute@developer.gserviceaccount.com"
    findings = _findings(
        server, rules_and_severities,
        subnet_scopes={"regions/us-central1": [b.subnetwork(P, "phi-a", network_name="phi", flow_logs=True)]},
        firewalls=[b.firewall(P, "ssh", "phi", allowed=[SSH], sourceRanges=["0.0.0.0/0"], targetTags=["web"])],
        instance_scopes={"zones/us-central1-a": [b.instance(P, "web", nat_ip="34.1.2.3", service_account=default_sa,
                                                            scopes=("https://www.googleapis.com/auth/cloud-platform",))]},
        disk_scopes={"zones/us-central1-a": [b.disk(P, "web-boot")]},
        buckets=[b.bucket("phi")],
        sql_instances=[b.sql_instance(P, "db", ip_configuration={"ipv4Enabled": True, "authorizedNetworks": [
            {"value": "0.0.0.0/0"}]})],
        iam_policy=b.policy({"roles/owner": ["user:alice@clinic.example"]}),
        service_accounts=[b.service_account(P, "app@clinic-prod.iam.gserviceaccount.com")],
        crypto_keys={"global": [{"short": "k", "purpose": "ENCRYPT_DECRYPT",
                                 "primary": {"name": "v1", "state": "ENABLED"}}]},
    )
    crashes = [f"{f.rule_id}: {f.message}" for f in findings if "crash" in f.evidence]
    assert crashes == []
    assert _status(findings, "ZT-NET-006", "database") == {Status.FAIL}
    assert _status(findings, "ZT-CMP-005", "compute.instance") == {Status.FAIL}
    assert _status(findings, "ZT-DAT-007", "crypto.key") == {Status.FAIL}


def test_data_access_logs_unknown_is_error(server, rules_and_severities):
    server.fail(f"/v3/{b.ORGANIZATION}:getIamPolicy", 403, method="POST")
    findings = _findings(server, rules_and_severities)
    assert _status(findings, "ZT-LOG-003", "account") == {Status.ERROR}
    assert _status(findings, "ZT-LOG-001", "account") == {Status.PASS}
