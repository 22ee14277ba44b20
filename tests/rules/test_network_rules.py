"""Network rules other than the exposure forms: default groups, flow logs, HTTP listeners, public databases."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import CollectionError, Inventory, Resource, Scope, Severity, Status
from ztscan.rules.network import (
    databases_not_public,
    default_group_restricts_all,
    network_flow_logs,
    no_internet_admin_ports,
    no_plain_http_listeners,
    subnet_flow_logs,
)

SCOPE = Scope("test", "acct", "region-1")


def resource(kind, **facts):
    return Resource(kind, f"{kind}-1", SCOPE, name="res-1", facts=facts)


def fw(name, direction="ingress", action="allow", builtin=False, enabled=True):
    return {
        "name": name, "direction": direction, "action": action, "protocol": "all", "ports": None,
        "sources": ["0.0.0.0/0"], "source_refs": [], "priority": None, "enabled": enabled,
        "builtin": builtin, "targets": None,
    }


DEFAULT_GROUP_CASES = [
    pytest.param(True, [], Status.PASS, id="empty-default-group"),
    pytest.param(True, [fw("in", "ingress")], Status.FAIL, id="default-group-ingress"),
    pytest.param(True, [fw("out", "egress")], Status.FAIL, id="default-group-egress"),
    pytest.param(True, [fw("off", enabled=False)], Status.PASS, id="default-group-disabled-rule"),
    pytest.param(True, [fw("deny", action="deny")], Status.PASS, id="default-group-deny-only"),
    pytest.param(True, [fw("implied-allow-egress", "egress", builtin=True)], Status.PASS,
                 id="default-group-builtin-allow"),
    pytest.param(False, [fw("in", "ingress")], Status.NOT_APPLICABLE, id="not-default-group"),
]


@pytest.mark.parametrize(("is_default", "rules", "expected"), DEFAULT_GROUP_CASES)
def test_default_group(is_default, rules, expected):
    outcome = default_group_restricts_all.check(
        resource("network.firewall", is_default_group=is_default, rules=rules), None)
    assert outcome.status is expected


def test_default_group_message_lists_rules():
    outcome = default_group_restricts_all.check(
        resource("network.firewall", is_default_group=True, rules=[fw("in"), fw("out", "egress")]), None)
    assert outcome.message == "default group allows traffic: ingress 'in', egress 'out'"


def test_default_group_missing_builtin_raises():
    rule = fw("in")
    del rule["builtin"]
    with pytest.raises(ValueError, match="builtin"):
        default_group_restricts_all.check(resource("network.firewall", is_default_group=True, rules=[rule]), None)


@pytest.mark.parametrize(("enabled", "expected"), [
    pytest.param(True, Status.PASS, id="on"),
    pytest.param(False, Status.FAIL, id="off"),
])
def test_network_flow_logs(enabled, expected):
    outcome = network_flow_logs.check(resource("network", flow_logs_enabled=enabled), None)
    assert outcome.status is expected


@pytest.mark.parametrize(("enabled", "expected"), [
    pytest.param(True, Status.PASS, id="on"),
    pytest.param(False, Status.FAIL, id="off"),
    pytest.param(None, Status.NOT_APPLICABLE, id="no-subnet-setting"),
])
def test_subnet_flow_logs(enabled, expected):
    outcome = subnet_flow_logs.check(resource("network.subnet", flow_logs_enabled=enabled), None)
    assert outcome.status is expected


def listener(port, protocol, redirects=False):
    return {"port": port, "protocol": protocol, "redirects_to_https": redirects}


LISTENER_CASES = [
    pytest.param([listener(443, "HTTPS")], Status.PASS, id="https-only"),
    pytest.param([listener(80, "HTTP", redirects=True), listener(443, "HTTPS")], Status.PASS, id="http-redirect"),
    pytest.param([listener(80, "HTTP")], Status.FAIL, id="plain-http"),
    pytest.param([listener(80, "http")], Status.FAIL, id="plain-http-lowercase"),
    pytest.param([listener(443, "TLS"), listener(22, "TCP")], Status.PASS, id="tls-and-tcp"),
    pytest.param([], Status.PASS, id="no-listeners"),
]


@pytest.mark.parametrize(("listeners", "expected"), LISTENER_CASES)
def test_plain_http_listeners(listeners, expected):
    outcome = no_plain_http_listeners.check(
        resource("network.load_balancer", listeners=listeners, scheme="internet-facing"), None)
    assert outcome.status is expected


def test_plain_http_message_names_ports():
    outcome = no_plain_http_listeners.check(
        resource("network.load_balancer", listeners=[listener(80, "HTTP"), listener(8080, "HTTP")],
                 scheme="internal"), None)
    assert outcome.message == "internal load balancer serves plain HTTP without a redirect to HTTPS on ports 80, 8080"


@pytest.mark.parametrize(("public", "expected"), [
    pytest.param(True, Status.FAIL, id="public"),
    pytest.param(False, Status.PASS, id="private"),
])
def test_databases_not_public(public, expected):
    outcome = databases_not_public.check(resource("database", publicly_accessible=public), None)
    assert outcome.status is expected


SEVERITIES = {"ZT-NET-001": Severity.CRITICAL, "ZT-NET-003": Severity.MEDIUM}


def test_missing_rules_fact_is_error():
    inventory = Inventory(resources=[resource("network.firewall", is_default_group=False)])
    inventory.errors.append(CollectionError(SCOPE, "ec2", "DescribeSecurityGroupRules", "AccessDenied",
                                            "denied", "network.firewall", facts=("rules",)))
    [finding] = evaluate(inventory, [no_internet_admin_ports], SEVERITIES)
    assert finding.status is Status.ERROR
    assert "AccessDenied" in finding.message


def test_malformed_rule_is_error():
    broken = fw("in")
    del broken["enabled"]
    inventory = Inventory(resources=[resource("network.firewall", rules=[broken])])
    [finding] = evaluate(inventory, [no_internet_admin_ports], SEVERITIES)
    assert finding.status is Status.ERROR
    assert "field 'enabled' is missing" in finding.message


def test_not_default_group_skips_rules_fact():
    inventory = Inventory(resources=[resource("network.firewall", is_default_group=False)])
    [finding] = evaluate(inventory, [default_group_restricts_all], SEVERITIES)
    assert finding.status is Status.NOT_APPLICABLE
