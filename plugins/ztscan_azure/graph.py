"""Microsoft Graph requests of the identity collector.

The requests go through :class:`ztscan_azure.rest.JsonClient` (azure-core's
pipeline with the scan's credential and retry policy), because msgraph-sdk
adds several hundred MB for a handful of GET requests. Pages follow
``@odata.nextLink``.
"""

from __future__ import annotations

from typing import Any

from ztscan.provider import ApiOperation

from ztscan_azure.arm import AzureSession

OPS = {
    "security_defaults": ApiOperation("graph", "identitySecurityDefaultsEnforcementPolicy.get", "Policy.Read.All",
                                      "whether security defaults enforce MFA"),
    "conditional_access": ApiOperation("graph", "conditionalAccessPolicies.list", "Policy.Read.All",
                                       "conditional access policies that require MFA"),
    "users": ApiOperation("graph", "users.list", "User.Read.All", "users, account state, password changes"),
    "sign_in_activity": ApiOperation("graph", "users.list(signInActivity)", "AuditLog.Read.All",
                                     "last interactive sign-in of each user (needs Entra ID P1)"),
    "registration": ApiOperation("graph", "userRegistrationDetails.list", "AuditLog.Read.All",
                                 "per-user MFA registration (needs Entra ID P1)"),
    "role_assignments": ApiOperation("graph", "roleAssignments.list", "RoleManagement.Read.Directory",
                                     "directory roles assigned to each user"),
}

_USER_FIELDS = "id,userPrincipalName,displayName,accountEnabled,userType,createdDateTime,lastPasswordChangeDateTime"


def security_defaults(session: AzureSession) -> dict[str, Any]:
    return session.rest("graph").get("v1.0/policies/identitySecurityDefaultsEnforcementPolicy")


def conditional_access_policies(session: AzureSession) -> list[dict[str, Any]]:
    return session.rest("graph").list("v1.0/identity/conditionalAccess/policies")


def users(session: AzureSession) -> list[dict[str, Any]]:
    return session.rest("graph").list("v1.0/users", {"$select": _USER_FIELDS, "$top": "999"})


def sign_in_activity(session: AzureSession) -> list[dict[str, Any]]:
    # Requested apart from the other user fields: without an Entra ID P1 licence or
    # AuditLog.Read.All the whole request fails, and the other facts must survive that.
    return session.rest("graph").list("v1.0/users", {"$select": "id,signInActivity", "$top": "999"})


def registration_details(session: AzureSession) -> list[dict[str, Any]]:
    return session.rest("graph").list("v1.0/reports/authenticationMethods/userRegistrationDetails")


def role_assignments(session: AzureSession) -> list[dict[str, Any]]:
    return session.rest("graph").list("v1.0/roleManagement/directory/roleAssignments")
