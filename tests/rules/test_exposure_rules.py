"""Internet exposure of firewalls: security group, NSG and GCP firewall forms."""

from __future__ import annotations

import pytest

from ztscan.model import Resource, Scope, Status
from ztscan.rules.exposure import IPV4, IPV6, internet_exposures, parse_rule
from ztscan.rules.network import ADMIN_PORTS, DATABASE_PORTS, no_internet_admin_ports, no_internet_database_ports

SCOPE = Scope("test", "acct", "region-1")


def fw(name="r", direction="ingress", action="allow", protocol="tcp", ports=((22, 22),),
       sources=("0.0.0.0/0",), source_refs=(), priority=None, enabled=True, builtin=False, targets=None):
    return {
        "name": name, "direction": direction, "action": action, "protocol": protocol,
        "ports": [list(pair) for pair in ports] if ports is not None else None,
        "sources": list(sources), "source_refs": list(source_refs), "priority": priority,
        "enabled": enabled, "builtin": builtin, "targets": list(targets) if targets is not None else None,
    }


def firewall(*rules):
    return Resource("network.firewall", "fw-1", SCOPE, name="fw-1", facts={"rules": list(rules)})


#: The default inbound rules of every Azure network security group.
AZURE_DEFAULTS = (
    fw("AllowVnetInBound", protocol="all", ports=None, sources=("VirtualNetwork",), priority=65000, builtin=True),
    fw("AllowAzureLoadBalancerInBound", protocol="all", ports=None, sources=("AzureLoadBalancer",),
       priority=65001, builtin=True),
    fw("DenyAllInBound", action="deny", protocol="all", ports=None, sources=("*",), priority=65500, builtin=True),
)

#: The implied rules of every GCP VPC network.
GCP_IMPLIED = (
    fw("implied-deny-ingress", action="deny", protocol="all", ports=None, sources=("0.0.0.0/0", "::/0"),
       priority=65535, builtin=True),
    fw("implied-allow-egress", direction="egress", protocol="all", ports=None, sources=("0.0.0.0/0",),
       priority=65535, builtin=True),
)

ADMIN_CASES = [
    # AWS security groups: no priorities, no deny rules.
    pytest.param([fw("ssh-anywhere", sources=("::/0",))], Status.FAIL, id="sg-tcp22-only-ipv6-any"),
    pytest.param([fw("ssh", sources=("0.0.0.0/0",))], Status.FAIL, id="sg-tcp22-ipv4-any"),
    pytest.param([fw("all", protocol="all", ports=None)], Status.FAIL, id="sg-protocol-all"),
    pytest.param([fw("all-num", protocol="-1", ports=None)], Status.FAIL, id="sg-protocol-minus-one"),
    pytest.param([fw("full-range", ports=((0, 65535),))], Status.FAIL, id="sg-tcp-0-65535"),
    pytest.param([fw("range", ports=((20, 25),))], Status.FAIL, id="sg-range-covers-22"),
    pytest.param([fw("range", ports=((23, 3388),))], Status.PASS, id="sg-range-between-admin-ports"),
    pytest.param([fw("rdp", ports=((3389, 3389),))], Status.FAIL, id="sg-rdp"),
    pytest.param([fw("tcp-number", protocol="6")], Status.FAIL, id="sg-protocol-number-6"),
    pytest.param([fw("private", sources=("10.0.0.0/8",))], Status.PASS, id="sg-private-source"),
    pytest.param([fw("half", sources=("0.0.0.0/1",))], Status.PASS, id="sg-half-internet-not-counted"),
    pytest.param([fw("group-ref", sources=(), source_refs=("sg-123",))], Status.PASS, id="sg-source-ref-only"),
    pytest.param([fw("https", ports=((443, 443),))], Status.PASS, id="sg-https-only"),
    pytest.param([fw("udp22", protocol="udp")], Status.PASS, id="sg-udp-22"),
    pytest.param([fw("ping", protocol="icmp", ports=None)], Status.PASS, id="sg-icmp-only"),
    pytest.param([fw("out", direction="egress")], Status.PASS, id="sg-egress-rule"),
    pytest.param([], Status.PASS, id="sg-no-rules"),
    # Azure network security groups.
    pytest.param(list(AZURE_DEFAULTS), Status.PASS, id="nsg-defaults-only"),
    pytest.param([fw("ssh", sources=("Internet",), priority=100), *AZURE_DEFAULTS], Status.FAIL,
                 id="nsg-service-tag-internet"),
    pytest.param([fw("ssh", sources=("internet",), priority=100)], Status.FAIL, id="nsg-tag-lowercase"),
    pytest.param([fw("ssh", sources=("*",), priority=100), *AZURE_DEFAULTS], Status.FAIL, id="nsg-source-star"),
    pytest.param([fw("ssh", sources=("Any",), priority=100)], Status.FAIL, id="nsg-source-any"),
    pytest.param([fw("all", protocol="all", ports=None, sources=("*",), priority=100), *AZURE_DEFAULTS],
                 Status.FAIL, id="nsg-wildcard-port"),
    pytest.param([fw("ranges", ports=((1, 21), (22, 22)), sources=("Internet",), priority=100)], Status.FAIL,
                 id="nsg-port-ranges-normalized"),
    pytest.param([fw("vnet", sources=("VirtualNetwork",), priority=100), *AZURE_DEFAULTS], Status.PASS,
                 id="nsg-virtual-network-tag"),
    pytest.param([fw("deny", action="deny", protocol="all", ports=None, sources=("*",), priority=100),
                  fw("ssh", sources=("Internet",), priority=200), *AZURE_DEFAULTS], Status.PASS,
                 id="nsg-deny-shadows-allow"),
    pytest.param([fw("deny", action="deny", sources=("Internet",), priority=100),
                  fw("ssh", sources=("*",), priority=200)], Status.PASS, id="nsg-deny-internet-shadows-star"),
    pytest.param([fw("deny", action="deny", sources=("10.0.0.0/8",), priority=100),
                  fw("ssh", sources=("*",), priority=200), *AZURE_DEFAULTS], Status.FAIL,
                 id="nsg-narrower-deny-does-not-shadow"),
    pytest.param([fw("deny", action="deny", sources=("*",), priority=300),
                  fw("ssh", sources=("Internet",), priority=200)], Status.FAIL, id="nsg-deny-after-allow"),
    pytest.param([fw("deny", action="deny", sources=("0.0.0.0/0",), priority=100),
                  fw("ssh", sources=("Internet",), priority=200)], Status.FAIL,
                 id="nsg-ipv4-deny-leaves-ipv6"),
    pytest.param([fw("deny", action="deny", sources=("0.0.0.0/0",), priority=100),
                  fw("ssh", sources=("0.0.0.0/0",), priority=200)], Status.PASS, id="nsg-ipv4-deny-ipv4-allow"),
    pytest.param([fw("deny3389", action="deny", ports=((3389, 3389),), sources=("*",), priority=100),
                  fw("ssh", sources=("Internet",), priority=200)], Status.FAIL, id="nsg-deny-other-port"),
    # GCP firewall rules.
    pytest.param([fw("allow-ssh", priority=1000), *GCP_IMPLIED], Status.FAIL, id="gcp-allow-over-implied-deny"),
    pytest.param(list(GCP_IMPLIED), Status.PASS, id="gcp-implied-rules-only"),
    pytest.param([fw("allow-ssh", priority=1000, enabled=False), *GCP_IMPLIED], Status.PASS,
                 id="gcp-disabled-allow"),
    pytest.param([fw("deny-ssh", action="deny", priority=1000, enabled=False),
                  fw("allow-ssh", priority=1000)], Status.FAIL, id="gcp-disabled-deny"),
    pytest.param([fw("deny-ssh", action="deny", sources=("0.0.0.0/0", "::/0"), priority=900),
                  fw("allow-ssh", sources=("0.0.0.0/0", "::/0"), priority=1000)], Status.PASS,
                 id="gcp-deny-shadows-allow"),
    pytest.param([fw("allow-ssh", priority=1000), fw("deny-ssh", action="deny", priority=1000)], Status.PASS,
                 id="gcp-same-priority-deny-wins"),
    pytest.param([fw("deny-all", action="deny", protocol="all", ports=None, priority=500),
                  fw("allow-ssh", priority=1000)], Status.PASS, id="gcp-protocol-all-deny"),
    pytest.param([fw("deny-udp", action="deny", protocol="udp", priority=500),
                  fw("allow-ssh", priority=1000)], Status.FAIL, id="gcp-udp-deny-keeps-tcp"),
    pytest.param([fw("deny-web", action="deny", priority=900, targets=("web",)),
                  fw("allow-ssh", priority=1000)], Status.FAIL, id="gcp-targeted-deny-untargeted-allow"),
    pytest.param([fw("deny-web", action="deny", priority=900, targets=("web",)),
                  fw("allow-ssh", priority=1000, targets=("web",))], Status.PASS, id="gcp-targeted-deny-same-tag"),
    pytest.param([fw("deny-web", action="deny", priority=900, targets=("web",)),
                  fw("allow-ssh", priority=1000, targets=("web", "db"))], Status.FAIL,
                 id="gcp-targeted-deny-partial-cover"),
    pytest.param([fw("deny-web", action="deny", priority=900, targets=("web",)),
                  fw("deny-db", action="deny", priority=950, targets=("db",)),
                  fw("allow-ssh", priority=1000, targets=("web", "db"))], Status.PASS,
                 id="gcp-targeted-denies-together-cover"),
    pytest.param([fw("deny-all-members", action="deny", priority=900),
                  fw("allow-ssh", priority=1000, targets=("web",))], Status.PASS,
                 id="gcp-untargeted-deny-targeted-allow"),
    pytest.param([fw("allow-ssh-web", priority=1000, targets=("web",)), *GCP_IMPLIED], Status.FAIL,
                 id="gcp-targeted-allow-exposes"),
    pytest.param([fw("allow-v6", sources=("::/0",), priority=1000)], Status.FAIL, id="gcp-ipv6-source"),
    pytest.param([fw("icmp", protocol="icmp", ports=None, priority=1000)], Status.PASS, id="gcp-icmp-no-ports"),
    pytest.param([fw("all", protocol="all", ports=None, priority=1000)], Status.FAIL, id="gcp-all-no-ports"),
]


@pytest.mark.parametrize(("rules", "expected"), ADMIN_CASES)
def test_admin_ports_forms(rules, expected):
    outcome = no_internet_admin_ports.check(firewall(*rules), None)
    assert outcome.status is expected, outcome.message


DATABASE_CASES = [
    pytest.param([fw("all", protocol="all", ports=None)], Status.FAIL, id="protocol-all"),
    pytest.param([fw("full", ports=((0, 65535),))], Status.FAIL, id="tcp-0-65535"),
    pytest.param([fw("mysql", ports=((3306, 3306),))], Status.FAIL, id="mysql"),
    pytest.param([fw("postgres", ports=((5432, 5432),), sources=("::/0",))], Status.FAIL, id="postgres-ipv6"),
    pytest.param([fw("mongo", ports=((27017, 27017),), sources=("Internet",), priority=100)], Status.FAIL,
                 id="mongodb-service-tag"),
    pytest.param([fw("browser", protocol="udp", ports=((1434, 1434),))], Status.FAIL, id="sql-browser-udp"),
    pytest.param([fw("ssh", ports=((22, 22),))], Status.PASS, id="ssh-is-not-database"),
    pytest.param([fw("redis-private", ports=((6379, 6379),), sources=("10.0.0.0/8",))], Status.PASS,
                 id="redis-private"),
]


@pytest.mark.parametrize(("rules", "expected"), DATABASE_CASES)
def test_database_ports_forms(rules, expected):
    outcome = no_internet_database_ports.check(firewall(*rules), None)
    assert outcome.status is expected, outcome.message


@pytest.mark.parametrize("port", [port for _, port in DATABASE_PORTS if port in (1433, 1521, 3306, 5432, 6379, 27017)])
def test_required_database_ports_checked(port):
    assert ("tcp", port) in DATABASE_PORTS


def test_admin_ports_listed():
    assert set(ADMIN_PORTS) == {("tcp", 22), ("tcp", 3389)}


def test_message_names_rule_and_source():
    outcome = no_internet_admin_ports.check(firewall(fw("ssh-anywhere", sources=("::/0",))), None)
    assert "tcp 22 from ::/0 (rule 'ssh-anywhere')" in outcome.message


def test_message_names_targets():
    outcome = no_internet_admin_ports.check(firewall(fw("allow-ssh-web", priority=1000, targets=("web",))), None)
    assert "to targets web" in outcome.message


def test_evidence_lists_exposures():
    outcome = no_internet_admin_ports.check(firewall(fw("ssh-anywhere", sources=("::/0",))), None)
    assert outcome.evidence["exposures"] == [{
        "protocol": "tcp", "port": 22, "family": IPV6, "rule": "ssh-anywhere",
        "sources": ["::/0"], "targets": None,
    }]


def test_database_message_groups_ports():
    outcome = no_internet_database_ports.check(firewall(fw("all", protocol="all", ports=None)), None)
    assert "tcp 1433, 1521, 2483" in outcome.message


def test_message_marks_partial_family():
    rules = [fw("deny", action="deny", sources=("0.0.0.0/0",), priority=100),
             fw("ssh", sources=("Internet",), priority=200)]
    outcome = no_internet_admin_ports.check(firewall(*rules), None)
    assert "tcp 22 from Internet (IPv6 only) (rule 'ssh')" in outcome.message


def test_exposure_families_for_tag():
    exposures = internet_exposures([fw("ssh", sources=("Internet",), priority=100)], [("tcp", 22)])
    assert {exposure.family for exposure in exposures} == {IPV4, IPV6}


def test_exposure_ipv4_deny_leaves_ipv6_family():
    rules = [fw("deny", action="deny", sources=("0.0.0.0/0",), priority=100),
             fw("ssh", sources=("Internet",), priority=200)]
    exposures = internet_exposures(rules, [("tcp", 22)])
    assert [exposure.family for exposure in exposures] == [IPV6]


def test_pass_lists_ports_checked():
    outcome = no_internet_admin_ports.check(firewall(), None)
    assert outcome.evidence["ports_checked"] == ["tcp 22", "tcp 3389"]


@pytest.mark.parametrize(("raw", "problem"), [
    pytest.param({k: v for k, v in fw().items() if k != "priority"}, "field 'priority' is missing",
                 id="missing-priority"),
    pytest.param({**fw(), "ports": ["22"]}, "invalid port entry", id="string-port"),
    pytest.param(fw(ports=((1, 2, 3),)), "invalid port entry", id="triple-port"),
    pytest.param(fw(priority="100"), "invalid priority", id="string-priority"),
])
def test_parse_rule_rejects(raw, problem):
    with pytest.raises(ValueError, match=problem):
        parse_rule(raw)


def test_parse_rule_accepts_single_port_int():
    raw = fw()
    raw["ports"] = [22]
    parsed = parse_rule(raw)
    assert parsed.ports == ((22, 22),)
