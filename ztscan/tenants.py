"""Load and validate a tenants file: the client tenants of a managed service provider and their clouds.

The file is YAML (``.yaml``, ``.yml``) or TOML (``.toml``); the layout is in
docs/tenants.md. Validation happens before anything is scanned. Every problem
names the tenant and the field, and all problems are raised together in one
:class:`ConfigurationError`. Secrets are never accepted inline: a secret-named
key, or a value shaped like a key or password, is rejected with the way to
reference it instead (an environment variable name or a file path).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ztscan.provider import ConfigurationError
from ztscan.tenant_secrets import AZURE_HINT, SECRET_KEYS, find_inline_secrets

CLOUDS = ("aws", "azure", "gcp")
TENANTS_FILE_VERSION = 1
MAX_LISTED_PROBLEMS = 25

#: Tenant names become directory names in the output, so they are restricted to portable characters.
TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,64}$")



@dataclass(frozen=True)
class Tenant:
    """One client tenant: its name and the validated entries of each cloud, as provider options."""

    name: str
    description: str = ""
    aws: tuple[dict[str, Any], ...] = ()
    azure: tuple[dict[str, Any], ...] = ()
    gcp: tuple[dict[str, Any], ...] = ()

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        """Return (cloud, options) pairs in file order, AWS first."""
        return [(cloud, entry) for cloud in CLOUDS for entry in getattr(self, cloud)]


@dataclass
class TenantsFile:
    path: str
    sha256: str
    tenants: list[Tenant] = field(default_factory=list)

    def names(self) -> list[str]:
        return [tenant.name for tenant in self.tenants]


class Problems:
    """Collects validation problems, each prefixed with the tenant and field it concerns."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        listed = self.items[:MAX_LISTED_PROBLEMS]
        more = len(self.items) - len(listed)
        lines = "\n".join(f"  - {item}" for item in listed)
        tail = f"\n  ... and {more} more" if more else ""
        count = f"{len(self.items)} problem" + ("s" if len(self.items) > 1 else "")
        raise ConfigurationError(f"tenants file {self.source}: {count}; nothing was scanned:\n{lines}{tail}")


# -- reading ----------------------------------------------------------------------


def load_tenants(path: str | Path) -> TenantsFile:
    """Read, parse and validate a tenants file; raise ConfigurationError listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read tenants file {path}: {exc.strerror}") from None
    data = _parse(raw, path)
    tenants = validate_tenants(data, str(path))
    return TenantsFile(str(path), hashlib.sha256(raw).hexdigest(), tenants)


def _parse(raw: bytes, path: Path) -> Any:
    suffix = path.suffix.lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"tenants file {path} is not UTF-8 text") from None
    if suffix in (".yaml", ".yml"):
        from ztscan.rulecatalogue import read_yaml

        return read_yaml(text, str(path))
    if suffix == ".toml":
        toml = _toml_module()
        try:
            return toml.loads(text)
        except toml.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: invalid TOML: {exc}") from None
        except RecursionError:
            raise ConfigurationError(f"{path}: invalid TOML: the document is nested too deeply; "
                                     "flatten its arrays and tables") from None
    raise ConfigurationError(f"tenants file {path}: unknown file type {suffix or '(none)'!r}; "
                             "name it .yaml, .yml or .toml")


def _toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli
    except ImportError:
        raise ConfigurationError("reading a TOML tenants file on Python 3.10 needs the package 'tomli'; "
                                 "install it with: pip install tomli, or use a YAML tenants file") from None
    return tomli


# -- validation -------------------------------------------------------------------


def validate_tenants(data: Any, source: str) -> list[Tenant]:
    """Validate the parsed content of a tenants file and return its tenants in file order."""
    problems = Problems(source)
    find_inline_secrets(data, "", "(top level)", problems)
    if not isinstance(data, Mapping):
        problems.add("(top level)", "expected a mapping with 'version' and 'tenants'")
        problems.raise_if_any()
    _check_keys(data, {"version", "defaults", "tenants"}, "(top level)", "", problems)
    if data.get("version", TENANTS_FILE_VERSION) != TENANTS_FILE_VERSION:
        problems.add("(top level)", f"version: {data.get('version')!r} is not supported; "
                     f"this ztscan reads version {TENANTS_FILE_VERSION}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.add("defaults", "expected a mapping of cloud name to default options")
        defaults = {}
    _check_keys(defaults, set(CLOUDS), "defaults", "defaults.", problems)

    entries = data.get("tenants")
    if not isinstance(entries, list) or not entries:
        problems.add("(top level)", "tenants: missing or empty; list at least one tenant")
        problems.raise_if_any()
    tenants = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        tenant = _validate_tenant(entry, index, defaults, problems)
        if tenant is None:
            continue
        folded = tenant.name.casefold()
        if folded in seen:
            problems.add(f"tenant {tenant.name!r}", f"name: duplicate tenant name (also entry {seen[folded] + 1}); "
                         "tenant names must be unique, ignoring case")
            continue
        seen[folded] = index
        tenants.append(tenant)
    problems.raise_if_any()
    return tenants


def _validate_tenant(entry: Any, index: int, defaults: Mapping[str, Any], problems: Problems) -> Tenant | None:
    where = f"tenant entry {index + 1}"
    if not isinstance(entry, Mapping):
        problems.add(where, "expected a mapping with 'name' and at least one of aws, azure, gcp")
        return None
    name = entry.get("name")
    valid_name = isinstance(name, str) and bool(TENANT_NAME.match(name))
    if name is None:
        problems.add(where, "name: missing; give every tenant a unique name")
    elif not valid_name:
        problems.add(where, f"name: {name!r} is invalid; use 1 to 64 letters, digits, '.', '_' or '-', "
                     "starting with a letter or digit (it becomes a directory name)")
    else:
        where = f"tenant {name!r}"
    # The rest of the entry is checked even without a valid name, so that one run lists every problem.
    _check_keys(entry, {"name", "description", *CLOUDS}, where, "", problems)
    description = entry.get("description", "")
    if not isinstance(description, str):
        problems.add(where, "description: expected a string")
        description = ""
    clouds: dict[str, tuple[dict[str, Any], ...]] = {}
    for cloud in CLOUDS:
        value = entry.get(cloud)
        if value is None:
            clouds[cloud] = ()
            continue
        items = value if isinstance(value, list) else [value]
        if not items:
            problems.add(where, f"{cloud}: empty list; remove the key or list at least one entry")
        validated = []
        for position, item in enumerate(items):
            label = f"{cloud}[{position}]" if isinstance(value, list) else cloud
            if not isinstance(item, Mapping):
                problems.add(where, f"{label}: expected a mapping of {cloud} options")
                continue
            merged = {**dict(defaults.get(cloud) or {}), **dict(item)}
            options = VALIDATORS[cloud](merged, where, label, problems)
            if options is not None:
                validated.append(options)
        clouds[cloud] = tuple(validated)
    if not any(key in entry for key in CLOUDS):
        problems.add(where, "no cloud given; add at least one of aws, azure, gcp")
    if not valid_name:
        return None
    return Tenant(name, description, **clouds)


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str, prefix: str, problems: Problems) -> None:
    for key in data:
        if str(key).lower() in SECRET_KEYS:
            continue  # already reported as an inline secret
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            problems.add(where, f"{prefix}{key}: unknown key; the keys allowed here are: {known}")


# -- per-cloud entries ------------------------------------------------------------


def _string(entry: Mapping[str, Any], key: str, where: str, label: str, problems: Problems,
            pattern: re.Pattern[str] | None = None, hint: str = "") -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"{label}.{key}: expected a non-empty string")
        return None
    if pattern is not None and not pattern.match(value):
        problems.add(where, f"{label}.{key}: {value!r} is invalid; {hint}")
        return None
    return value


def _string_list(entry: Mapping[str, Any], key: str, where: str, label: str, problems: Problems,
                 pattern: re.Pattern[str] | None = None, hint: str = "") -> list[str] | None:
    value = entry.get(key)
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, (str, int)) for item in items):
        problems.add(where, f"{label}.{key}: expected a list of strings or one comma-separated string")
        return None
    result = [str(item).strip() for item in items if str(item).strip()]
    if not result:
        problems.add(where, f"{label}.{key}: empty; remove the key or list at least one value")
        return None
    for item in result:
        if pattern is not None and not pattern.match(item):
            problems.add(where, f"{label}.{key}: {item!r} is invalid; {hint}")
            return None
    return result


def _validate_aws(entry: Mapping[str, Any], where: str, label: str, problems: Problems) -> dict[str, Any] | None:
    allowed = {"profile", "role_arn", "external_id", "organization", "regions", "endpoint_url", "session_name"}
    _check_keys(entry, allowed, where, f"{label}.", problems)
    options: dict[str, Any] = {
        "profile": _string(entry, "profile", where, label, problems),
        "role_arn": _string(entry, "role_arn", where, label, problems, ROLE_ARN,
                            "expected an IAM role ARN such as arn:aws:iam::111122223333:role/ZtscanAudit"),
        "external_id": _string(entry, "external_id", where, label, problems, EXTERNAL_ID,
                               "use 2 to 1224 letters, digits or the characters +=,.@:/-"),
        "regions": _string_list(entry, "regions", where, label, problems),
        "endpoint_url": _string(entry, "endpoint_url", where, label, problems),
        "session_name": _string(entry, "session_name", where, label, problems),
        "organization": None,
    }
    organization = entry.get("organization")
    if organization is not None:
        options["organization"] = _validate_aws_organization(organization, where, f"{label}.organization", problems)
    if entry.get("role_arn") is not None and organization is not None:
        problems.add(where, f"{label}: give either role_arn (one account) or organization (its member accounts), "
                     "not both")
    if entry.get("external_id") is not None and entry.get("role_arn") is None:
        problems.add(where, f"{label}.external_id: set without role_arn; the external id belongs to a role "
                     "(inside organization, give it as organization.external_id)")
    if all(entry.get(key) is None for key in ("profile", "role_arn", "organization")):
        problems.add(where, f"{label}: missing credentials; give profile, role_arn (assumed from the hub "
                     "credentials or from profile) or organization")
    return {key: value for key, value in options.items() if value is not None}


def _validate_aws_organization(value: Any, where: str, label: str, problems: Problems) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        problems.add(where, f"{label}: expected a mapping with member_role and optionally external_id, "
                     "management_role_arn, accounts, exclude_accounts")
        return None
    allowed = {"member_role", "external_id", "management_role_arn", "management_external_id", "accounts",
               "exclude_accounts"}
    _check_keys(value, allowed, where, f"{label}.", problems)
    if value.get("member_role") is None:
        problems.add(where, f"{label}.member_role: missing; name the role that ztscan assumes in every "
                     "member account, such as ZtscanAudit")
    account_hint = "expected a 12-digit AWS account id"
    result = {
        "member_role": _string(value, "member_role", where, label, problems, ROLE_NAME,
                               "expected a role name (not an ARN), such as ZtscanAudit"),
        "external_id": _string(value, "external_id", where, label, problems, EXTERNAL_ID,
                               "use 2 to 1224 letters, digits or the characters +=,.@:/-"),
        "management_role_arn": _string(value, "management_role_arn", where, label, problems, ROLE_ARN,
                                       "expected an IAM role ARN in the management account"),
        "management_external_id": _string(value, "management_external_id", where, label, problems, EXTERNAL_ID,
                                          "use 2 to 1224 letters, digits or the characters +=,.@:/-"),
        "accounts": _string_list(value, "accounts", where, label, problems, ACCOUNT_ID, account_hint),
        "exclude_accounts": _string_list(value, "exclude_accounts", where, label, problems, ACCOUNT_ID, account_hint),
    }
    return {key: item for key, item in result.items() if item is not None}


def _validate_azure(entry: Mapping[str, Any], where: str, label: str, problems: Problems) -> dict[str, Any] | None:
    allowed = {"tenant_id", "client_id", "client_secret_env", "certificate_path", "subscriptions", "cloud",
               "arm_endpoint", "graph_endpoint", "authority_host", "ca_bundle", "max_retries", "max_retry_wait"}
    _check_keys(entry, allowed, where, f"{label}.", problems)
    for key in ("tenant_id", "client_id"):
        if entry.get(key) is None:
            problems.add(where, f"{label}.{key}: missing; every Azure entry names its Entra ID tenant and "
                         "the application (client) id of its service principal")
    secret_env = entry.get("client_secret_env")
    if isinstance(secret_env, str) and not ENV_VAR_NAME.match(secret_env):
        problems.add(where, f"{label}.client_secret_env: expected the NAME of an environment variable "
                     "(letters, digits and '_'), not the secret itself; " + AZURE_HINT)
        secret_env = None
    if (entry.get("client_secret_env") is None) == (entry.get("certificate_path") is None):
        problems.add(where, f"{label}: give exactly one of client_secret_env (the name of an environment variable "
                     "holding the client secret) or certificate_path")
    subscriptions = entry.get("subscriptions")
    options: dict[str, Any] = {
        "tenant_id": _string(entry, "tenant_id", where, label, problems),
        "client_id": _string(entry, "client_id", where, label, problems),
        "client_secret_env": secret_env if isinstance(secret_env, str) else None,
        "certificate_path": _string(entry, "certificate_path", where, label, problems),
        "cloud": _string(entry, "cloud", where, label, problems, re.compile(r"^(public|usgov|china)$"),
                         "expected public, usgov or china"),
        "arm_endpoint": _string(entry, "arm_endpoint", where, label, problems),
        "graph_endpoint": _string(entry, "graph_endpoint", where, label, problems),
        "authority_host": _string(entry, "authority_host", where, label, problems),
        "ca_bundle": _string(entry, "ca_bundle", where, label, problems),
    }
    if subscriptions is not None and subscriptions != "all":
        options["subscriptions"] = _string_list(entry, "subscriptions", where, label, problems)
    for key, kind in (("max_retries", int), ("max_retry_wait", (int, float))):
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind) or value < 0):
            problems.add(where, f"{label}.{key}: expected a number of zero or more")
        elif value is not None:
            options[key] = value
    return {key: value for key, value in options.items() if value is not None}


def _validate_gcp(entry: Mapping[str, Any], where: str, label: str, problems: Problems) -> dict[str, Any] | None:
    allowed = {"projects", "organization", "folder", "key_file", "impersonate", "endpoint", "kms_locations"}
    _check_keys(entry, allowed, where, f"{label}.", problems)
    if all(entry.get(key) is None for key in ("projects", "organization", "folder")):
        problems.add(where, f"{label}: missing target; give projects, organization or folder")
    if entry.get("key_file") is None and entry.get("impersonate") is None:
        problems.add(where, f"{label}: missing credentials; give key_file (a service-account key file path) "
                     "or impersonate (a service account email)")
    endpoint = entry.get("endpoint")
    if isinstance(endpoint, Mapping):
        endpoint = [f"{api}={url}" for api, url in endpoint.items()]
    options: dict[str, Any] = {
        "projects": _string_list(entry, "projects", where, label, problems),
        "organization": _string(entry, "organization", where, label, problems, re.compile(r"^(organizations/)?\d+$"),
                                "expected a numeric organization id"),
        "folder": _string(entry, "folder", where, label, problems, re.compile(r"^(folders/)?\d+$"),
                          "expected a numeric folder id"),
        "key_file": _string(entry, "key_file", where, label, problems),
        "impersonate": _string(entry, "impersonate", where, label, problems, re.compile(r"^[^@\s]+@[^@\s]+$"),
                               "expected a service account email"),
        "endpoint": _string_list({"endpoint": endpoint}, "endpoint", where, label, problems,
                                 re.compile(r"^[a-z]+=\S+$"), "expected API=URL") if endpoint is not None else None,
        "kms_locations": _string_list(entry, "kms_locations", where, label, problems),
    }
    if options["kms_locations"] is not None:
        options["kms_locations"] = ",".join(options["kms_locations"])
    return {key: value for key, value in options.items() if value is not None}


VALIDATORS: dict[str, Callable[[Mapping[str, Any], str, str, Problems], dict[str, Any] | None]] = {
    "aws": _validate_aws, "azure": _validate_azure, "gcp": _validate_gcp,
}
