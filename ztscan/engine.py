"""Evaluate rules over an inventory and turn collection errors into ERROR findings.

The guarantee this module keeps: a rule never reports PASS over data that was
not collected. Three mechanisms enforce it.

1. A listing of the rule's target kind failed in a scope: the engine adds one
   ERROR finding for that rule and scope, because resources may be missing.
2. A listing of another kind the rule reads failed in an overlapping scope:
   every finding of the rule on resources in that scope becomes ERROR.
3. A fact is absent from a resource: ``Resource.fact`` raises MissingFact and
   the finding becomes ERROR, quoting the collection error that explains it.

A rule that raises any other exception becomes an ERROR finding with the cause,
unless ``strict`` is set, in which case the exception propagates.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from ztscan.model import (
    CollectionError,
    Finding,
    Inventory,
    MissingFact,
    Resource,
    Scope,
    Severity,
    Status,
)
from ztscan.rules.base import InventoryIndex, Rule

log = logging.getLogger(__name__)


class RuleCrash(Exception):
    """Raised in strict mode when a rule's check function fails."""


@dataclass
class _ErrorIndex:
    """Collection errors grouped for fast lookup by kind."""

    listing: dict[str, list[CollectionError]]
    facts: dict[str, list[CollectionError]]

    @classmethod
    def build(cls, errors: Iterable[CollectionError]) -> "_ErrorIndex":
        listing: dict[str, list[CollectionError]] = defaultdict(list)
        facts: dict[str, list[CollectionError]] = defaultdict(list)
        for error in errors:
            (facts if error.facts else listing)[error.kind].append(error)
        return cls(listing, facts)

    def explain_missing(self, resource: Resource, fact: str) -> CollectionError | None:
        """Find the collection error that explains a missing fact, preferring one on the resource itself."""
        best = None
        for error in self.facts.get(resource.kind, ()):
            if fact not in error.facts or not error.scope.covers(resource.scope) and not resource.scope.covers(error.scope):
                continue
            if error.resource_id == resource.id:
                return error
            if error.resource_id is None:
                best = best or error
        if best is None:
            for error in self.listing.get(resource.kind, ()):
                if error.scope.covers(resource.scope):
                    return error
        return best


def _overlaps(a: Scope, b: Scope) -> bool:
    return a.covers(b) or b.covers(a)


def evaluate(inventory: Inventory, rules: Sequence[Rule], severities: dict[str, Severity],
             strict: bool = False) -> list[Finding]:
    """Run every rule over the inventory and return the findings, ERROR ones included."""
    index = InventoryIndex(inventory.resources)
    errors = _ErrorIndex.build(inventory.errors)
    findings: list[Finding] = []
    for rule in rules:
        severity = severities[rule.id]
        findings.extend(_scope_error_findings(rule, severity, errors))
        blocking = [error for kind in rule.reads if kind != rule.target for error in errors.listing.get(kind, ())]
        for resource in index.of_kind(rule.target):
            findings.append(_evaluate_resource(rule, severity, resource, index, errors, blocking, strict))
    return findings


def _scope_error_findings(rule: Rule, severity: Severity, errors: _ErrorIndex) -> list[Finding]:
    """One ERROR finding per scope where the listing of the rule's target kind failed."""
    by_scope: dict[Scope, list[CollectionError]] = defaultdict(list)
    for error in errors.listing.get(rule.target, ()):
        by_scope[error.scope].append(error)
    findings = []
    for scope, causes in sorted(by_scope.items()):
        findings.append(
            Finding(
                rule_id=rule.id,
                status=Status.ERROR,
                severity=severity,
                scope=scope,
                resource_id=scope.label(),
                resource_kind=rule.target,
                resource_name=f"all {rule.target} resources in {scope.label()}",
                message="could not list the resources this rule checks: "
                + "; ".join(cause.describe() for cause in causes),
                evidence={"collection_errors": [cause.to_dict() for cause in causes]},
            )
        )
    return findings


def _finding(rule: Rule, severity: Severity, resource: Resource, status: Status, message: str,
             evidence: dict) -> Finding:
    return Finding(
        rule_id=rule.id, status=status, severity=severity, scope=resource.scope,
        resource_id=resource.id, resource_kind=resource.kind, resource_name=resource.name,
        message=message, evidence=evidence,
    )


def _evaluate_resource(rule: Rule, severity: Severity, resource: Resource, index: InventoryIndex,
                       errors: _ErrorIndex, blocking: list[CollectionError], strict: bool) -> Finding:
    causes = [error for error in blocking if _overlaps(error.scope, resource.scope)]
    if causes:
        return _finding(
            rule, severity, resource, Status.ERROR,
            "input data missing: " + "; ".join(cause.describe() for cause in causes),
            {"collection_errors": [cause.to_dict() for cause in causes]},
        )
    try:
        outcome = rule.outcome(resource, index)
    except MissingFact as missing:
        cause = errors.explain_missing(missing.resource, missing.fact)
        if cause is not None:
            message = f"fact {missing.fact!r} was not collected: {cause.describe()}"
            evidence = {"missing_fact": missing.fact, "collection_errors": [cause.to_dict()]}
        else:
            message = f"fact {missing.fact!r} was not collected and no collection error explains why"
            evidence = {"missing_fact": missing.fact}
        return _finding(rule, severity, resource, Status.ERROR, message, evidence)
    except Exception as exc:
        if strict:
            raise RuleCrash(f"rule {rule.id} failed on {resource.id}: {exc}") from exc
        log.error("rule %s crashed on %s: %s: %s", rule.id, resource.id, type(exc).__name__, exc)
        return _finding(rule, severity, resource, Status.ERROR, f"rule crashed: {type(exc).__name__}: {exc}",
                        {"crash": type(exc).__name__})
    return _finding(rule, severity, resource, outcome.status, outcome.message, dict(outcome.evidence))
