"""IAM: the account, its root user, the password policy and IAM users.

Per-user facts come from the credential report, one call for every user. Users
that the report does not list (it is regenerated at most every four hours, so new
users are missing) or every user when the report cannot be read, get the same
facts from per-user calls.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from datetime import datetime, timezone
from typing import Any

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.iam_admin import ADMIN_FACTS, authorization_details, collect_admin_facts

log = logging.getLogger(__name__)

USER = "identity.user"
ROOT = "identity.root"
REPORT_FACTS = ("console_access", "mfa_enabled", "password_last_used", "password_last_changed", "access_keys")
#: Upper bound on the wait for GenerateCredentialReport to finish.
REPORT_WAIT_SECONDS = 30.0
ROOT_ROW = "<root_account>"
_EMPTY_VALUES = {"", "N/A", "no_information", "not_supported"}


def iso_time(value: Any) -> str | None:
    """Return a datetime or an ISO string as an ISO 8601 string in UTC, or None for the report's placeholders."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in _EMPTY_VALUES:
            return None
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def collect_account(target: Target) -> None:
    """Add the ``account`` resource, named after the first account alias when one is set."""
    facts: dict[str, Any] = {}
    try:
        aliases = target.paginate("iam", "ListAccountAliases", "AccountAliases")
        facts["display_name"] = aliases[0] if aliases else target.account
    except ApiFailure as failure:
        target.record(failure, "account", ("display_name",), target.account)
    # NOTE: an AWS account has no ARN of its own, so its id is the 12-digit account id.
    target.add("account", target.account, facts.get("display_name", target.account), facts)


def collect_password_policy(target: Target) -> None:
    kind = "identity.password_policy"
    resource_id = f"arn:{target.partition}:iam::{target.account}:account-password-policy"
    try:
        policy = target.call("iam", "GetAccountPasswordPolicy")["PasswordPolicy"]
    except ApiFailure as failure:
        if failure.code != "NoSuchEntity":
            target.record(failure, kind)
            return
        policy = None
    facts: dict[str, Any] = {
        "present": policy is not None,
        "min_length": (policy or {}).get("MinimumPasswordLength"),
        "require_uppercase": bool((policy or {}).get("RequireUppercaseCharacters")),
        "require_lowercase": bool((policy or {}).get("RequireLowercaseCharacters")),
        "require_numbers": bool((policy or {}).get("RequireNumbers")),
        "require_symbols": bool((policy or {}).get("RequireSymbols")),
        "max_age_days": (policy or {}).get("MaxPasswordAge"),
        "reuse_prevention": (policy or {}).get("PasswordReusePrevention"),
    }
    target.add(kind, resource_id, "password policy", facts)


def read_credential_report(target: Target) -> dict[str, dict[str, str]]:
    """Generate the credential report, wait for it within bounds, and return its rows keyed by user name.

    Raises ApiFailure when it cannot be generated or read in time.
    """
    waited = 0.0
    delay = 0.2
    while target.call("iam", "GenerateCredentialReport").get("State") != "COMPLETE":
        if waited >= REPORT_WAIT_SECONDS or target.collection.context.expired():
            raise ApiFailure("iam", "GenerateCredentialReport", target.region, "ReportInProgress",
                             f"the credential report was not ready after {waited:.0f} s")
        time.sleep(delay)
        waited += delay
        delay = min(delay * 2, 4.0)
    content = target.call("iam", "GetCredentialReport")["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return {row["user"]: row for row in csv.DictReader(io.StringIO(text))}


def facts_from_report(row: dict[str, str]) -> dict[str, Any]:
    keys = []
    for slot in (1, 2):
        created = iso_time(row.get(f"access_key_{slot}_last_rotated"))
        if created is None:
            continue
        keys.append({
            "id": f"access_key_{slot}",  # the report has no key ids, only two slots
            "active": row.get(f"access_key_{slot}_active") == "true",
            "created": created,
            "last_used": iso_time(row.get(f"access_key_{slot}_last_used_date")),
        })
    return {
        "console_access": row.get("password_enabled") == "true",
        "mfa_enabled": row.get("mfa_active") == "true",
        "password_last_used": iso_time(row.get("password_last_used")),
        "password_last_changed": iso_time(row.get("password_last_changed")),
        "access_keys": keys,
    }


def collect_users_and_root(target: Target) -> None:
    """Add every IAM user and the root user (both read the credential report)."""
    try:
        report = read_credential_report(target)
    except ApiFailure as failure:
        log.info("credential report unavailable (%s); using per-user calls", failure.code)
        target.record(failure, USER, REPORT_FACTS)
        report = {}
    collect_root(target, report.get(ROOT_ROW))
    try:
        details: dict[str, list[Any]] | None = authorization_details(target)
    except ApiFailure as failure:
        log.info("GetAccountAuthorizationDetails failed (%s); using ListUsers and per-user policy calls", failure.code)
        # Recorded for the audit trail of the scan; the fallback calls may still fill every fact.
        target.record(failure, USER, ADMIN_FACTS)
        details = None
    users = _list_users(target, details, report)
    if users is None:
        return
    admin = collect_admin_facts(target, [u["UserName"] for u in users], details)
    missing = [u for u in users if u["UserName"] not in report]
    fallback = dict(zip([u["UserName"] for u in missing], target.map(lambda u: _user_facts_by_calls(target, u), missing)))
    for user in users:
        name, arn = user["UserName"], user["Arn"]
        facts: dict[str, Any] = {"created": iso_time(user.get("CreateDate"))}
        facts.update(facts_from_report(report[name]) if name in report else fallback[name])
        admin_facts, failures = admin.facts_for(name)
        facts.update(admin_facts)
        missing_admin = [fact for fact in ADMIN_FACTS if fact not in admin_facts]
        for failure in failures:
            # A failure may leave no fact missing when another policy already proves the rights.
            # It is still recorded with every admin fact named, because an empty list would
            # mean that the whole user listing failed.
            target.record(failure, USER, missing_admin or ADMIN_FACTS, arn)
        target.add(USER, arn, name, facts)


def _list_users(target: Target, details: dict[str, list[Any]] | None,
                report: dict[str, dict[str, str]]) -> list[dict[str, Any]] | None:
    """Return the users, from the authorization details when they were read, else from ListUsers.

    The details lack PasswordLastUsed, which only users missing from the
    credential report need; ListUsers runs once for them. Return None after
    recording a failed listing that leaves the users unknown.
    """
    listed = details["UserDetailList"] if details is not None else None
    if listed is not None and all(u["UserName"] in report for u in listed):
        return listed
    try:
        return target.paginate("iam", "ListUsers", "Users")
    except ApiFailure as failure:
        if listed is None:
            target.record(failure, USER)
            return None
        for user in listed:
            if user["UserName"] not in report:
                target.record(failure, USER, ("password_last_used",), user["Arn"])
        return [dict(u, PasswordLastUsed=_UNKNOWN) for u in listed]


#: Marks a PasswordLastUsed that could not be read, so that the fact stays uncollected.
_UNKNOWN = object()


def _user_facts_by_calls(target: Target, user: dict[str, Any]) -> dict[str, Any]:
    name, arn = user["UserName"], user["Arn"]
    facts: dict[str, Any] = {}
    if user.get("PasswordLastUsed") is not _UNKNOWN:
        facts["password_last_used"] = iso_time(user.get("PasswordLastUsed"))
    try:
        profile = target.call("iam", "GetLoginProfile", UserName=name)["LoginProfile"]
        facts["console_access"] = True
        # NOTE: the login profile's creation time replaces the last password change,
        # which only the credential report has.
        facts["password_last_changed"] = iso_time(profile.get("CreateDate"))
    except ApiFailure as failure:
        if failure.code == "NoSuchEntity":
            facts["console_access"] = False
            facts["password_last_changed"] = None
        else:
            target.record(failure, USER, ("console_access", "password_last_changed"), arn)
    try:
        facts["mfa_enabled"] = bool(target.paginate("iam", "ListMFADevices", "MFADevices", UserName=name))
    except ApiFailure as failure:
        target.record(failure, USER, ("mfa_enabled",), arn)
    try:
        keys = []
        for key in target.paginate("iam", "ListAccessKeys", "AccessKeyMetadata", UserName=name):
            used = target.call("iam", "GetAccessKeyLastUsed", AccessKeyId=key["AccessKeyId"])
            keys.append({
                "id": key["AccessKeyId"],
                "active": key.get("Status") == "Active",
                "created": iso_time(key.get("CreateDate")),
                "last_used": iso_time(used.get("AccessKeyLastUsed", {}).get("LastUsedDate")),
            })
        facts["access_keys"] = keys
    except ApiFailure as failure:
        target.record(failure, USER, ("access_keys",), arn)
    return facts


def collect_root(target: Target, row: dict[str, str] | None) -> None:
    """Add the root user from the account summary and, when present, the report's root row.

    Either source showing MFA or an access key counts, because the report can be
    up to four hours old and moto's account summary always reports zero.
    """
    arn = f"arn:{target.partition}:iam::{target.account}:root"
    facts: dict[str, Any] = {}
    summary = None
    try:
        summary = target.call("iam", "GetAccountSummary")["SummaryMap"]
    except ApiFailure as failure:
        if row is None:
            target.record(failure, ROOT, ("mfa_enabled", "access_keys_present", "hardware_mfa"), arn)
    if summary is not None or row is not None:
        mfa = bool(summary and summary.get("AccountMFAEnabled"))
        keys = bool(summary and summary.get("AccountAccessKeysPresent"))
        if row is not None:
            mfa = mfa or row.get("mfa_active") == "true"
            keys = keys or row.get("access_key_1_active") == "true" or row.get("access_key_2_active") == "true"
        facts["mfa_enabled"] = mfa
        facts["access_keys_present"] = keys
        if not mfa:
            facts["hardware_mfa"] = False
        else:
            try:
                devices = target.paginate("iam", "ListVirtualMFADevices", "VirtualMFADevices", AssignmentStatus="Assigned")
                facts["hardware_mfa"] = not any(_is_root_device(d) for d in devices)
            except ApiFailure as failure:
                target.record(failure, ROOT, ("hardware_mfa",), arn)
    target.add(ROOT, arn, "root", facts)


def _is_root_device(device: dict[str, Any]) -> bool:
    user_arn = device.get("User", {}).get("Arn", "")
    return user_arn.endswith(":root") or device.get("SerialNumber", "").endswith("/root-account-mfa-device")
