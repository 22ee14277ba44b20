"""Rule declaration, and the read-only view of the inventory that rules receive."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, TypeVar

from ztscan.model import GLOBAL, Outcome, Resource

CheckResult = Outcome
T = TypeVar("T")


class InventoryIndex:
    """Resources grouped by kind and by (kind, provider, account), built once per evaluation."""

    def __init__(self, resources: Iterable[Resource]):
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._by_account: dict[tuple[str, str, str], list[Resource]] = defaultdict(list)
        #: Values derived from one resource, shared by the rules of one evaluation (see :meth:`derived`).
        self._derived: dict[tuple[str, int], tuple[Resource, Any]] = {}
        for resource in resources:
            self._by_kind[resource.kind].append(resource)
            self._by_account[(resource.kind, resource.scope.provider, resource.scope.account)].append(resource)

    def of_kind(self, kind: str) -> list[Resource]:
        return self._by_kind.get(kind, [])

    def derived(self, resource: Resource, name: str, compute: Callable[[Resource], T]) -> T:
        """Return ``compute(resource)``, computed once per resource and ``name`` for this index.

        Several rules that need the same costly derivation of one resource (such as
        the parsed rules of a firewall) share it this way. ``compute`` must depend
        only on the resource. An exception from ``compute`` is not cached, so it is
        raised again for every rule that requests the value.
        """
        key = (name, id(resource))
        entry = self._derived.get(key)
        if entry is not None and entry[0] is resource:
            return entry[1]
        value = compute(resource)
        self._derived[key] = (resource, value)
        return value

    def related(self, resource: Resource, kind: str, same_region: bool = False) -> list[Resource]:
        """Return the resources of ``kind`` in the same account as ``resource``.

        With ``same_region``, only those in the resource's region (or account-wide
        ones) are returned.
        """
        found = self._by_account.get((kind, resource.scope.provider, resource.scope.account), [])
        if not same_region:
            return found
        region = resource.scope.region
        return [other for other in found if other.scope.region in (region, GLOBAL)]


@dataclass(frozen=True)
class Rule:
    """A provider-neutral rule.

    ``check(resource, index)`` is a pure function: it reads facts with
    ``resource.fact(name)`` (so a fact that was not collected raises
    MissingFact and becomes ERROR) and returns exactly one Outcome, so that a
    finding is identified by rule and resource. Everything a person reads about the
    rule (title, severity, rationale, remediation, mappings) lives in the rule
    catalogue under ``mappings/``, keyed by ``id``.
    """

    id: str
    #: The resource kind the rule evaluates; findings point at resources of this kind.
    target: str
    #: Every kind the rule reads, with the facts it reads of each. Includes ``target``.
    reads: Mapping[str, tuple[str, ...]]
    check: Callable[[Resource, InventoryIndex], CheckResult]

    def outcome(self, resource: Resource, index: InventoryIndex) -> Outcome:
        result = self.check(resource, index)
        if not isinstance(result, Outcome):
            raise TypeError(f"rule {self.id} returned {type(result).__name__}, expected an Outcome")
        return result


def rule(rule_id: str, target: str, reads: Mapping[str, Iterable[str]] | None = None,
         facts: Iterable[str] = ()) -> Callable[[Callable[[Resource, InventoryIndex], CheckResult]], Rule]:
    """Build a :class:`Rule` from a check function.

    ``facts`` lists the facts read from the target kind; ``reads`` adds other kinds.
    The returned object is the Rule itself, so a module lists its rules explicitly
    and nothing registers itself on import.
    """
    declared = {kind: tuple(names) for kind, names in (reads or {}).items()}
    declared[target] = tuple(sorted(set(declared.get(target, ())) | set(facts)))

    def build(check: Callable[[Resource, InventoryIndex], CheckResult]) -> Rule:
        return Rule(id=rule_id, target=target, reads=declared, check=check)

    return build
