"""The engine's guarantee: data that was not collected never becomes PASS."""

from __future__ import annotations

import pytest

from ztscan.engine import RuleCrash, evaluate
from ztscan.model import (
    GLOBAL,
    CollectionError,
    Inventory,
    Resource,
    Scope,
    Severity,
    Status,
    failed,
    passed,
)
from ztscan.rules.base import rule

EAST = Scope("aws", "111122223333", "us-east-1")
WEST = Scope("aws", "111122223333", "us-west-2")
ACCOUNT = Scope("aws", "111122223333", GLOBAL)
OTHER_ACCOUNT = Scope("aws", "999988887777", "us-east-1")


@rule("ZT-TEST-001", "storage.volume", facts=("encrypted",))
def volume_encrypted(resource, index):
    return passed("encrypted") if resource.fact("encrypted") else failed("not encrypted")


@rule("ZT-TEST-002", "compute.instance", facts=("firewall_ids",), reads={"network.firewall": ("rules",)})
def instance_with_firewalls(resource, index):
    return passed(f"{len(resource.fact('firewall_ids'))} firewalls")


@rule("ZT-TEST-003", "storage.volume", facts=("encrypted",))
def crashing_rule(resource, index):
    raise RuntimeError("boom")


@rule("ZT-TEST-004", "account", reads={"audit.trail": ("logging",)})
def account_trails(resource, index):
    trails = index.related(resource, "audit.trail")
    return passed("logging") if any(t.fact("logging") for t in trails) else failed("no trail logging")


SEVERITIES = {rule_id: Severity.HIGH for rule_id in ("ZT-TEST-001", "ZT-TEST-002", "ZT-TEST-003", "ZT-TEST-004")}


def volume(name: str, scope: Scope = EAST, **facts) -> Resource:
    return Resource("storage.volume", f"arn:aws:ec2:{scope.region}:{scope.account}:volume/{name}", scope, name, facts)


def error(scope: Scope, kind: str, facts: tuple[str, ...] = (), resource_id: str | None = None,
          code: str = "AccessDenied") -> CollectionError:
    return CollectionError(scope, "ec2", "DescribeVolumes", code, "not authorized", kind, facts, resource_id)


def statuses(findings) -> dict[str, Status]:
    return {finding.resource_id: finding.status for finding in findings}


def test_collected_facts_give_pass_and_fail():
    inventory = Inventory(resources=[volume("good", encrypted=True), volume("bad", encrypted=False)])
    result = statuses(evaluate(inventory, [volume_encrypted], SEVERITIES))
    assert result[volume("good").id] is Status.PASS
    assert result[volume("bad").id] is Status.FAIL


def test_missing_fact_is_error_with_cause():
    missing = volume("unknown")
    cause = error(EAST, "storage.volume", ("encrypted",), missing.id)
    findings = evaluate(Inventory(resources=[missing], errors=[cause]), [volume_encrypted], SEVERITIES)
    assert [f.status for f in findings] == [Status.ERROR]
    assert "AccessDenied" in findings[0].message
    assert findings[0].evidence["missing_fact"] == "encrypted"


def test_missing_fact_without_recorded_error_is_still_error():
    findings = evaluate(Inventory(resources=[volume("unknown")]), [volume_encrypted], SEVERITIES)
    assert [f.status for f in findings] == [Status.ERROR]
    assert "no collection error explains why" in findings[0].message


def test_failed_listing_adds_scope_error():
    inventory = Inventory(resources=[volume("good", WEST, encrypted=True)], errors=[error(EAST, "storage.volume")])
    findings = evaluate(inventory, [volume_encrypted], SEVERITIES)
    result = statuses(findings)
    assert result[EAST.label()] is Status.ERROR
    assert result[volume("good", WEST).id] is Status.PASS
    assert len(findings) == 2


def test_read_kind_error_blocks_same_region():
    east = Resource("compute.instance", "i-east", EAST, "east", {"firewall_ids": []})
    west = Resource("compute.instance", "i-west", WEST, "west", {"firewall_ids": []})
    inventory = Inventory(resources=[east, west], errors=[error(EAST, "network.firewall")])
    result = statuses(evaluate(inventory, [instance_with_firewalls], SEVERITIES))
    assert result["i-east"] is Status.ERROR
    assert result["i-west"] is Status.PASS


def test_regional_listing_error_blocks_account_rule():
    account = Resource("account", "111122223333", ACCOUNT, "clinic", {})
    trail = Resource("audit.trail", "trail-1", EAST, "trail", {"logging": True})
    inventory = Inventory(resources=[account, trail], errors=[error(WEST, "audit.trail")])
    result = statuses(evaluate(inventory, [account_trails], SEVERITIES))
    assert result["111122223333"] is Status.ERROR


def test_errors_in_other_account_do_not_leak():
    account = Resource("account", "111122223333", ACCOUNT, "clinic", {})
    trail = Resource("audit.trail", "trail-1", EAST, "trail", {"logging": True})
    inventory = Inventory(resources=[account, trail], errors=[error(OTHER_ACCOUNT, "audit.trail")])
    result = statuses(evaluate(inventory, [account_trails], SEVERITIES))
    assert result["111122223333"] is Status.PASS


def test_unrelated_kind_error_does_not_affect_rule():
    inventory = Inventory(resources=[volume("good", encrypted=True)], errors=[error(EAST, "storage.bucket")])
    result = statuses(evaluate(inventory, [volume_encrypted], SEVERITIES))
    assert result == {volume("good").id: Status.PASS}


def test_crashing_rule_becomes_error():
    findings = evaluate(Inventory(resources=[volume("good", encrypted=True)]), [crashing_rule], SEVERITIES)
    assert [f.status for f in findings] == [Status.ERROR]
    assert "RuntimeError: boom" in findings[0].message


def test_crashing_rule_raises_in_strict_mode():
    with pytest.raises(RuleCrash):
        evaluate(Inventory(resources=[volume("good", encrypted=True)]), [crashing_rule], SEVERITIES, strict=True)


def test_rule_returning_non_outcome_is_error():
    @rule("ZT-TEST-001", "storage.volume", facts=("encrypted",))
    def returns_list(resource, index):
        return [passed("a"), passed("b")]

    findings = evaluate(Inventory(resources=[volume("good", encrypted=True)]), [returns_list], SEVERITIES)
    assert [f.status for f in findings] == [Status.ERROR]


def test_findings_carry_rule_severity():
    findings = evaluate(Inventory(resources=[volume("bad", encrypted=False)]), [volume_encrypted],
                        {"ZT-TEST-001": Severity.CRITICAL})
    assert findings[0].severity is Severity.CRITICAL


def test_derived_value_computed_once_per_resource():
    from ztscan.rules.base import InventoryIndex

    resource = volume("good", encrypted=True)
    index = InventoryIndex([resource])
    calls = []

    def compute(item):
        calls.append(item.id)
        return item.fact("encrypted")

    assert index.derived(resource, "encrypted", compute) is True
    assert index.derived(resource, "encrypted", compute) is True
    assert calls == [resource.id]


def test_derived_missing_fact_is_error_for_every_rule():
    from ztscan.rules.base import InventoryIndex

    def parsed(resource, index: InventoryIndex):
        return passed("ok") if index.derived(resource, "parsed", lambda r: r.fact("encrypted")) else failed("no")

    first = rule("ZT-TEST-001", "storage.volume", facts=("encrypted",))(parsed)
    second = rule("ZT-TEST-003", "storage.volume", facts=("encrypted",))(parsed)
    findings = evaluate(Inventory(resources=[volume("unknown")]), [first, second], SEVERITIES)
    assert [f.status for f in findings] == [Status.ERROR, Status.ERROR]
