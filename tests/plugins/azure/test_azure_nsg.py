"""NSG rule normalization: every field form the API allows, default rules, and paging of the NSG listing."""

from __future__ import annotations

import pytest

from tests.plugins.azure.azure_estate import security_rule
from tests.plugins.azure.conftest import run_scan

ASG = "/subscriptions/sub-a/resourceGroups/rg1/providers/Microsoft.Network/applicationSecurityGroups/web-asg"

FIELD_CASES = [
    pytest.param(security_rule("r", 100, port="22", source="Internet"), "ports", [[22, 22]],
                 id="singular-port"),
    pytest.param(security_rule("r", 100, ports=["22", "3389"], source="Internet"), "ports",
                 [[22, 22], [3389, 3389]], id="plural-ports"),
    pytest.param(security_rule("r", 100, port="*", source="Internet"), "ports", None, id="wildcard-port"),
    pytest.param(security_rule("r", 100, ports=["80", "*"], source="Internet"), "ports", None,
                 id="wildcard-among-plural-ports"),
    pytest.param(security_rule("r", 100, port="1000-2000", source="Internet"), "ports", [[1000, 2000]],
                 id="port-range"),
    pytest.param(security_rule("r", 100, ports=["443", "8000-8100"], source="Internet"), "ports",
                 [[443, 443], [8000, 8100]], id="plural-ports-with-range"),
    pytest.param(security_rule("r", 100, port="22", source="Internet"), "sources", ["Internet"],
                 id="internet-service-tag"),
    pytest.param(security_rule("r", 100, port="22", source="internet"), "sources", ["Internet"],
                 id="internet-tag-lowercase"),
    pytest.param(security_rule("r", 100, port="22", source="*"), "sources", ["*"], id="wildcard-source"),
    pytest.param(security_rule("r", 100, port="22", source="Any"), "sources", ["Any"], id="any-source"),
    pytest.param(security_rule("r", 100, port="22", sources=["10.0.0.0/8", "2001:db8::/32"]), "sources",
                 ["10.0.0.0/8", "2001:db8::/32"], id="plural-prefixes"),
    pytest.param(security_rule("r", 100, port="22", source=None, source_groups=[ASG]), "source_refs", [ASG],
                 id="application-security-group-source"),
    pytest.param(security_rule("r", 100, port="22", source=None, source_groups=[ASG]), "sources", [],
                 id="application-security-group-has-no-prefix"),
    pytest.param(security_rule("r", 100, protocol="*", port="*", source="*"), "protocol", "all",
                 id="protocol-wildcard"),
    pytest.param(security_rule("r", 100, protocol="Udp", port="53", source="*"), "protocol", "udp",
                 id="protocol-udp"),
    pytest.param(security_rule("r", 100, protocol="Esp", port="*", source="*"), "protocol", "50",
                 id="protocol-esp-as-number"),
    pytest.param(security_rule("r", 100, access="Deny", port="22", source="*"), "action", "deny",
                 id="deny-action"),
    pytest.param(security_rule("r", 4096, port="22", source="*"), "priority", 4096, id="priority-kept"),
    pytest.param(security_rule("r", 100, port="22", source="*"), "targets", None, id="any-destination-no-targets"),
    pytest.param(security_rule("r", 100, port="22", source="*", destination="10.0.1.4"), "targets", ["10.0.1.4"],
                 id="single-destination-is-target"),
    pytest.param(security_rule("r", 100, direction="Outbound", port="443", source="*", destination="Internet"),
                 "sources", ["Internet"], id="outbound-peer-is-destination"),
    pytest.param(security_rule("r", 100, direction="Outbound", port="443", source="*", destination="Internet"),
                 "direction", "egress", id="outbound-direction"),
]


@pytest.mark.parametrize(("rule", "field", "expected"), FIELD_CASES)
def test_normalize_rule_field(rule, field, expected):
    from ztscan_azure.nsg import normalize_rule

    assert normalize_rule(rule, builtin=False)[field] == expected


def test_normalize_rule_has_every_field():
    from ztscan.kinds import FIREWALL_RULE_FIELDS
    from ztscan_azure.nsg import normalize_rule

    normalized = normalize_rule(security_rule("r", 100, port="22", source="*"), builtin=False)
    assert set(normalized) == set(FIREWALL_RULE_FIELDS)


@pytest.mark.parametrize("value", ["70000", "30-20", "ssh"])
def test_parse_port_invalid(value):
    from ztscan_azure.nsg import parse_port

    with pytest.raises(ValueError):
        parse_port(value)


def test_collect_default_rules_builtin(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("empty-nsg")
    inventory = run_scan(fake)
    [group] = [resource for resource in inventory.resources if resource.kind == "network.firewall"]
    rules = group.fact("rules")
    names = {rule["name"] for rule in rules}
    assert {"AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound"} <= names
    assert all(rule["builtin"] for rule in rules)
    assert all(rule["enabled"] for rule in rules)
    deny_all = next(rule for rule in rules if rule["name"] == "DenyAllInBound")
    assert deny_all["priority"] == 65500


def test_collect_nsg_next_link_paging(fake, estate):
    sub = estate.subscription("sub-a")
    sub.nsg("quiet-nsg")
    sub.nsg("exposed-nsg", [security_rule("rdp-anywhere", 300, port="3389", source="Internet")])
    fake.set_page_size("/subscriptions/sub-a/providers/Microsoft.Network/networkSecurityGroups", 1)
    inventory = run_scan(fake)
    groups = {resource.name: resource for resource in inventory.resources if resource.kind == "network.firewall"}
    assert set(groups) == {"quiet-nsg", "exposed-nsg"}
    exposed = [rule for rule in groups["exposed-nsg"].fact("rules") if rule["name"] == "rdp-anywhere"]
    assert exposed[0]["ports"] == [[3389, 3389]]
    pages = fake.requests_to(r"/providers/Microsoft\.Network/networkSecurityGroups$")
    assert [request.param("$skiptoken") for request in pages] == [None, "1"]
    assert pages[1].param("api-version")
    assert inventory.errors == []


def test_collect_nsg_attachments(fake, estate):
    sub = estate.subscription("sub-a")
    group = sub.nsg("web-nsg")
    vnet = sub.vnet("vnet1", subnets=[("web", "10.0.1.0/24", group)])
    nic = sub.nic("nic1", f"{vnet}/subnets/web", nsg=group)
    inventory = run_scan(fake)
    [firewall] = [resource for resource in inventory.resources if resource.kind == "network.firewall"]
    assert firewall.fact("attached_to") == [f"{vnet}/subnets/web", nic]
    assert firewall.fact("network_id") == vnet
    assert firewall.scope.region == "eastus"
