"""Denied, missing, throttled and failing calls: recorded as collection errors, ERROR findings, never PASS."""

from __future__ import annotations

import pytest

from tests.plugins.azure.azure_estate import security_rule
from tests.plugins.azure.conftest import SECRET_VARIABLE, evaluate_all, run_scan, statuses
from ztscan.provider import ConfigurationError

STORAGE_LIST = r"/subscriptions/{}/providers/Microsoft\.Storage/storageAccounts$"
NSG_LIST = r"/subscriptions/sub-a/providers/Microsoft\.Network/networkSecurityGroups$"


def _two_subscriptions(estate):
    first = estate.subscription("sub-a", "Clinic")
    second = estate.subscription("sub-b", "Billing")
    first.storage_account("clinicstore")
    second.storage_account("billingstore")
    return first, second


def test_storage_denied_in_one_subscription(fake, estate):
    _two_subscriptions(estate)
    fake.fail(STORAGE_LIST.format("sub-b"), 403, times=10, code="AuthorizationFailed")
    inventory = run_scan(fake)
    findings = [finding for finding in evaluate_all(inventory) if finding.rule_id == "ZT-DAT-001"]
    by_account = {(finding.scope.account, finding.status.value) for finding in findings}
    assert ("sub-b", "ERROR") in by_account
    assert ("sub-a", "PASS") in by_account
    assert ("sub-a", "ERROR") not in by_account
    assert ("sub-b", "PASS") not in by_account


def test_storage_denied_error_recorded(fake, estate):
    _two_subscriptions(estate)
    fake.fail(STORAGE_LIST.format("sub-b"), 403, times=10, code="AuthorizationFailed")
    inventory = run_scan(fake)
    [error] = [error for error in inventory.errors if error.kind == "storage.bucket"]
    assert error.code == "AuthorizationFailed"
    assert error.scope.account == "sub-b"
    assert error.facts == ()
    assert error.operation == "storageAccounts.list"


def test_forbidden_is_not_retried(fake, estate):
    _two_subscriptions(estate)
    fake.fail(STORAGE_LIST.format("sub-b"), 403, times=10)
    run_scan(fake)
    assert len(fake.requests_to(STORAGE_LIST.format("sub-b"))) == 1


def test_blob_service_not_found_leaves_versioning_absent(fake, estate):
    first, _ = _two_subscriptions(estate)
    account = first.rid("Microsoft.Storage/storageAccounts", "clinicstore")
    fake.fail(r"/clinicstore/blobServices/default$", 404, code="ResourceNotFound")
    inventory = run_scan(fake)
    bucket = next(resource for resource in inventory.resources if resource.id == account)
    assert not bucket.has("versioning")
    assert bucket.fact("min_tls_version") == "TLS1_2"
    assert statuses(evaluate_all(inventory), "ZT-BAK-002")[account] == "ERROR"


def test_blob_service_not_found_error_names_fact(fake, estate):
    first, _ = _two_subscriptions(estate)
    account = first.rid("Microsoft.Storage/storageAccounts", "clinicstore")
    fake.fail(r"/clinicstore/blobServices/default$", 404, code="ResourceNotFound")
    inventory = run_scan(fake)
    [error] = [error for error in inventory.errors if error.resource_id == account]
    assert error.facts == ("versioning",)
    assert error.code == "ResourceNotFound"


def test_tde_not_found_gives_error_finding(fake, estate):
    sub = estate.subscription("sub-a")
    server = sub.sql_server("sqlclinic")
    fake.fail(r"/databases/db1/transparentDataEncryption/current$", 404)
    inventory = run_scan(fake)
    result = statuses(evaluate_all(inventory), "ZT-DAT-003")
    assert result == {f"{server}/databases/db1": "ERROR"}


def test_throttled_retry_after_is_capped(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("web-nsg", [security_rule("ssh", 100, port="22", source="Internet")])
    fake.fail(NSG_LIST, 429, times=1, headers={"Retry-After": "3600"})
    inventory = run_scan(fake)
    assert len(fake.requests_to(NSG_LIST)) == 2
    assert [resource.name for resource in inventory.resources if resource.kind == "network.firewall"] == ["web-nsg"]
    assert inventory.errors == []


def test_throttled_retries_are_bounded(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("web-nsg")
    fake.fail(NSG_LIST, 429, times=50, headers={"Retry-After": "3600"})
    inventory = run_scan(fake)
    # RetrySettings(total=2) in the test options: the first request and two retries.
    assert len(fake.requests_to(NSG_LIST)) == 3
    [error] = [error for error in inventory.errors if error.kind == "network.firewall"]
    assert error.code == "TooManyRequests"


def test_throttled_listing_gives_error_finding(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("web-nsg")
    fake.fail(NSG_LIST, 429, times=50, headers={"Retry-After": "3600"})
    findings = evaluate_all(run_scan(fake))
    network_findings = [finding for finding in findings if finding.rule_id == "ZT-NET-001"]
    assert [finding.status.value for finding in network_findings] == ["ERROR"]


def test_server_error_is_retried(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("web-nsg")
    fake.fail(NSG_LIST, 500, times=1)
    inventory = run_scan(fake)
    assert len(fake.requests_to(NSG_LIST)) == 2
    assert inventory.errors == []


def test_error_on_second_page_fails_listing(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("first-nsg")
    sub.nsg("second-nsg", [security_rule("ssh", 100, port="22", source="Internet")])
    fake.set_page_size("/subscriptions/sub-a/providers/Microsoft.Network/networkSecurityGroups", 1)
    fake.fail(NSG_LIST, 500, times=50, query={"$skiptoken": "1"})
    inventory = run_scan(fake)
    assert [resource for resource in inventory.resources if resource.kind == "network.firewall"] == []
    findings = [finding for finding in evaluate_all(inventory) if finding.rule_id == "ZT-NET-001"]
    assert [finding.status.value for finding in findings] == ["ERROR"]


def test_graph_denied_gives_mfa_errors(fake, estate):
    estate.subscription("sub-a")
    estate.user("alice")
    fake.fail(r"/v1\.0/identity/conditionalAccess/policies$", 403, times=10, code="Authorization_RequestDenied")
    fake.fail(r"/v1\.0/reports/authenticationMethods/userRegistrationDetails$", 403, times=10,
              code="Authorization_RequestDenied")
    findings = evaluate_all(run_scan(fake))
    for rule_id in ("ZT-IAM-008", "ZT-IAM-009", "ZT-IAM-001"):
        assert set(statuses(findings, rule_id).values()) == {"ERROR"}, rule_id


def test_graph_denied_leaves_mfa_facts_absent(fake, estate):
    estate.subscription("sub-a")
    estate.user("alice")
    fake.fail(r"/v1\.0/identity/conditionalAccess/policies$", 403, times=10, code="Authorization_RequestDenied")
    inventory = run_scan(fake)
    [policy] = [resource for resource in inventory.resources if resource.kind == "identity.tenant_policy"]
    assert policy.fact("security_defaults") is False
    assert not policy.has("mfa_required_all_users")
    assert not policy.has("mfa_assessable")
    codes = {error.code for error in inventory.errors if error.kind == "identity.tenant_policy"}
    assert codes == {"Authorization_RequestDenied"}


def test_graph_fully_denied_fails_user_listing(fake, estate):
    estate.subscription("sub-a")
    estate.user("alice")
    fake.fail(r"^/v1\.0/", 403, times=100, code="Authorization_RequestDenied")
    inventory = run_scan(fake)
    findings = [finding for finding in evaluate_all(inventory) if finding.rule_id == "ZT-IAM-001"]
    assert [finding.status.value for finding in findings] == ["ERROR"]
    assert not any(resource.kind == "identity.user" for resource in inventory.resources)


def test_security_defaults_settle_mfa_when_policies_denied(fake, estate):
    estate.subscription("sub-a")
    estate.security_defaults(True)
    fake.fail(r"/v1\.0/identity/conditionalAccess/policies$", 403, times=10)
    inventory = run_scan(fake)
    [policy] = [resource for resource in inventory.resources if resource.kind == "identity.tenant_policy"]
    assert policy.fact("mfa_required_all_users") is True
    assert policy.fact("mfa_required_admins") is True


def test_token_refused_is_configuration_error(fake, estate):
    estate.subscription("sub-a")
    fake.fail(r"/oauth2/v2\.0/token$", 401, times=10, code="invalid_client")
    with pytest.raises(ConfigurationError, match="could not get an Azure token"):
        run_scan(fake)


def test_missing_secret_variable(fake, estate, monkeypatch):
    estate.subscription("sub-a")
    monkeypatch.delenv(SECRET_VARIABLE)
    with pytest.raises(ConfigurationError, match=SECRET_VARIABLE):
        run_scan(fake)


def test_unknown_subscription_is_failed_scope(fake, estate):
    estate.subscription("sub-a")
    inventory = run_scan(fake, subscriptions="sub-a,sub-missing")
    failed = [record for record in inventory.scopes if record.state.value == "failed"]
    assert [record.scope.account for record in failed] == ["sub-missing"]
    codes = {error.code for error in inventory.errors if error.scope.account == "sub-missing"}
    assert codes == {"SubscriptionNotFound"}


def test_subscription_listing_failure_is_error(fake, estate):
    estate.subscription("sub-a")
    fake.fail(r"^/subscriptions$", 403, times=10)
    inventory = run_scan(fake)
    assert inventory.metadata["subscriptions"] == []
    findings = [finding for finding in evaluate_all(inventory) if finding.rule_id == "ZT-DAT-001"]
    assert [finding.status.value for finding in findings] == ["ERROR"]


def test_no_visible_subscription_is_configuration_error(fake, estate):
    with pytest.raises(ConfigurationError, match="no Azure subscription"):
        run_scan(fake)


def test_collector_crash_becomes_error(fake, estate):
    estate.subscription("sub-a").nsg("good-nsg")
    # ARM never returns an out-of-range port, so the normalizer raises and the collector crashes.
    estate.subscription("sub-b").nsg("bad-nsg", [security_rule("odd", 100, port="70000", source="*")])
    inventory = run_scan(fake)
    crashed = [error for error in inventory.errors if error.code == "CollectorCrashed"]
    assert {error.scope.account for error in crashed} == {"sub-b"}
    assert "network.firewall" in {error.kind for error in crashed}
    findings = [finding for finding in evaluate_all(inventory) if finding.rule_id == "ZT-NET-001"]
    assert {(finding.scope.account, finding.status.value) for finding in findings} == {
        ("sub-a", "PASS"), ("sub-b", "ERROR")}
