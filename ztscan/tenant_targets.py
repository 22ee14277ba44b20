"""Turn a tenant's cloud entries into collection targets, with AWS roles and Organizations resolved.

A target is one call of a provider's ``collect``: one AWS account, one Azure
service principal with its subscriptions, one set of GCP projects. Problems
that stop a single target (a denied role, a missing environment variable, an
organization whose accounts cannot be listed) raise :class:`TargetFailed`,
which the caller records as ERROR for that target's scope only.

Temporary AWS credentials stay inside botocore credential objects; they are
never logged, written or put into messages.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Mapping

from ztscan import kinds
from ztscan.model import GLOBAL, CollectionError, Inventory, Scope, ScopeRecord, ScopeState
from ztscan.provider import ApiOperation
from ztscan.tenants import Tenant

log = logging.getLogger(__name__)

#: The API operations ztscan itself calls in tenant mode, before a provider's collect runs.
TENANT_OPERATIONS = (
    ApiOperation("sts", "AssumeRole", "sts:AssumeRole", "enter a client account through role_arn or an "
                 "organization's member role (permission of the hub credentials)", credential=True),
    ApiOperation("organizations", "ListAccounts", "organizations:ListAccounts",
                 "discover the member accounts of an AWS Organization"),
)
#: Lifetime of assumed-role credentials; botocore refreshes them before they expire.
ROLE_SESSION_SECONDS = 3600
DEFAULT_REGION = "us-east-1"

# Creating boto3 sessions and clients touches botocore's shared loaders, which are not thread-safe.
_BOTO_LOCK = threading.Lock()
_LOADER: list[Any] = []
#: Clients that hub sessions use for the tenant calls (AssumeRole, ListAccounts), per session, service,
#: region and endpoint. Keyed weakly, so they go with the run's HubSessions.
_HUB_CLIENTS: "weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str | None], Any]]" = weakref.WeakKeyDictionary()


class HubSessions:
    """The hub boto3 sessions of one tenant run, one per AWS profile (None: the default credential chain).

    Every tenant entered with the same hub credentials shares one session and its STS
    client. A new session and client per tenant cost tens of milliseconds of CPU (an
    estimate from the profile in docs/benchmarks.md), seconds at hundreds of tenants.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str | None, Any] = {}

    def session(self, scope: Scope, profile: str | None) -> Any:
        with self._lock:
            session = self._sessions.get(profile)
            if session is None:
                # A profile missing from the AWS files fails here or when the session's first client is created.
                # Clients are cached only after they are created, so every tenant naming it records the failure.
                session = self._sessions[profile] = _hub_session(scope, profile)
            return session


class TargetFailed(Exception):
    """One target could not be entered; recorded as ERROR for its scope, the tenant's other targets go on."""

    def __init__(self, scope: Scope, service: str, operation: str, code: str, message: str):
        super().__init__(message)
        self.scope = scope
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message


@dataclass
class RoleSpec:
    """An IAM role to assume from the hub credentials before collecting."""

    role_arn: str
    external_id: str | None
    session_name: str


@dataclass
class Target:
    cloud: str
    #: Account, tenant id or project list that names the target's scope when it fails as a whole.
    account: str
    #: Options for the provider's collect(), without any secret.
    options: dict[str, Any]
    role: RoleSpec | None = None
    #: The boto3 session that assumes ``role`` (the hub), built from the entry's profile or the default chain.
    hub: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def scope(self) -> Scope:
        return Scope(self.cloud, self.account, GLOBAL)

    def describe(self) -> str:
        return f"{self.cloud}:{self.account}"


def failed_inventory(failure: TargetFailed) -> Inventory:
    """Return an inventory in which every kind is missing in the failed scope, so every rule reports ERROR there."""
    errors = [CollectionError(failure.scope, failure.service, failure.operation, failure.code, failure.message, kind)
              for kind in kinds.KINDS]
    return Inventory(errors=errors, scopes=[ScopeRecord(failure.scope, ScopeState.FAILED, failure.message)])


def expand_targets(tenant: Tenant, cloud: str, entry: Mapping[str, Any],
                   hubs: HubSessions | None = None) -> list[Target]:
    """Return the targets of one cloud entry; raise TargetFailed when the entry cannot be entered at all.

    ``hubs`` shares hub sessions between the tenants of one run; without it the entry gets its own.
    """
    if cloud == "aws":
        return _aws_targets(tenant, entry, hubs if hubs is not None else HubSessions())
    if cloud == "azure":
        return [_azure_target(tenant, entry)]
    return [_gcp_target(tenant, entry)]


def resolve_options(target: Target) -> dict[str, Any]:
    """Return the provider options of ``target``, with an assumed-role boto3 session when it has a role."""
    if target.extra.get("missing_from_organization"):
        raise TargetFailed(target.scope(), "organizations", "ListAccounts", "AccountNotInOrganization",
                           f"account {target.account} is listed in organization.accounts but the organization "
                           "has no active account with that id")
    options = dict(target.options)
    if target.role is not None:
        options["session"] = _assumed_session(target)
    return options


# -- AWS ---------------------------------------------------------------------------


def _session_name(tenant: Tenant, entry: Mapping[str, Any]) -> str:
    # Role session names allow 2 to 64 characters of [\w+=,.@-]; tenant names are a subset.
    return str(entry.get("session_name") or f"ztscan-{tenant.name}")[:64]


def _aws_options(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in ("regions", "endpoint_url") if key in entry}


def _aws_targets(tenant: Tenant, entry: Mapping[str, Any], hubs: HubSessions) -> list[Target]:
    profile = entry.get("profile")
    if entry.get("role_arn"):
        account = entry["role_arn"].split(":")[4]
        hub = hubs.session(Scope("aws", account, GLOBAL), profile)
        role = RoleSpec(entry["role_arn"], entry.get("external_id"), _session_name(tenant, entry))
        return [Target("aws", account, _aws_options(entry), role=role, hub=hub)]
    if entry.get("organization"):
        return _organization_targets(tenant, entry, hubs)
    scope = Scope("aws", f"profile:{profile}", GLOBAL)
    # Not shared through ``hubs``: the provider creates its clients from this session under its own lock,
    # so two tenants scanned at the same time must not hold the same session.
    options = {**_aws_options(entry), "profile": profile, "session": _hub_session(scope, profile)}
    return [Target("aws", scope.account, options)]


def _import_boto3() -> Any:
    try:
        import boto3
    except ImportError:
        from ztscan.provider import MissingDependencyError

        raise MissingDependencyError("aws", "aws", "boto3") from None
    return boto3


def _boto3_session(profile: str | None = None, credentials: Any = None, **kwargs: Any) -> Any:
    """Return a boto3 session that shares one model loader with every other session of this process.

    Each new botocore session otherwise parses the service models (several MB of
    JSON for EC2) again, for every tenant account.
    """
    boto3 = _import_boto3()
    import botocore.session
    from botocore.loaders import create_loader

    with _BOTO_LOCK:
        if not _LOADER:
            _LOADER.append(create_loader())
        loader = _LOADER[0]
        core = botocore.session.Session(profile=profile)
        core.register_component("data_loader", loader)
        if credentials is not None:
            # NOTE: botocore has no public setter for a session's credentials. get_credentials()
            # returns _credentials once it is set, and resolves the credential chain only while it is None.
            core._credentials = credentials
        session = boto3.Session(botocore_session=core, **kwargs)
        # boto3 appends its own data directory to the loader's search paths on every session.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


def _hub_session(scope: Scope, profile: str | None) -> Any:
    _import_boto3()
    from botocore.exceptions import ProfileNotFound

    try:
        session = _boto3_session(profile)
        session.region_name  # reads the profile, so an unknown profile fails here
    except ProfileNotFound:
        raise TargetFailed(scope, "ztscan", "session", "ProfileNotFound",
                           f"the AWS profile {profile!r} was not found in the AWS config or credentials files") from None
    return session


def _client(session: Any, service: str, entry_or_options: Mapping[str, Any]) -> Any:
    """Return the client of ``session`` for a tenant call, created once per session, service and endpoint.

    botocore clients are thread-safe, so tenants scanned at the same time share it.
    """
    from botocore.config import Config

    region = session.region_name or DEFAULT_REGION
    endpoint = entry_or_options.get("endpoint_url") or None
    key = (service, region, endpoint)
    with _BOTO_LOCK:
        clients = _HUB_CLIENTS.setdefault(session, {})
        client = clients.get(key)
        if client is None:
            config = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=30)
            kwargs: dict[str, Any] = {"region_name": region, "config": config}
            if endpoint:
                kwargs["endpoint_url"] = endpoint
            client = clients[key] = session.client(service, **kwargs)
        return client


def _call_failed(scope: Scope, service: str, operation: str, exc: Exception) -> TargetFailed:
    """Describe a failed AWS call without its credentials; the botocore message names the principal and action."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
    else:
        code, message = type(exc).__name__, str(exc)
    return TargetFailed(scope, service, operation, code, f"{service}:{operation} failed: {code}: {message}")


def _assume(hub: Any, role: RoleSpec, options: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    request: dict[str, Any] = {"RoleArn": role.role_arn, "RoleSessionName": role.session_name,
                               "DurationSeconds": ROLE_SESSION_SECONDS}
    if role.external_id:
        request["ExternalId"] = role.external_id
    try:
        response = _client(hub, "sts", options).assume_role(**request)
    except (ClientError, BotoCoreError) as exc:
        raise _call_failed(scope, "sts", "AssumeRole", exc) from None
    return response["Credentials"]


def _assumed_session(target: Target) -> Any:
    """Return a boto3 session whose credentials come from assuming the target's role, refreshed before expiry."""
    from botocore.credentials import RefreshableCredentials

    scope = target.scope()
    role = target.role
    assert role is not None

    def fetch() -> dict[str, Any]:
        credentials = _assume(target.hub, role, target.options, scope)
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"], "expiry_time": credentials["Expiration"].isoformat()}

    refreshable = RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch,
                                                              method="sts-assume-role")
    return _boto3_session(credentials=refreshable, region_name=target.hub.region_name or DEFAULT_REGION)


def _organization_targets(tenant: Tenant, entry: Mapping[str, Any], hubs: HubSessions) -> list[Target]:
    organization = entry["organization"]
    scope = Scope("aws", "organization", GLOBAL)
    hub = hubs.session(scope, entry.get("profile"))
    lister = hub
    if organization.get("management_role_arn"):
        management = RoleSpec(organization["management_role_arn"], organization.get("management_external_id"),
                              _session_name(tenant, entry))
        lister = _assumed_session(Target("aws", "organization", dict(entry), role=management, hub=hub))
    accounts = _list_accounts(lister, entry, scope)
    partition = _partition(hub, entry, scope)
    selected = set(organization.get("accounts") or ())
    excluded = set(organization.get("exclude_accounts") or ())
    targets = []
    for account in accounts:
        if (selected and account not in selected) or account in excluded:
            continue
        role = RoleSpec(f"arn:{partition}:iam::{account}:role/{organization['member_role']}",
                        organization.get("external_id"), _session_name(tenant, entry))
        targets.append(Target("aws", account, _aws_options(entry), role=role, hub=hub))
    missing = selected - set(accounts)
    for account in sorted(missing):
        # A listed account that the organization does not contain (or that is not active) is not silently dropped.
        targets.append(Target("aws", account, {}, extra={"missing_from_organization": True}))
    if not targets:
        raise TargetFailed(scope, "organizations", "ListAccounts", "NoAccountSelected",
                           f"organization.accounts and exclude_accounts leave none of the organization's "
                           f"{len(accounts)} active accounts to scan")
    log.info("tenant %s: organization lists %d active accounts, %d selected", tenant.name, len(accounts),
             len(targets))
    return targets


def _list_accounts(session: Any, entry: Mapping[str, Any], scope: Scope) -> list[str]:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(session, "organizations", entry)
    accounts = []
    try:
        for page in client.get_paginator("list_accounts").paginate():
            accounts.extend(item["Id"] for item in page.get("Accounts", ()) if item.get("Status", "ACTIVE") == "ACTIVE")
    except (ClientError, BotoCoreError) as exc:
        raise _call_failed(scope, "organizations", "ListAccounts", exc) from None
    if not accounts:
        raise TargetFailed(scope, "organizations", "ListAccounts", "NoAccounts",
                           "organizations:ListAccounts returned no active account; check that the credentials "
                           "belong to the organization's management account or a delegated administrator")
    return sorted(accounts)


def _partition(session: Any, entry: Mapping[str, Any], scope: Scope) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        arn = _client(session, "sts", entry).get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as exc:
        raise _call_failed(scope, "sts", "GetCallerIdentity", exc) from None
    return arn.split(":")[1]


# -- Azure and GCP ---------------------------------------------------------------


def _azure_target(tenant: Tenant, entry: Mapping[str, Any]) -> Target:
    target = Target("azure", str(entry.get("tenant_id")), dict(entry))
    variable = entry.get("client_secret_env")
    if variable and not os.environ.get(variable):
        raise TargetFailed(target.scope(), "ztscan", "credentials", "MissingEnvironmentVariable",
                           f"tenant {tenant.name!r}: azure.client_secret_env: the environment variable {variable} "
                           "is not set or empty; set it to the client secret before the scan")
    return target


def _gcp_target(tenant: Tenant, entry: Mapping[str, Any]) -> Target:
    if entry.get("projects"):
        account = ",".join(entry["projects"])
    elif entry.get("organization"):
        account = f"organizations/{str(entry['organization']).removeprefix('organizations/')}"
    else:
        account = f"folders/{str(entry['folder']).removeprefix('folders/')}"
    key_file = entry.get("key_file")
    target = Target("gcp", account, dict(entry))
    if key_file and not os.path.isfile(key_file):
        raise TargetFailed(target.scope(), "ztscan", "credentials", "KeyFileNotFound",
                           f"tenant {tenant.name!r}: gcp.key_file: {key_file} was not found; mount the "
                           "service-account key file at that path")
    return target
