"""Administrator rights of IAM users: the '*' action on the '*' resource in an Allow statement.

The primary source is ``GetAccountAuthorizationDetails``, which returns every
user, group and managed policy with its documents in a few pages. When that call
is denied, the per-entity listing calls and ``GetPolicyVersion`` are used instead.
A policy whose document could not be read makes the verdict unknown for the users
it is attached to, unless another readable policy already proves administrator
rights.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import unquote

from ztscan_aws.calls import ApiFailure, Target

log = logging.getLogger(__name__)

USER = "identity.user"
ADMIN_FACTS = ("admin_rights", "admin_via_direct_policy", "admin_policies")


def parse_document(document: Any) -> dict[str, Any]:
    """Return a policy document as a dict, decoding the URL-encoded JSON that the raw API returns."""
    if isinstance(document, dict):
        return document
    return json.loads(unquote(document))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def grants_full_admin(document: Any) -> bool:
    """Return True when an Allow statement grants the action '*' on the resource '*'.

    Conditions are ignored on purpose: a conditional '*' on '*' still grants full
    rights whenever the condition holds, so it counts as administrator rights.
    """
    for statement in _as_list(parse_document(document).get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "*" in _as_list(statement.get("Action")) and "*" in _as_list(statement.get("Resource")):
            return True
    return False


@dataclass
class PolicyVerdict:
    """One policy as seen by a user: its name, whether it grants admin rights (None: unknown), and whether it is direct."""

    name: str
    admin: bool | None
    direct: bool


@dataclass
class AdminFacts:
    """The policies that apply to each user, keyed by user name, plus the failures that left verdicts unknown."""

    verdicts: dict[str, list[PolicyVerdict]] = field(default_factory=dict)
    failures: dict[str, list[ApiFailure]] = field(default_factory=dict)

    def facts_for(self, user: str) -> tuple[dict[str, Any], list[ApiFailure]]:
        """Return the admin facts that are certain for ``user``, and the failures behind the missing ones."""
        verdicts = self.verdicts.get(user, [])
        failures = self.failures.get(user, [])
        unknown = bool(failures) or any(v.admin is None for v in verdicts)
        granting = [v for v in verdicts if v.admin]
        facts: dict[str, Any] = {}
        if granting or not unknown:
            facts["admin_rights"] = bool(granting)
        direct_unknown = unknown and (bool(failures) or any(v.admin is None and v.direct for v in verdicts))
        if any(v.direct for v in granting) or not direct_unknown:
            facts["admin_via_direct_policy"] = any(v.direct for v in granting)
        if granting or not unknown:
            # With some policies unreadable, the list contains the policies known to grant the rights.
            facts["admin_policies"] = sorted({v.name for v in granting})
        return facts, failures


def authorization_details(target: Target) -> dict[str, list[Any]]:
    """Return every user, group and managed policy with its documents, in one paginated listing.

    Raise ApiFailure when the listing fails.
    """
    return target.paginate_keys("iam", "GetAccountAuthorizationDetails", DETAIL_KEYS,
                                Filter=["User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"],
                                PaginationConfig={"PageSize": DETAILS_PAGE_SIZE})


#: The lists GetAccountAuthorizationDetails returns for the filters above.
DETAIL_KEYS = ("UserDetailList", "GroupDetailList", "Policies")
#: The largest MaxItems GetAccountAuthorizationDetails accepts.
DETAILS_PAGE_SIZE = 1000


def collect_admin_facts(target: Target, user_names: Iterable[str],
                        details: dict[str, list[Any]] | None = None) -> AdminFacts:
    """Compute administrator rights for every user, from authorization details or the fallback calls.

    ``details`` is the result of :func:`authorization_details` when the caller read
    it already; None means that it was denied (and recorded), so the per-entity
    calls run instead.
    """
    if details is None:
        return _from_listing_calls(target, list(user_names))
    return _from_details(target, details)


def _from_details(target: Target, details: dict[str, list[Any]]) -> AdminFacts:
    policies: dict[str, bool | None] = {}
    for policy in details["Policies"]:
        default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
        policies[policy["Arn"]] = grants_full_admin(default["Document"]) if default else None
    groups: dict[str, list[PolicyVerdict]] = {}
    for group in details["GroupDetailList"]:
        verdicts = [PolicyVerdict(p["PolicyName"], grants_full_admin(p["PolicyDocument"]), False)
                    for p in group.get("GroupPolicyList", [])]
        verdicts += [PolicyVerdict(p["PolicyName"], policies.get(p["PolicyArn"]), False)
                     for p in group.get("AttachedManagedPolicies", [])]
        groups[group["GroupName"]] = verdicts
    result = AdminFacts()
    unknown_arns = set()
    for user in details["UserDetailList"]:
        verdicts = [PolicyVerdict(p["PolicyName"], grants_full_admin(p["PolicyDocument"]), True)
                    for p in user.get("UserPolicyList", [])]
        for attached in user.get("AttachedManagedPolicies", []):
            verdicts.append(PolicyVerdict(attached["PolicyName"], policies.get(attached["PolicyArn"]), True))
            if attached["PolicyArn"] not in policies:
                unknown_arns.add(attached["PolicyArn"])
        for group_name in user.get("GroupList", []):
            verdicts.extend(groups.get(group_name, []))
        result.verdicts[user["UserName"]] = verdicts
    if unknown_arns:
        # A managed policy missing from the details (it changed between pages): read it directly.
        _resolve_unknown(target, result, unknown_arns)
    return result


def _resolve_unknown(target: Target, result: AdminFacts, arns: set[str]) -> None:
    names = {arn: arn.rsplit("/", 1)[-1] for arn in arns}
    resolved: dict[str, bool | None] = {}
    for arn in sorted(arns):
        try:
            version = target.call("iam", "GetPolicy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = target.call("iam", "GetPolicyVersion", PolicyArn=arn, VersionId=version)
            resolved[names[arn]] = grants_full_admin(document["PolicyVersion"]["Document"])
        except ApiFailure as failure:
            target.record(failure, USER, ADMIN_FACTS, resource_id=None)
    for verdicts in result.verdicts.values():
        for verdict in verdicts:
            if verdict.admin is None and verdict.name in resolved:
                verdict.admin = resolved[verdict.name]


def _from_listing_calls(target: Target, user_names: list[str]) -> AdminFacts:
    """Compute admin facts with per-entity calls, for accounts that deny GetAccountAuthorizationDetails."""
    result = AdminFacts()
    try:
        managed = target.paginate("iam", "ListPolicies", "Policies", Scope="All", OnlyAttached=True)
    except ApiFailure as failure:
        managed = []
        target.record(failure, USER, ADMIN_FACTS)
    default_versions = {p["Arn"]: p["DefaultVersionId"] for p in managed}
    documents = _PolicyDocuments(target, default_versions)

    groups: dict[str, tuple[list[PolicyVerdict], list[ApiFailure]]] = {}

    def entity_verdicts(kind: str, name: str, direct: bool) -> tuple[list[PolicyVerdict], list[ApiFailure]]:
        verdicts: list[PolicyVerdict] = []
        failures: list[ApiFailure] = []
        key = {"User": "UserName", "Group": "GroupName"}[kind]
        try:
            attached = target.paginate("iam", f"ListAttached{kind}Policies", "AttachedPolicies", **{key: name})
            for policy in attached:
                verdicts.append(PolicyVerdict(policy["PolicyName"], documents.verdict(policy["PolicyArn"]), direct))
            for policy_name in target.paginate("iam", f"List{kind}Policies", "PolicyNames", **{key: name}):
                document = target.call("iam", f"Get{kind}Policy", PolicyName=policy_name, **{key: name})
                verdicts.append(PolicyVerdict(policy_name, grants_full_admin(document["PolicyDocument"]), direct))
        except ApiFailure as failure:
            failures.append(failure)
        return verdicts, failures

    def user_verdicts(user: str) -> tuple[str, list[PolicyVerdict], list[ApiFailure]]:
        verdicts, failures = entity_verdicts("User", user, True)
        try:
            group_names = [g["GroupName"] for g in target.paginate("iam", "ListGroupsForUser", "Groups", UserName=user)]
        except ApiFailure as failure:
            return user, verdicts, failures + [failure]
        for group in group_names:
            if group not in groups:
                groups[group] = entity_verdicts("Group", group, False)
            verdicts = verdicts + groups[group][0]
            failures = failures + groups[group][1]
        return user, verdicts, failures

    for user, verdicts, failures in target.map(user_verdicts, user_names):
        result.verdicts[user] = verdicts
        result.failures[user] = failures
    # Failures behind unknown managed-policy verdicts belong to the users those policies are attached to.
    for user, verdicts in result.verdicts.items():
        for verdict in verdicts:
            if verdict.admin is None and verdict.name in documents.failures:
                result.failures[user].append(documents.failures[verdict.name])
    return result


class _PolicyDocuments:
    """Default versions of managed policies, read once each with GetPolicy and GetPolicyVersion."""

    def __init__(self, target: Target, default_versions: dict[str, str]):
        self.target = target
        self.default_versions = default_versions
        self.verdicts: dict[str, bool | None] = {}
        self.failures: dict[str, ApiFailure] = {}

    def verdict(self, arn: str) -> bool | None:
        if arn not in self.verdicts:
            self.verdicts[arn] = self._read(arn)
        return self.verdicts[arn]

    def _read(self, arn: str) -> bool | None:
        name = arn.rsplit("/", 1)[-1]
        try:
            version = self.default_versions.get(arn)
            if version is None:
                version = self.target.call("iam", "GetPolicy", PolicyArn=arn)["Policy"]["DefaultVersionId"]
            response = self.target.call("iam", "GetPolicyVersion", PolicyArn=arn, VersionId=version)
        except ApiFailure as failure:
            self.failures[name] = failure
            return None
        return grants_full_admin(response["PolicyVersion"]["Document"])
