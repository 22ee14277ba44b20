"""Entra ID facts through Microsoft Graph: conditional access MFA, security defaults, users and admin roles."""

from __future__ import annotations

import pytest

from tests.plugins.azure.conftest import StaticTokenCredential, evaluate_all, run_scan, statuses

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"


def _policy(users, state="enabled", controls=("mfa",), operator="OR", **conditions):
    base_conditions = {
        "applications": {"includeApplications": ["All"], "excludeApplications": []},
        "clientAppTypes": ["all"], "locations": None, "platforms": None,
        "users": {"includeUsers": [], "excludeUsers": [], "includeGroups": [], "excludeGroups": [],
                  "includeRoles": [], "excludeRoles": [], **users},
    }
    base_conditions.update(conditions)
    return {"state": state, "conditions": base_conditions,
            "grantControls": {"operator": operator, "builtInControls": list(controls)}}


POLICY_CASES = [
    pytest.param([_policy({"includeUsers": ["All"]})], (True, True), id="all-users"),
    pytest.param([_policy({"includeUsers": ["All"], "excludeUsers": ["breakglass-id"]})], (True, True),
                 id="all-users-with-emergency-account-excluded"),
    pytest.param([_policy({"includeUsers": ["All"], "excludeGroups": ["contractors"]})], (False, False),
                 id="group-excluded"),
    pytest.param([_policy({"includeUsers": ["All"]}, state="enabledForReportingButNotEnforced")], (False, False),
                 id="report-only"),
    pytest.param([_policy({"includeUsers": ["All"]}, state="disabled")], (False, False), id="disabled"),
    pytest.param([_policy({"includeRoles": [GLOBAL_ADMIN]})], (False, True), id="global-admin-role"),
    pytest.param([_policy({"includeRoles": [HELPDESK_ADMIN]})], (False, False), id="other-role-only"),
    pytest.param([_policy({"includeUsers": ["All"]}, controls=("mfa", "compliantDevice"))], (False, False),
                 id="mfa-or-compliant-device"),
    pytest.param([_policy({"includeUsers": ["All"]}, controls=("mfa", "compliantDevice"), operator="AND")],
                 (True, True), id="mfa-and-compliant-device"),
    pytest.param([_policy({"includeUsers": ["All"]}, controls=("block",))], (False, False), id="block-not-mfa"),
    pytest.param([_policy({"includeUsers": ["All"]}, locations={"includeLocations": ["untrusted"]})],
                 (False, False), id="only-some-locations"),
    pytest.param([_policy({"includeUsers": ["All"]}, clientAppTypes=["browser"])], (False, False),
                 id="browser-only"),
    pytest.param([_policy({"includeUsers": ["All"]},
                          applications={"includeApplications": ["Office365"], "excludeApplications": []})],
                 (False, False), id="one-application-only"),
    pytest.param([], (False, False), id="no-policies"),
]


@pytest.mark.parametrize(("policies", "expected"), POLICY_CASES)
def test_mfa_policies(policies, expected):
    from ztscan_azure.identity import mfa_policies

    assert mfa_policies(policies) == expected


def _tenant_policy(inventory):
    [policy] = [resource for resource in inventory.resources if resource.kind == "identity.tenant_policy"]
    return policy


def test_tenant_policy_from_conditional_access(fake, estate):
    estate.subscription("sub-a")
    estate.mfa_policy("Require MFA for everyone", {"includeUsers": ["All"]})
    policy = _tenant_policy(run_scan(fake))
    assert policy.scope.account == estate.tenant_id
    assert policy.fact("mfa_required_all_users") is True
    assert policy.fact("mfa_required_admins") is True
    assert policy.fact("mfa_assessable") is True
    assert policy.fact("security_defaults") is False


def test_tenant_policy_admins_only(fake, estate):
    estate.subscription("sub-a")
    estate.mfa_policy("Require MFA for admins", {"includeRoles": [GLOBAL_ADMIN]})
    findings = evaluate_all(run_scan(fake))
    assert set(statuses(findings, "ZT-IAM-008").values()) == {"FAIL"}
    assert set(statuses(findings, "ZT-IAM-009").values()) == {"PASS"}


def test_tenant_policy_security_defaults(fake, estate):
    estate.subscription("sub-a")
    estate.security_defaults(True)
    policy = _tenant_policy(run_scan(fake))
    assert policy.fact("mfa_required_all_users") is True
    assert policy.fact("security_defaults") is True


def test_user_facts(fake, estate):
    estate.subscription("sub-a")
    admin = estate.user("dr.admin", admin_role=GLOBAL_ADMIN)
    inventory = run_scan(fake)
    [user] = [resource for resource in inventory.resources if resource.kind == "identity.user"]
    assert user.id == f"/tenants/{estate.tenant_id}/users/{admin}"
    assert user.name == "dr.admin@clinic.example"
    assert user.fact("console_access") is True
    assert user.fact("mfa_enabled") is True
    assert user.fact("admin_rights") is True
    assert user.fact("admin_policies") == ["Global Administrator"]
    assert user.fact("password_last_used") == "2026-11-30T08:00:00+00:00"
    assert user.fact("access_keys") == []


@pytest.mark.parametrize(("settings", "fact", "expected"), [
    pytest.param({"mfa_registered": False}, "mfa_enabled", False, id="mfa-not-registered"),
    pytest.param({"enabled": False}, "console_access", False, id="disabled-account"),
    pytest.param({"last_sign_in": None}, "password_last_used", None, id="never-signed-in"),
    pytest.param({}, "admin_rights", False, id="no-admin-role"),
    pytest.param({"admin_role": HELPDESK_ADMIN}, "admin_rights", False, id="limited-admin-role"),
])
def test_user_fact(fake, estate, settings, fact, expected):
    estate.subscription("sub-a")
    estate.user("nurse", **settings)
    [user] = [resource for resource in run_scan(fake).resources if resource.kind == "identity.user"]
    assert user.fact(fact) == expected


def test_mfa_enforced_counts_for_unregistered_user(fake, estate):
    estate.subscription("sub-a")
    estate.mfa_policy("Require MFA for everyone", {"includeUsers": ["All"]})
    estate.user("nurse", mfa_registered=False)
    [user] = [resource for resource in run_scan(fake).resources if resource.kind == "identity.user"]
    assert user.fact("mfa_enabled") is True


def test_sign_in_activity_denied(fake, estate):
    estate.subscription("sub-a")
    estate.user("nurse")
    # The second /users request selects signInActivity, which needs an Entra ID P1 licence.
    fake.fail(r"^/v1\.0/users$", 403, times=1, query={"$select": "id,signInActivity"},
              code="Authentication_RequestFromNonPremiumTenantOrB2CTenant")
    inventory = run_scan(fake)
    [user] = [resource for resource in inventory.resources if resource.kind == "identity.user"]
    assert not user.has("password_last_used")
    assert user.fact("mfa_enabled") is True
    assert statuses(evaluate_all(inventory), "ZT-IAM-005")[user.id] == "ERROR"


def test_graph_users_paging(fake, estate):
    estate.subscription("sub-a")
    for name in ("ann", "bob", "cy"):
        estate.user(name)
    fake.set_page_size("/v1.0/users", 2)
    inventory = run_scan(fake)
    assert len([resource for resource in inventory.resources if resource.kind == "identity.user"]) == 3
    pages = fake.requests_to(r"^/v1\.0/users$")
    assert [request.param("$skiptoken") for request in pages].count("2") == 2


def test_tenant_unknown_skips_identity(fake, estate):
    estate.subscription("sub-a")
    estate.subscriptions[0]["tenantId"] = ""
    inventory = run_scan(fake, tenant_id=None, client_secret_env=None, credential=StaticTokenCredential())
    assert not any(resource.kind.startswith("identity.") for resource in inventory.resources)
    skipped = [record for record in inventory.scopes if record.state.value == "skipped"]
    assert "--tenant-id" in skipped[0].reason
