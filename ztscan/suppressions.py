"""Suppression files: known, accepted gaps that a scan reports as MUTED instead of FAIL.

A suppression file is YAML (``.yaml``, ``.yml``) or TOML (``.toml``) with a
``suppressions`` list. Each entry matches findings by rule, provider, account,
region and resource (fnmatch-style globs, case-sensitive) and must carry a
``reason``, an ``owner`` and an ``expires`` date. An entry applies up to and
including its expiry date. From the next day it is expired: it stops applying
and is reported, so the gap shows up again.

Only FAIL findings are muted. An ERROR finding means the check could not run,
so no suppression may hide it: the scan stays incomplete. A muted finding keeps
its FAIL status in ``original_status`` and is never counted as PASS.
"""

from __future__ import annotations

import datetime
import logging
import re
import sys
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Collection, Iterable

import yaml

from ztscan.model import Finding, Status
from ztscan.provider import ConfigurationError
from ztscan.rulecatalogue import read_yaml

log = logging.getLogger(__name__)

SUPPORTED_VERSION = 1
TOP_LEVEL_KEYS = ("version", "suppressions")
MATCH_KEYS = ("rule", "provider", "account", "region", "resource")
REQUIRED_KEYS = ("rule", "reason", "owner", "expires")
ENTRY_KEYS = ("id", *MATCH_KEYS, "reason", "owner", "expires")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YAML_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class TextDateLoader(yaml.SafeLoader):
    """A safe YAML loader that keeps dates as text, so that an invalid date is reported with its entry."""


TextDateLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _YAML_TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class SuppressionEntry:
    """One entry of a suppression file; every match field is a glob, ``*`` when left out."""

    source: str
    #: Position of the entry in the file, starting at 1.
    index: int
    id: str | None
    rule: str
    provider: str
    account: str
    region: str
    resource: str
    reason: str
    owner: str
    expires: datetime.date

    def label(self) -> str:
        """Name the entry for messages: file, position and id when it has one."""
        name = f"entry {self.index}" + (f" (id {self.id!r})" if self.id else "")
        return f"{self.source}: {name}"

    def matches(self, finding: Finding) -> bool:
        scope = finding.scope
        if not (fnmatchcase(finding.rule_id, self.rule) and fnmatchcase(scope.provider, self.provider)
                and fnmatchcase(scope.account, self.account) and fnmatchcase(scope.region, self.region)):
            return False
        return fnmatchcase(finding.resource_id, self.resource) or (
            bool(finding.resource_name) and fnmatchcase(finding.resource_name, self.resource))

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires

    def record(self) -> dict[str, Any]:
        """Return what a muted finding stores about the suppression that muted it."""
        return {
            "id": self.id,
            "index": self.index,
            "source": self.source,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.record(), "rule": self.rule, "provider": self.provider, "account": self.account,
                "region": self.region, "resource": self.resource}


@dataclass
class SuppressionOutcome:
    """The result of applying a suppression file to one report."""

    muted: list[Finding] = field(default_factory=list)
    #: Entries past their expiry date; they muted nothing.
    expired: list[SuppressionEntry] = field(default_factory=list)
    #: Entries in force that matched no FAIL or ERROR finding.
    unused: list[SuppressionEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "muted": len(self.muted),
            "expired": [entry.to_dict() for entry in self.expired],
            "unused": [entry.to_dict() for entry in self.unused],
        }


@dataclass
class Suppressions:
    """The validated entries of one suppression file."""

    source: str
    entries: list[SuppressionEntry]

    def check_rule_ids(self, known_rule_ids: Collection[str]) -> None:
        """Raise ConfigurationError for an entry whose rule pattern matches no known rule id."""
        known = sorted(known_rule_ids)
        for entry in self.entries:
            if not any(fnmatchcase(rule_id, entry.rule) for rule_id in known):
                raise ConfigurationError(
                    f"{entry.label()}: rule {entry.rule!r} matches no known rule id; "
                    "use an id listed by 'ztscan rules', for example ZT-IAM-001"
                )

    def apply(self, findings: Iterable[Finding], today: datetime.date) -> SuppressionOutcome:
        """Mute the FAIL findings that an entry in force matches, and report expired and unused entries.

        The first matching entry in file order is recorded on the finding. An
        entry that matches only ERROR findings is not reported as unused,
        because ztscan could not check whether the gap is still there.
        """
        outcome = SuppressionOutcome()
        active = []
        for entry in self.entries:
            if entry.expired(today):
                outcome.expired.append(entry)
                log.warning("%s expired on %s and no longer applies; renew it with a later expiry date "
                            "or remove it", entry.label(), entry.expires.isoformat())
            else:
                active.append(entry)

        used: set[int] = set()
        for finding in findings:
            if finding.status not in (Status.FAIL, Status.ERROR):
                continue
            matching = [entry for entry in active if entry.matches(finding)]
            used.update(entry.index for entry in matching)
            if matching and finding.status is Status.FAIL:
                finding.original_status = finding.status
                finding.status = Status.MUTED
                finding.suppression = matching[0].record()
                outcome.muted.append(finding)

        for entry in active:
            if entry.index not in used:
                outcome.unused.append(entry)
                log.warning("%s matched no failing finding; remove it if the gap is fixed, "
                            "or correct its rule, provider, account, region or resource pattern", entry.label())
        return outcome


def load_suppressions(path: str | Path, known_rule_ids: Collection[str] | None = None) -> Suppressions:
    """Read and validate a YAML or TOML suppression file.

    With ``known_rule_ids``, every entry's rule pattern must match one of them.
    Every problem raises ConfigurationError naming the file, the entry and the fix.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        raise ConfigurationError(
            f"{source}: unsupported suppression file type {suffix or '(none)'!r}; "
            "use a .yaml, .yml or .toml file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{source}: suppression file not found; check the --suppressions path") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid UTF-8"
        raise ConfigurationError(f"{source}: cannot read suppression file: {reason}") from None

    data = _read_toml(text, source) if suffix == ".toml" else read_yaml(text, source, loader=TextDateLoader)
    suppressions = Suppressions(source, parse_entries(data, source))
    if known_rule_ids is not None:
        suppressions.check_rule_ids(known_rule_ids)
    return suppressions


def _read_toml(text: str, source: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        try:
            import tomli as tomllib
        except ImportError:
            raise ConfigurationError(
                f"{source}: reading TOML on Python 3.10 needs the package 'tomli'; install it with "
                "pip install tomli, or write the suppression file in YAML") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{source}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigurationError(f"{source}: invalid TOML: the document is nested too deeply; "
                                 "flatten its arrays and tables") from None


def parse_entries(data: Any, source: str) -> list[SuppressionEntry]:
    """Validate the parsed file and return its entries."""
    example = "for example: suppressions: [{rule: ZT-DAT-006, reason: ..., owner: ..., expires: 2026-12-31}]"
    if data is None:
        raise ConfigurationError(f"{source}: the suppression file is empty; add a 'suppressions' list, {example}")
    if not isinstance(data, dict):
        raise ConfigurationError(f"{source}: expected a mapping with a 'suppressions' list at the top level, {example}")
    unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown top-level key {unknown[0]!r}; allowed keys are {', '.join(TOP_LEVEL_KEYS)}")
    version = data.get("version", SUPPORTED_VERSION)
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        raise ConfigurationError(
            f"{source}: unsupported suppression file version {version!r}; this ztscan reads version 1")
    if "suppressions" not in data:
        raise ConfigurationError(f"{source}: missing the 'suppressions' list, {example}")
    items = data["suppressions"]
    if not isinstance(items, list):
        raise ConfigurationError(f"{source}: 'suppressions' must be a list of entries, {example}")

    entries = []
    seen_ids: dict[str, int] = {}
    for index, item in enumerate(items, start=1):
        entry = _parse_entry(item, index, source)
        if entry.id is not None:
            if entry.id in seen_ids:
                raise ConfigurationError(
                    f"{entry.label()}: id {entry.id!r} is already used by entry {seen_ids[entry.id]}; "
                    "give every entry a unique id")
            seen_ids[entry.id] = index
        entries.append(entry)
    return entries


def _parse_entry(item: Any, index: int, source: str) -> SuppressionEntry:
    entry_id = item.get("id") if isinstance(item, dict) else None
    where = f"{source}: entry {index}" + (f" (id {entry_id!r})" if isinstance(entry_id, str) and entry_id else "")
    if not isinstance(item, dict):
        raise ConfigurationError(f"{where}: expected a mapping of keys ({', '.join(ENTRY_KEYS)}), "
                                 f"got {type(item).__name__}")
    unknown = sorted(set(item) - set(ENTRY_KEYS))
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key {unknown[0]!r}; allowed keys are {', '.join(ENTRY_KEYS)}")
    missing = [key for key in REQUIRED_KEYS if key not in item]
    if missing:
        raise ConfigurationError(
            f"{where}: missing required key {missing[0]!r}; every suppression needs "
            "a rule, a reason, an owner and an expires date (YYYY-MM-DD)")

    texts = {key: _text(item, key, where) for key in ("id", *MATCH_KEYS, "reason", "owner") if key in item}
    return SuppressionEntry(
        source=source,
        index=index,
        id=texts.get("id"),
        rule=texts["rule"],
        provider=texts.get("provider", "*"),
        account=texts.get("account", "*"),
        region=texts.get("region", "*"),
        resource=texts.get("resource", "*"),
        reason=texts["reason"],
        owner=texts["owner"],
        expires=_date(item["expires"], where),
    )


def _text(item: dict, key: str, where: str) -> str:
    value = item[key]
    if isinstance(value, bool):
        raise ConfigurationError(f"{where}: {key} must be a non-empty string, got {str(value).lower()}")
    if isinstance(value, (int, float)):
        raise ConfigurationError(
            f"{where}: {key} must be a quoted string, got the number {value!r}; write {key}: \"{value}\" "
            "(an unquoted account id is read as a number and loses leading zeros)")
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _date(value: Any, where: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise ConfigurationError(f"{where}: expires must be a date without a time, for example 2026-12-31")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigurationError(f"{where}: expires {value!r} is not a valid date; write it as YYYY-MM-DD, "
                             "for example 2026-12-31")
