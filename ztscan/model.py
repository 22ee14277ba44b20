"""The provider-neutral data model: resources, collection errors, inventories and findings.

A resource's facts are a plain dict. The difference between an absent key and a
``None`` value is part of the contract:

* key absent: the fact was not collected (access denied, throttled, timed out,
  collector crashed). Reading it in a rule raises :class:`MissingFact`, which the
  engine turns into an ERROR finding, never a verdict.
* value ``None``: the fact was collected and the cloud has nothing there (no KMS
  key, no public address, not applicable on this platform).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping


class Status(str, enum.Enum):
    """Outcome of one rule on one resource or scope."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    MUTED = "MUTED"

    def __str__(self) -> str:
        return self.value


class Severity(str, enum.Enum):
    """Severity of a rule, ordered from most to least severe by :attr:`rank`."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, threshold: "Severity") -> bool:
        """Return True when this severity is as severe as ``threshold`` or more."""
        return self.rank >= threshold.rank

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

#: Region value for resources and errors that belong to a whole account (IAM, Entra ID).
GLOBAL = "global"


@dataclass(frozen=True, order=True)
class Scope:
    """Location of a resource: provider name, account (or subscription, project) and region."""

    provider: str
    account: str
    region: str = GLOBAL

    def label(self) -> str:
        return f"{self.provider}:{self.account}:{self.region}"

    def covers(self, other: "Scope") -> bool:
        """Return True when ``other`` lies inside this scope.

        An account-wide scope (region ``global``) covers every region of the account.
        """
        if (self.provider, self.account) != (other.provider, other.account):
            return False
        return self.region == GLOBAL or self.region == other.region

    def to_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "account": self.account, "region": self.region}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scope":
        return cls(str(data["provider"]), str(data["account"]), str(data.get("region", GLOBAL)))


class MissingFact(LookupError):
    """Raised when a rule reads a fact that the collector could not gather."""

    def __init__(self, resource: "Resource", fact: str):
        super().__init__(f"fact {fact!r} of {resource.kind} {resource.id} was not collected")
        self.resource = resource
        self.fact = fact


@dataclass
class Resource:
    """One provider-neutral resource.

    ``kind`` is one of the kinds declared in :mod:`ztscan.kinds`; ``id`` is the
    provider's own identifier (ARN, Azure resource id, GCP self link).
    """

    kind: str
    id: str
    scope: Scope
    name: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def fact(self, name: str) -> Any:
        """Return a collected fact, or raise :class:`MissingFact` when it was not collected."""
        try:
            return self.facts[name]
        except KeyError:
            raise MissingFact(self, name) from None

    def has(self, name: str) -> bool:
        return name in self.facts

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "scope": self.scope.to_dict(),
            "facts": self.facts,
            "tags": self.tags,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Resource":
        return cls(
            kind=str(data["kind"]),
            id=str(data["id"]),
            name=str(data.get("name", "")),
            scope=Scope.from_dict(data["scope"]),
            facts=dict(data.get("facts", {})),
            tags={str(k): str(v) for k, v in dict(data.get("tags", {})).items()},
        )


@dataclass(frozen=True)
class CollectionError:
    """A piece of inventory that could not be collected.

    ``kind`` names the resource kind whose data is missing. With no ``facts``, the
    listing of that kind itself failed in ``scope``, so resources may be missing
    entirely. With ``facts``, only those facts are missing: for ``resource_id``
    when it is set, otherwise for every resource of the kind in the scope.
    """

    scope: Scope
    service: str
    operation: str
    code: str
    message: str
    kind: str
    facts: tuple[str, ...] = ()
    resource_id: str | None = None

    def __post_init__(self) -> None:
        # Cloud error messages can quote a token or secret; none may reach a report or snapshot.
        from ztscan.redaction import redact

        object.__setattr__(self, "message", redact(self.message))

    def describe(self) -> str:
        where = f" on {self.resource_id}" if self.resource_id else ""
        return f"{self.service}.{self.operation} failed in {self.scope.label()}{where}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope.to_dict(),
            "service": self.service,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "kind": self.kind,
            "facts": list(self.facts),
            "resource_id": self.resource_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CollectionError":
        return cls(
            scope=Scope.from_dict(data["scope"]),
            service=str(data["service"]),
            operation=str(data["operation"]),
            code=str(data["code"]),
            message=str(data["message"]),
            kind=str(data["kind"]),
            facts=tuple(data.get("facts", ())),
            resource_id=data.get("resource_id"),
        )


class ScopeState(str, enum.Enum):
    """Outcome of collection for one scope."""

    SCANNED = "scanned"
    SKIPPED = "skipped"  # deliberately not scanned, for example a region that is not enabled
    FAILED = "failed"  # nothing could be collected in this scope

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ScopeRecord:
    scope: Scope
    state: ScopeState
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope.to_dict(), "state": self.state.value, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScopeRecord":
        return cls(Scope.from_dict(data["scope"]), ScopeState(data["state"]), str(data.get("reason", "")))


@dataclass
class Inventory:
    """Everything one collection produced: resources, collection errors and scope records."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    scopes: list[ScopeRecord] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    #: Free-form facts about the collection (provider versions, options, credential source name).
    metadata: dict[str, Any] = field(default_factory=dict)

    def add(self, resource: Resource) -> Resource:
        self.resources.append(resource)
        return resource

    def extend(self, other: "Inventory") -> None:
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.scopes.extend(other.scopes)

    def of_kind(self, kind: str) -> Iterator[Resource]:
        return (r for r in self.resources if r.kind == kind)


@dataclass(frozen=True)
class Outcome:
    """Result of one rule check on one resource: status, message and evidence."""

    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


def passed(message: str, **evidence: Any) -> Outcome:
    return Outcome(Status.PASS, message, evidence)


def failed(message: str, **evidence: Any) -> Outcome:
    return Outcome(Status.FAIL, message, evidence)


def not_applicable(message: str, **evidence: Any) -> Outcome:
    return Outcome(Status.NOT_APPLICABLE, message, evidence)


@dataclass
class Finding:
    """The result of one rule on one resource, or on a whole scope when collection failed there."""

    rule_id: str
    status: Status
    severity: Severity
    scope: Scope
    resource_id: str
    resource_kind: str
    resource_name: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    #: For MUTED findings: the status the rule produced before the suppression applied.
    original_status: Status | None = None
    suppression: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """Identity of the finding across scans: rule, provider, account, region, resource."""
        return (self.rule_id, self.scope.provider, self.scope.account, self.scope.region, self.resource_id)

    @property
    def effective_status(self) -> Status:
        """The status before muting, which decides gaps, coverage and control status."""
        return self.original_status if self.status is Status.MUTED and self.original_status else self.status

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "status": self.status.value,
            "severity": self.severity.value,
            "scope": self.scope.to_dict(),
            "resource": {"id": self.resource_id, "kind": self.resource_kind, "name": self.resource_name},
            "message": self.message,
            "evidence": self.evidence,
        }
        if self.original_status is not None:
            data["original_status"] = self.original_status.value
        if self.suppression is not None:
            data["suppression"] = self.suppression
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Finding":
        resource = data["resource"]
        original = data.get("original_status")
        return cls(
            rule_id=str(data["rule_id"]),
            status=Status(data["status"]),
            severity=Severity(data["severity"]),
            scope=Scope.from_dict(data["scope"]),
            resource_id=str(resource["id"]),
            resource_kind=str(resource["kind"]),
            resource_name=str(resource.get("name", "")),
            message=str(data.get("message", "")),
            evidence=dict(data.get("evidence", {})),
            original_status=Status(original) if original else None,
            suppression=data.get("suppression"),
        )
