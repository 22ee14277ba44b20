"""Identity rules: MFA, root credentials, key rotation, unused credentials, password policy, admin rights."""

from __future__ import annotations

from ztscan.model import Outcome, Resource, failed, not_applicable, passed
from ztscan.rules.base import InventoryIndex, rule
from ztscan.rules.clock import age_days

#: Maximum age in days of an access key, and maximum idle time of a credential.
CREDENTIAL_MAX_DAYS = 90

#: Password policy baseline (CIS AWS Foundations 1.8 and 1.9): minimum length and passwords remembered.
MIN_PASSWORD_LENGTH = 14
MIN_REUSE_PREVENTION = 24


def _external_credentials(resource: Resource) -> Outcome | None:
    """NOT_APPLICABLE when the identity's credentials live outside the cloud (see kinds.py).

    The marker is an optional fact: providers whose cloud manages the credentials do not set it,
    so it is read with ``facts.get`` rather than ``fact``.
    """
    reason = resource.facts.get("credentials_managed_externally")
    if reason:
        return not_applicable(f"not assessable from this cloud: {reason}", credentials_managed_externally=reason)
    return None


@rule("ZT-IAM-001", "identity.user", facts=("console_access", "mfa_enabled", "credentials_managed_externally"))
def console_users_mfa(resource: Resource, index: InventoryIndex) -> Outcome:
    external = _external_credentials(resource)
    if external is not None:
        return external
    if not resource.fact("console_access"):
        return not_applicable("user has no console password")
    if resource.fact("mfa_enabled"):
        return passed("console user has MFA", console_access=True, mfa_enabled=True)
    return failed("console user has no MFA device", console_access=True, mfa_enabled=False)


@rule("ZT-IAM-002", "identity.root", facts=("mfa_enabled",))
def root_mfa(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("mfa_enabled"):
        return passed("root user has MFA", mfa_enabled=True)
    return failed("root user has no MFA device", mfa_enabled=False)


@rule("ZT-IAM-003", "identity.root", facts=("access_keys_present",))
def root_no_access_keys(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("access_keys_present"):
        return failed("root user has an access key", access_keys_present=True)
    return passed("root user has no access keys", access_keys_present=False)


def _active_keys(resource: Resource) -> list[dict]:
    return [key for key in resource.fact("access_keys") if key["active"]]


@rule("ZT-IAM-004", "identity.user", facts=("access_keys",))
def access_keys_rotated(resource: Resource, index: InventoryIndex) -> Outcome:
    active = _active_keys(resource)
    if not active:
        return not_applicable("user has no active access keys")
    stale = [key for key in active if age_days(key["created"]) > CREDENTIAL_MAX_DAYS]
    if stale:
        listed = ", ".join(f"{key['id']} created {key['created']}" for key in stale)
        return failed(
            f"active access key older than {CREDENTIAL_MAX_DAYS} days: {listed}",
            stale_keys=[key["id"] for key in stale],
        )
    return passed(f"every active access key is at most {CREDENTIAL_MAX_DAYS} days old",
                  active_keys=[key["id"] for key in active])


def _unused_password(resource: Resource) -> str | None:
    """Describe why the console password counts as unused, or return None when it is in use."""
    last_used = resource.fact("password_last_used")
    if last_used is not None:
        if age_days(last_used) > CREDENTIAL_MAX_DAYS:
            return f"console password last used {last_used}"
        return None
    since = resource.fact("password_last_changed") or resource.fact("created")
    if since is None:
        raise ValueError("console password was never used and neither its change time nor the user's "
                         "creation time is known, so its age cannot be decided")
    if age_days(since) > CREDENTIAL_MAX_DAYS:
        return f"console password never used since {since}"
    return None


def _unused_key(key: dict) -> str | None:
    last_used = key["last_used"]
    if last_used is None:
        if age_days(key["created"]) > CREDENTIAL_MAX_DAYS:
            return f"access key {key['id']} never used since {key['created']}"
        return None
    if age_days(last_used) > CREDENTIAL_MAX_DAYS:
        return f"access key {key['id']} last used {last_used}"
    return None


@rule("ZT-IAM-005", "identity.user",
      facts=("console_access", "password_last_used", "password_last_changed", "created", "access_keys",
             "credentials_managed_externally"))
def unused_credentials_disabled(resource: Resource, index: InventoryIndex) -> Outcome:
    external = _external_credentials(resource)
    if external is not None:
        return external
    console = resource.fact("console_access")
    active = _active_keys(resource)
    if not console and not active:
        return not_applicable("user has no console password and no active access keys")
    problems = []
    if console:
        problems.append(_unused_password(resource))
    problems.extend(_unused_key(key) for key in active)
    problems = [problem for problem in problems if problem]
    if problems:
        return failed(
            f"credential unused for more than {CREDENTIAL_MAX_DAYS} days and still enabled: " + "; ".join(problems),
            unused=problems,
        )
    return passed(f"every enabled credential was used or created within {CREDENTIAL_MAX_DAYS} days")


@rule("ZT-IAM-006", "identity.password_policy", facts=("present", "min_length", "reuse_prevention"))
def password_policy_strong(resource: Resource, index: InventoryIndex) -> Outcome:
    if not resource.fact("present"):
        return failed("no password policy is set, so the platform default applies", present=False)
    min_length = resource.fact("min_length")
    reuse = resource.fact("reuse_prevention")
    weak = []
    if min_length is None or min_length < MIN_PASSWORD_LENGTH:
        shown = "not set" if min_length is None else min_length
        weak.append(f"minimum length {shown} (needs at least {MIN_PASSWORD_LENGTH})")
    if reuse is None or reuse < MIN_REUSE_PREVENTION:
        shown = "not set" if reuse is None else reuse
        weak.append(f"reuse prevention {shown} (needs at least {MIN_REUSE_PREVENTION})")
    evidence = {"min_length": min_length, "reuse_prevention": reuse}
    if weak:
        return failed("password policy is weak: " + "; ".join(weak), **evidence)
    return passed("password policy meets the length and reuse baseline", **evidence)


@rule("ZT-IAM-007", "identity.user", facts=("admin_via_direct_policy", "admin_policies"))
def no_direct_admin_users(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("admin_via_direct_policy"):
        policies = resource.fact("admin_policies")
        return failed(
            "user holds full administrator rights through a policy attached to the user: " + ", ".join(policies),
            admin_policies=list(policies),
        )
    return passed("user has no administrator policy attached directly")


def _tenant_mfa(resource: Resource, fact: str, audience: str) -> Outcome:
    # The MFA fact itself is read first, so that a settled value decides even when the
    # collector could not settle the other MFA fact (and so left mfa_assessable out).
    required = resource.fact(fact)
    if required is None:
        if not resource.fact("mfa_assessable"):
            reason = resource.fact("mfa_reason")
            return not_applicable(f"MFA configuration not readable with this credential: {reason}",
                                  mfa_assessable=False, mfa_reason=reason)
        raise ValueError(f"{fact} is None although mfa_assessable is True; the collector must set True or False")
    if required:
        return passed(f"MFA is enforced for {audience}", **{fact: True})
    return failed(f"MFA is not enforced for {audience}", **{fact: False})


@rule("ZT-IAM-008", "identity.tenant_policy", facts=("mfa_assessable", "mfa_reason", "mfa_required_all_users"))
def tenant_mfa_all_users(resource: Resource, index: InventoryIndex) -> Outcome:
    return _tenant_mfa(resource, "mfa_required_all_users", "every user")


@rule("ZT-IAM-009", "identity.tenant_policy", facts=("mfa_assessable", "mfa_reason", "mfa_required_admins"))
def tenant_mfa_admins(resource: Resource, index: InventoryIndex) -> Outcome:
    return _tenant_mfa(resource, "mfa_required_admins", "administrators")


@rule("ZT-IAM-010", "identity.service_account", facts=("user_managed_keys",))
def service_account_keys_rotated(resource: Resource, index: InventoryIndex) -> Outcome:
    # A key whose expiry time has passed can no longer authenticate, so it is not counted.
    valid = [key for key in resource.fact("user_managed_keys")
             if key["expires"] is None or age_days(key["expires"]) < 0]
    if not valid:
        return not_applicable("service account has no valid user-managed keys")
    stale = [key for key in valid if age_days(key["created"]) > CREDENTIAL_MAX_DAYS]
    if stale:
        listed = ", ".join(f"{key['id']} created {key['created']}" for key in stale)
        return failed(
            f"user-managed key older than {CREDENTIAL_MAX_DAYS} days: {listed}",
            stale_keys=[key["id"] for key in stale],
        )
    return passed(f"every user-managed key is at most {CREDENTIAL_MAX_DAYS} days old",
                  keys=[key["id"] for key in valid])


@rule("ZT-IAM-011", "identity.service_account", facts=("admin_rights",))
def service_account_no_admin(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("admin_rights"):
        return failed("service account holds full administrator rights", admin_rights=True)
    return passed("service account has no full administrator rights", admin_rights=False)


RULES = (
    console_users_mfa,
    root_mfa,
    root_no_access_keys,
    access_keys_rotated,
    unused_credentials_disabled,
    password_policy_strong,
    no_direct_admin_users,
    tenant_mfa_all_users,
    tenant_mfa_admins,
    service_account_keys_rotated,
    service_account_no_admin,
)
