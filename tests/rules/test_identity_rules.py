"""Identity rules: MFA, root credentials, key age, unused credentials, password policy, admin rights."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import CollectionError, GLOBAL, Inventory, Resource, Scope, Severity, Status
from ztscan.rules import identity
from ztscan.rules.clock import frozen

SCOPE = Scope("test", "acct", GLOBAL)
NOW = "2026-06-30T00:00:00+00:00"
RECENT = "2026-06-01T00:00:00+00:00"  # 29 days before NOW
OLD = "2026-01-01T00:00:00+00:00"  # 180 days before NOW
EDGE = "2026-04-01T00:00:00+00:00"  # exactly 90 days before NOW


def resource(kind, **facts):
    return Resource(kind, f"{kind}-1", SCOPE, name="alice", facts=facts)


def check(rule, kind, **facts):
    with frozen(NOW):
        return rule.check(resource(kind, **facts), None)


def key(key_id="AKIA1", active=True, created=RECENT, last_used=RECENT):
    return {"id": key_id, "active": active, "created": created, "last_used": last_used}


@pytest.mark.parametrize(("console", "mfa", "expected"), [
    pytest.param(True, True, Status.PASS, id="console-with-mfa"),
    pytest.param(True, False, Status.FAIL, id="console-without-mfa"),
    pytest.param(False, False, Status.NOT_APPLICABLE, id="keys-only-user"),
])
def test_console_users_mfa(console, mfa, expected):
    outcome = check(identity.console_users_mfa, "identity.user", console_access=console, mfa_enabled=mfa)
    assert outcome.status is expected


def test_console_mfa_no_password_skips_mfa_fact():
    outcome = check(identity.console_users_mfa, "identity.user", console_access=False)
    assert outcome.status is Status.NOT_APPLICABLE


@pytest.mark.parametrize(("mfa", "expected"), [
    pytest.param(True, Status.PASS, id="mfa"), pytest.param(False, Status.FAIL, id="no-mfa")])
def test_root_mfa(mfa, expected):
    assert check(identity.root_mfa, "identity.root", mfa_enabled=mfa).status is expected


@pytest.mark.parametrize(("present", "expected"), [
    pytest.param(True, Status.FAIL, id="has-key"), pytest.param(False, Status.PASS, id="no-key")])
def test_root_no_access_keys(present, expected):
    assert check(identity.root_no_access_keys, "identity.root", access_keys_present=present).status is expected


KEY_AGE_CASES = [
    pytest.param([key(created=RECENT)], Status.PASS, id="recent-key"),
    pytest.param([key(created=EDGE)], Status.PASS, id="exactly-90-days"),
    pytest.param([key(created=OLD)], Status.FAIL, id="old-key"),
    pytest.param([key(created=OLD, active=False)], Status.NOT_APPLICABLE, id="old-inactive-key"),
    pytest.param([key("A", created=RECENT), key("B", created=OLD)], Status.FAIL, id="second-key-old"),
    pytest.param([], Status.NOT_APPLICABLE, id="no-keys"),
    pytest.param([key(created="2026-01-01T00:00:00Z")], Status.FAIL, id="zulu-suffix"),
]


@pytest.mark.parametrize(("keys", "expected"), KEY_AGE_CASES)
def test_access_keys_rotated(keys, expected):
    assert check(identity.access_keys_rotated, "identity.user", access_keys=keys).status is expected


def test_access_keys_rotated_names_key():
    outcome = check(identity.access_keys_rotated, "identity.user", access_keys=[key("AKIAOLD", created=OLD)])
    assert "AKIAOLD created 2026-01-01" in outcome.message


def user_facts(console=True, last_used=RECENT, changed=None, created=OLD, keys=()):
    return {
        "console_access": console, "password_last_used": last_used, "password_last_changed": changed,
        "created": created, "access_keys": list(keys),
    }


UNUSED_CASES = [
    pytest.param(user_facts(), Status.PASS, id="password-used-recently"),
    pytest.param(user_facts(last_used=OLD), Status.FAIL, id="password-unused"),
    pytest.param(user_facts(last_used=None, created=OLD), Status.FAIL, id="password-never-used-old-user"),
    pytest.param(user_facts(last_used=None, created=RECENT), Status.PASS, id="password-never-used-new-user"),
    pytest.param(user_facts(last_used=None, changed=RECENT, created=OLD), Status.PASS,
                 id="password-never-used-recently-set"),
    pytest.param(user_facts(console=False, keys=[key(last_used=OLD)]), Status.FAIL, id="key-unused"),
    pytest.param(user_facts(console=False, keys=[key(created=OLD, last_used=None)]), Status.FAIL,
                 id="key-never-used-old"),
    pytest.param(user_facts(console=False, keys=[key(created=RECENT, last_used=None)]), Status.PASS,
                 id="key-never-used-new"),
    pytest.param(user_facts(console=False, keys=[key(active=False, last_used=OLD)]), Status.NOT_APPLICABLE,
                 id="inactive-key-only"),
    pytest.param(user_facts(console=False), Status.NOT_APPLICABLE, id="no-credentials"),
]


@pytest.mark.parametrize(("facts", "expected"), UNUSED_CASES)
def test_unused_credentials(facts, expected):
    assert check(identity.unused_credentials_disabled, "identity.user", **facts).status is expected


def test_unused_password_unknown_age_raises():
    with pytest.raises(ValueError, match="age cannot be decided"):
        check(identity.unused_credentials_disabled, "identity.user",
              **user_facts(last_used=None, changed=None, created=None))


def policy(present=True, min_length=14, reuse=24):
    return {"present": present, "min_length": min_length, "reuse_prevention": reuse}


PASSWORD_CASES = [
    pytest.param(policy(), Status.PASS, id="baseline"),
    pytest.param(policy(min_length=20, reuse=24), Status.PASS, id="longer"),
    pytest.param(policy(min_length=8), Status.FAIL, id="short"),
    pytest.param(policy(reuse=5), Status.FAIL, id="low-reuse"),
    pytest.param(policy(reuse=None), Status.FAIL, id="no-reuse-setting"),
    pytest.param(policy(min_length=None), Status.FAIL, id="no-length-setting"),
    pytest.param({"present": False}, Status.FAIL, id="no-policy"),
]


@pytest.mark.parametrize(("facts", "expected"), PASSWORD_CASES)
def test_password_policy(facts, expected):
    assert check(identity.password_policy_strong, "identity.password_policy", **facts).status is expected


def test_password_policy_lists_weak_parts():
    outcome = check(identity.password_policy_strong, "identity.password_policy", **policy(min_length=8, reuse=0))
    assert outcome.message == ("password policy is weak: minimum length 8 (needs at least 14); "
                               "reuse prevention 0 (needs at least 24)")


def test_password_policy_unset_reuse_message():
    outcome = check(identity.password_policy_strong, "identity.password_policy", **policy(reuse=None))
    assert outcome.message == "password policy is weak: reuse prevention not set (needs at least 24)"


@pytest.mark.parametrize(("direct", "expected"), [
    pytest.param(True, Status.FAIL, id="direct-admin"), pytest.param(False, Status.PASS, id="no-direct-admin")])
def test_no_direct_admin_users(direct, expected):
    outcome = check(identity.no_direct_admin_users, "identity.user",
                    admin_via_direct_policy=direct, admin_policies=["AdministratorAccess"] if direct else [])
    assert outcome.status is expected


def test_direct_admin_names_policy():
    outcome = check(identity.no_direct_admin_users, "identity.user",
                    admin_via_direct_policy=True, admin_policies=["AdministratorAccess"])
    assert outcome.message.endswith(": AdministratorAccess")


TENANT_CASES = [
    pytest.param(identity.tenant_mfa_all_users, "mfa_required_all_users", True, Status.PASS, id="all-users-on"),
    pytest.param(identity.tenant_mfa_all_users, "mfa_required_all_users", False, Status.FAIL, id="all-users-off"),
    pytest.param(identity.tenant_mfa_admins, "mfa_required_admins", True, Status.PASS, id="admins-on"),
    pytest.param(identity.tenant_mfa_admins, "mfa_required_admins", False, Status.FAIL, id="admins-off"),
]


@pytest.mark.parametrize(("rule", "fact", "value", "expected"), TENANT_CASES)
def test_tenant_mfa(rule, fact, value, expected):
    outcome = check(rule, "identity.tenant_policy", mfa_assessable=True, **{fact: value})
    assert outcome.status is expected


@pytest.mark.parametrize("rule", [identity.tenant_mfa_all_users, identity.tenant_mfa_admins], ids=["all", "admins"])
def test_tenant_mfa_not_assessable(rule):
    outcome = check(rule, "identity.tenant_policy", mfa_assessable=False, mfa_reason="2-step verification is a "
                    "Workspace setting", mfa_required_all_users=None, mfa_required_admins=None)
    assert outcome.status is Status.NOT_APPLICABLE
    assert outcome.message == ("MFA configuration not readable with this credential: "
                               "2-step verification is a Workspace setting")


def test_tenant_mfa_settled_without_assessable_flag():
    outcome = check(identity.tenant_mfa_all_users, "identity.tenant_policy", mfa_required_all_users=False)
    assert outcome.status is Status.FAIL


def test_tenant_mfa_missing_fact_is_error():
    inventory = Inventory(resources=[resource("identity.tenant_policy", mfa_required_all_users=True)])
    inventory.errors.append(CollectionError(SCOPE, "graph", "identity/conditionalAccess/policies", "Forbidden",
                                            "denied", "identity.tenant_policy",
                                            facts=("mfa_required_admins", "mfa_assessable")))
    findings = evaluate(inventory, [identity.tenant_mfa_all_users, identity.tenant_mfa_admins],
                        {"ZT-IAM-008": Severity.HIGH, "ZT-IAM-009": Severity.CRITICAL})
    assert [finding.status for finding in findings] == [Status.PASS, Status.ERROR]


def test_tenant_mfa_none_when_assessable_raises():
    with pytest.raises(ValueError, match="mfa_assessable is True"):
        check(identity.tenant_mfa_all_users, "identity.tenant_policy",
              mfa_assessable=True, mfa_required_all_users=None)


def sa_key(key_id="k1", created=RECENT, expires=None):
    return {"id": key_id, "created": created, "expires": expires}


SA_KEY_CASES = [
    pytest.param([sa_key()], Status.PASS, id="recent-key"),
    pytest.param([sa_key(created=OLD)], Status.FAIL, id="old-key"),
    pytest.param([sa_key(created=OLD, expires="2026-12-31T00:00:00+00:00")], Status.FAIL, id="old-key-future-expiry"),
    pytest.param([sa_key(created=OLD, expires=RECENT)], Status.NOT_APPLICABLE, id="old-key-expired"),
    pytest.param([], Status.NOT_APPLICABLE, id="no-user-managed-keys"),
]


@pytest.mark.parametrize(("keys", "expected"), SA_KEY_CASES)
def test_service_account_keys(keys, expected):
    outcome = check(identity.service_account_keys_rotated, "identity.service_account", user_managed_keys=keys)
    assert outcome.status is expected


@pytest.mark.parametrize(("admin", "expected"), [
    pytest.param(True, Status.FAIL, id="admin"), pytest.param(False, Status.PASS, id="not-admin")])
def test_service_account_no_admin(admin, expected):
    assert check(identity.service_account_no_admin, "identity.service_account", admin_rights=admin).status is expected


def test_missing_mfa_fact_is_error():
    inventory = Inventory(resources=[resource("identity.user", console_access=True)])
    inventory.errors.append(CollectionError(SCOPE, "iam", "ListMFADevices", "AccessDenied", "denied",
                                            "identity.user", facts=("mfa_enabled",), resource_id="identity.user-1"))
    [finding] = evaluate(inventory, [identity.console_users_mfa], {"ZT-IAM-001": Severity.HIGH})
    assert finding.status is Status.ERROR
    assert "mfa_enabled" in finding.message


def test_login_profile_error_is_error_not_no_password():
    inventory = Inventory(resources=[resource("identity.user", mfa_enabled=False)])
    inventory.errors.append(CollectionError(SCOPE, "iam", "GetLoginProfile", "ServiceFailure", "internal error",
                                            "identity.user", facts=("console_access",), resource_id="identity.user-1"))
    [finding] = evaluate(inventory, [identity.console_users_mfa], {"ZT-IAM-001": Severity.HIGH})
    assert finding.status is Status.ERROR


@pytest.mark.parametrize("rule", [identity.console_users_mfa, identity.unused_credentials_disabled])
def test_externally_managed_credentials_not_assessable(rule):
    outcome = check(rule, "identity.user", console_access=True, access_keys=[],
                    credentials_managed_externally="managed in Google Workspace")
    assert outcome.status is Status.NOT_APPLICABLE
    assert "managed in Google Workspace" in outcome.message


def test_externally_managed_marker_absent_still_judged():
    outcome = check(identity.console_users_mfa, "identity.user", console_access=True, mfa_enabled=False)
    assert outcome.status is Status.FAIL
