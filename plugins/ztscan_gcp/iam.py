"""Project IAM policy, service accounts and their keys, audit log configuration and MFA.

The project IAM policy comes from Resource Manager ``getIamPolicy`` and yields:

* ``identity.user`` for every ``user:`` member granted a primitive role (owner
  or editor); those roles count as full administrator rights.
* ``audit.trail`` for the project's Cloud Audit Logs configuration (see ztscan_gcp.auditlogs).
* ``admin_rights`` of the project's service accounts.

Google account sign-in, 2-step verification and last sign-in times live in
Google Workspace or Cloud Identity, which project credentials cannot read. Those
user facts are left out with a collection error that gives the reason, and the
``identity.tenant_policy`` reports MFA as not assessable.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ztscan_gcp.auditlogs import add_trail
from ztscan_gcp.common import ProjectRun

PRIMITIVE_ADMIN_ROLES = ("roles/owner", "roles/editor")
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
#: validBeforeTime Google sets on a user-managed key that never expires.
_NEVER_EXPIRES_YEAR = "9999-"

MFA_REASON = (
    "2-step verification is configured in Google Workspace or Cloud Identity, which the "
    "Cloud Resource Manager and IAM APIs do not expose to project credentials"
)
#: Reason the password, MFA and sign-in rules cannot judge a Google account from project credentials.
USER_CREDENTIALS_REASON = (
    "the Google account's password, 2-step verification and sign-in activity are managed in Google Workspace "
    "or Cloud Identity, which project credentials cannot read"
)


def iso_time(value: str | None) -> str | None:
    """Return an RFC 3339 time with ``+00:00`` in place of ``Z``."""
    if not value:
        return None
    return value[:-1] + "+00:00" if value.endswith("Z") else value


def project_resource_name(project: str) -> str:
    return f"//cloudresourcemanager.googleapis.com/projects/{project}"


def read_policy(run: ProjectRun) -> None:
    """Read the project IAM policy (version 3, with audit configs) into ``run.iam_policy``."""

    def fetch() -> dict[str, Any]:
        from google.protobuf.json_format import MessageToDict

        policy = run.apis.projects_client().get_iam_policy(
            request={"resource": f"projects/{run.project}", "options": {"requested_policy_version": 3}},
            retry=run.apis.retry(), timeout=run.apis.timeout())
        return MessageToDict(policy)

    ok, policy = run.call("cloudresourcemanager", "projects.getIamPolicy", "identity.user", fetch)
    if ok:
        run.iam_policy = policy
        return
    # The same failed call also leaves the audit configuration uncollected.
    run.errors.append(dataclasses.replace(run.errors[-1], kind="audit.trail"))


def admin_roles_by_member(policy: dict[str, Any]) -> dict[str, list[str]]:
    """Map each member to the primitive administrator roles granted to it."""
    found: dict[str, list[str]] = {}
    for binding in policy.get("bindings", ()):
        role = binding.get("role", "")
        # NOTE: a conditional binding (IAM condition) is counted like an unconditional one.
        if role in PRIMITIVE_ADMIN_ROLES:
            for member in binding.get("members", ()):
                found.setdefault(member, []).append(role)
    return found


def public_bindings(policy: dict[str, Any]) -> list[str]:
    return [f"{binding.get('role', '')}:{member}" for binding in policy.get("bindings", ())
            for member in binding.get("members", ()) if member in PUBLIC_MEMBERS]


def add_policy_resources(run: ProjectRun) -> None:
    """Add the users, the audit trail, the tenant policy and the project account resource."""
    project_name = project_resource_name(run.project)
    account_facts: dict[str, Any] = {"display_name": run.project}
    if run.iam_policy is not None:
        account_facts["public_grants"] = public_bindings(run.iam_policy)
    else:
        run.missing("account", ("public_grants",), "cloudresourcemanager", "projects.getIamPolicy",
                    "the project IAM policy could not be read", project_name)
    run.add("account", project_name, run.project, "", account_facts)

    run.add("identity.tenant_policy", f"{project_name}/authentication", "authentication", "", {
        "mfa_required_all_users": None,
        "mfa_required_admins": None,
        "mfa_assessable": False,
        "mfa_reason": MFA_REASON,
        "security_defaults": None,
    })
    policy = run.iam_policy
    if policy is None:
        return

    add_trail(run, policy, f"{project_name}/auditConfigs")
    users = {member: roles for member, roles in admin_roles_by_member(policy).items() if member.startswith("user:")}
    for member, roles in sorted(users.items()):
        email = member.split(":", 1)[1]
        run.add("identity.user", f"{project_name}/users/{email}", email, "", {
            "console_access": True,
            "access_keys": [],
            "admin_rights": True,
            "admin_via_direct_policy": True,
            "admin_policies": sorted(set(roles)),
            "credentials_managed_externally": USER_CREDENTIALS_REASON,
        })


def key_entry(key: dict[str, Any]) -> dict[str, Any]:
    expires = key.get("validBeforeTime")
    return {
        "id": key.get("name", "").rsplit("/", 1)[-1],
        "created": iso_time(key.get("validAfterTime")),
        "expires": None if not expires or expires.startswith(_NEVER_EXPIRES_YEAR) else iso_time(expires),
    }


def collect_service_accounts(run: ProjectRun) -> None:
    ok, accounts = run.call(
        "iam", "serviceAccounts.list", "identity.service_account",
        lambda: list(run.apis.list_json("iam", f"/v1/projects/{run.project}/serviceAccounts", "accounts")))
    if not ok:
        return
    admins = admin_roles_by_member(run.iam_policy) if run.iam_policy is not None else None
    for account in accounts or ():
        email = account.get("email", "")
        identifier = f"//iam.googleapis.com/{account.get('name', '')}"
        facts: dict[str, Any] = {"disabled": bool(account.get("disabled", False))}
        if admins is not None:
            facts["admin_rights"] = f"serviceAccount:{email}" in admins
        else:
            run.missing("identity.service_account", ("admin_rights",), "cloudresourcemanager",
                        "projects.getIamPolicy", "the project IAM policy could not be read", identifier)
        got_keys, keys = run.call(
            "iam", "serviceAccounts.keys.list", "identity.service_account",
            lambda: run.apis.get_json("iam", f"/v1/{account['name']}/keys", {"keyTypes": "USER_MANAGED"}),
            facts=("user_managed_keys",), resource_id=identifier)
        if got_keys:
            # A disabled key cannot authenticate, so it is not listed.
            facts["user_managed_keys"] = [key_entry(key) for key in (keys or {}).get("keys", ())
                                          if not key.get("disabled")]
        run.add("identity.service_account", identifier, email, "", facts)


def collect(run: ProjectRun) -> None:
    """Collect the project IAM policy and everything derived from it, then the service accounts."""
    read_policy(run)
    add_policy_resources(run)
    collect_service_accounts(run)
