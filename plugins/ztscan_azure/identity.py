"""Collect Entra ID facts through Microsoft Graph: the tenant's MFA policy and its users.

A conditional access policy counts as requiring MFA when all of these are true:

* it is enabled, not report-only;
* it applies to all cloud apps with none excluded, and to every client app type;
* it has no location, platform, device or risk condition;
* its grant requires MFA or an authentication strength, alone or with AND.

For all users, the policy includes "All" users and excludes no group or role.
Excluding single users is accepted, because emergency-access accounts are
meant to be excluded. For administrators, the policy covers all users or
includes the Global Administrator role.
"""

from __future__ import annotations

from typing import Any

from ztscan.model import GLOBAL, Scope

from ztscan_azure import graph
from ztscan_azure.arm import PROVIDER, AzureSession, CallFailed, Recorder

#: Built-in directory role template ids that grant full control of the tenant.
FULL_ADMIN_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    # A Privileged Role Administrator can assign itself any role, Global Administrator included.
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
}
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

_MFA_FACTS = ("mfa_required_all_users", "mfa_required_admins", "mfa_assessable")
_ADMIN_FACTS = ("admin_rights", "admin_via_direct_policy", "admin_policies")


def tenant_scope(tenant_id: str) -> Scope:
    return Scope(PROVIDER, tenant_id, GLOBAL)


def iso_time(value: Any) -> str | None:
    """Return a Graph timestamp (``2024-01-31T12:00:00Z``) in ztscan's ``+00:00`` form."""
    if not value:
        return None
    text = str(value)
    return text[:-1] + "+00:00" if text.endswith("Z") else text


def _requires_mfa(policy: dict[str, Any]) -> bool:
    if str(policy.get("state")) != "enabled":
        return False
    grant = policy.get("grantControls") or {}
    controls = [str(control).lower() for control in grant.get("builtInControls") or ()]
    strength = grant.get("authenticationStrength")
    if "mfa" not in controls and not strength:
        return False
    if str(grant.get("operator") or "OR").upper() == "OR" and len(controls) + (1 if strength else 0) > 1:
        return False
    conditions = policy.get("conditions") or {}
    applications = conditions.get("applications") or {}
    if "All" not in (applications.get("includeApplications") or ()) or applications.get("excludeApplications"):
        return False
    client_types = [str(value).lower() for value in conditions.get("clientAppTypes") or ()]
    if client_types and "all" not in client_types:
        return False
    narrowing = ("locations", "platforms", "devices", "userRiskLevels", "signInRiskLevels")
    return not any(conditions.get(name) for name in narrowing)


def _covers_all_users(users: dict[str, Any]) -> bool:
    return ("All" in (users.get("includeUsers") or ()) and not users.get("excludeGroups")
            and not users.get("excludeRoles") and not users.get("excludeGuestsOrExternalUsers"))


def mfa_policies(policies: list[dict[str, Any]]) -> tuple[bool, bool]:
    """Return (MFA required for all users, MFA required for administrators) from conditional access policies."""
    all_users = admins = False
    for policy in policies:
        if not _requires_mfa(policy):
            continue
        users = (policy.get("conditions") or {}).get("users") or {}
        if _covers_all_users(users):
            all_users = admins = True
        elif GLOBAL_ADMINISTRATOR in (users.get("includeRoles") or ()) and GLOBAL_ADMINISTRATOR not in (
                users.get("excludeRoles") or ()):
            admins = True
    return all_users, admins


def _combine(defaults: bool | None, from_policies: bool | None) -> bool | None:
    """Return True when either source enforces MFA, False when both are known not to, else None (unknown)."""
    if defaults is True or from_policies is True:
        return True
    if defaults is False and from_policies is False:
        return False
    return None


def collect(session: AzureSession, recorder: Recorder, tenant_id: str) -> None:
    scope = tenant_scope(tenant_id)
    policy_facts: dict[str, Any] = {}
    defaults: bool | None = None
    policies_all: bool | None = None
    policies_admins: bool | None = None

    try:
        body = recorder.call(graph.OPS["security_defaults"], lambda: graph.security_defaults(session), scope,
                             [("identity.tenant_policy", ("security_defaults",) + _MFA_FACTS)])
        defaults = body.get("isEnabled") is True
        policy_facts["security_defaults"] = defaults
    except CallFailed:
        pass
    try:
        policies = recorder.call(graph.OPS["conditional_access"], lambda: graph.conditional_access_policies(session),
                                 scope, [("identity.tenant_policy", _MFA_FACTS)])
        policies_all, policies_admins = mfa_policies(policies)
    except CallFailed:
        pass

    all_users = _combine(defaults, policies_all)
    admins = _combine(defaults, policies_admins)
    # A fact that could not be settled stays absent, so the MFA rules report ERROR.
    if all_users is not None:
        policy_facts["mfa_required_all_users"] = all_users
    if admins is not None:
        policy_facts["mfa_required_admins"] = admins
    if all_users is not None and admins is not None:
        policy_facts.update(mfa_assessable=True, mfa_reason="")
    recorder.add("identity.tenant_policy", f"/tenants/{tenant_id}/authenticationPolicy", scope,
                 f"Entra ID tenant {tenant_id}", policy_facts)
    _collect_users(session, recorder, tenant_id, all_users)


def _collect_users(session: AzureSession, recorder: Recorder, tenant_id: str, mfa_for_all: bool | None) -> None:
    scope = tenant_scope(tenant_id)
    try:
        users = recorder.call(graph.OPS["users"], lambda: graph.users(session), scope, [("identity.user", ())])
    except CallFailed:
        return

    sign_ins: dict[str, Any] | None = None
    try:
        activity = recorder.call(graph.OPS["sign_in_activity"], lambda: graph.sign_in_activity(session), scope,
                                 [("identity.user", ("password_last_used",))])
        sign_ins = {item["id"]: (item.get("signInActivity") or {}).get("lastSignInDateTime") for item in activity}
    except CallFailed:
        pass

    registered: dict[str, bool] | None = None
    try:
        details = recorder.call(graph.OPS["registration"], lambda: graph.registration_details(session), scope,
                                [("identity.user", ("mfa_enabled",))])
        registered = {item["id"]: item.get("isMfaRegistered") is True for item in details}
    except CallFailed:
        pass

    admin_roles: dict[str, list[str]] | None = None
    try:
        assignments = recorder.call(graph.OPS["role_assignments"], lambda: graph.role_assignments(session), scope,
                                    [("identity.user", _ADMIN_FACTS)])
        admin_roles = {}
        for assignment in assignments:
            role = FULL_ADMIN_ROLES.get(str(assignment.get("roleDefinitionId")))
            if role and assignment.get("directoryScopeId", "/") == "/":
                admin_roles.setdefault(str(assignment.get("principalId")), []).append(role)
    except CallFailed:
        pass

    for user in users:
        user_id = user["id"]
        facts: dict[str, Any] = {
            # Graph has no per-user password flag, so an enabled account counts as able to sign in.
            "console_access": user.get("accountEnabled") is not False,
            "password_last_changed": iso_time(user.get("lastPasswordChangeDateTime")),
            "created": iso_time(user.get("createdDateTime")),
            # Entra ID users have no long-lived access keys; app credentials belong to service principals.
            "access_keys": [],
        }
        if sign_ins is not None:
            facts["password_last_used"] = iso_time(sign_ins.get(user_id))
        if mfa_for_all is True:
            facts["mfa_enabled"] = True
        elif registered is not None:
            facts["mfa_enabled"] = registered.get(user_id, False)
        if admin_roles is not None:
            # NOTE: roles reached through group membership or PIM eligibility are not expanded.
            roles = sorted(set(admin_roles.get(user_id, ())))
            facts.update(admin_rights=bool(roles), admin_via_direct_policy=bool(roles), admin_policies=roles)
        recorder.add("identity.user", f"/tenants/{tenant_id}/users/{user_id}", scope,
                     user.get("userPrincipalName") or user.get("displayName") or user_id, facts,
                     {"userType": user.get("userType") or ""})
