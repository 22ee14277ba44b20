"""Firewall rule normalization, unit cases and over the real compute client."""

from __future__ import annotations

import pytest

from ztscan.kinds import FIREWALL_RULE_FIELDS

from ztscan_gcp.network import implied_rules, normalize_firewall

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import by_kind, collect

P = "clinic-prod"


@pytest.mark.parametrize(
    "fields, expected",
    [
        pytest.param({"allowed": [{"IPProtocol": "tcp", "ports": ["22", "1000-2000"]}]},
                     {"protocol": "tcp", "ports": [[22, 22], [1000, 2000]]}, id="ports-list-and-range"),
        pytest.param({"allowed": [{"IPProtocol": "all"}]}, {"protocol": "all", "ports": None}, id="protocol-all"),
        pytest.param({"allowed": [{"IPProtocol": "udp"}]}, {"protocol": "udp", "ports": None}, id="udp-no-ports"),
        pytest.param({"allowed": [{"IPProtocol": "icmp"}]}, {"protocol": "icmp", "ports": None}, id="icmp"),
        pytest.param({"allowed": [{"IPProtocol": "6", "ports": ["3389"]}]},
                     {"protocol": "tcp", "ports": [[3389, 3389]]}, id="protocol-number"),
        pytest.param({"allowed": [{"IPProtocol": "58"}]}, {"protocol": "icmpv6", "ports": None}, id="icmpv6-number"),
        pytest.param({"allowed": [{"IPProtocol": "esp"}]}, {"protocol": "esp", "ports": None}, id="esp"),
        pytest.param({"denied": [{"IPProtocol": "tcp", "ports": ["22"]}]},
                     {"action": "deny", "ports": [[22, 22]]}, id="deny"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}], "disabled": True}, {"enabled": False}, id="disabled"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}], "priority": 100}, {"priority": 100}, id="priority"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}], "sourceRanges": ["::/0", "0.0.0.0/0"]},
                     {"sources": ["::/0", "0.0.0.0/0"]}, id="ipv6-source"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}]}, {"sources": ["0.0.0.0/0"]}, id="no-source-means-any"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}], "sourceTags": ["bastion"]},
                     {"sources": [], "source_refs": ["tag:bastion"]}, id="source-tags"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}], "sourceServiceAccounts": ["lb@p.iam.gserviceaccount.com"]},
                     {"sources": [], "source_refs": ["serviceAccount:lb@p.iam.gserviceaccount.com"]},
                     id="source-service-accounts"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}], "targetTags": ["web"],
                      "targetServiceAccounts": ["web@p.iam.gserviceaccount.com"]},
                     {"targets": ["tag:web", "serviceAccount:web@p.iam.gserviceaccount.com"]}, id="targets"),
        pytest.param({"allowed": [{"IPProtocol": "tcp"}]}, {"targets": None, "builtin": False}, id="no-targets"),
        pytest.param({"direction": "EGRESS", "denied": [{"IPProtocol": "all"}], "destinationRanges": ["10.0.0.0/8"]},
                     {"direction": "egress", "sources": ["10.0.0.0/8"], "source_refs": []}, id="egress"),
    ],
)
def test_normalize_firewall_forms(fields, expected):
    rules = normalize_firewall(b.firewall(P, "rule", **fields))
    assert len(rules) == 1
    for name, value in expected.items():
        assert rules[0][name] == value, name


def test_normalize_firewall_one_rule_per_protocol():
    rules = normalize_firewall(b.firewall(P, "mixed", allowed=[
        {"IPProtocol": "tcp", "ports": ["80", "443"]}, {"IPProtocol": "udp", "ports": ["53"]}]))
    assert [rule["protocol"] for rule in rules] == ["tcp", "udp"]
    assert rules[1]["ports"] == [[53, 53]]


def test_normalize_firewall_has_every_field():
    for rule in normalize_firewall(b.firewall(P, "rule", allowed=[{"IPProtocol": "tcp"}])) + implied_rules():
        assert set(rule) == set(FIREWALL_RULE_FIELDS)


def test_implied_rules_shape():
    deny, allow = implied_rules()
    assert (deny["direction"], deny["action"], deny["priority"]) == ("ingress", "deny", 65535)
    assert (allow["direction"], allow["action"], allow["priority"]) == ("egress", "allow", 65535)
    assert deny["builtin"] and allow["builtin"]


def _paged_layout() -> b.ProjectLayout:
    firewalls = [b.firewall(P, f"internal-{i}", allowed=[{"IPProtocol": "all"}], sourceRanges=["10.0.0.0/8"])
                 for i in range(3)]
    firewalls.append(b.firewall(P, "ssh-anywhere", allowed=[{"IPProtocol": "tcp", "ports": ["22"]}],
                                sourceRanges=["0.0.0.0/0"]))
    firewalls.append(b.firewall(P, "other-net", network_name="data", allowed=[{"IPProtocol": "tcp"}]))
    return b.ProjectLayout(P, networks=[b.network(P), b.network(P, "data", auto=False)],
                           firewalls=firewalls, firewall_page_size=3)


def test_firewall_page_two_is_collected(server):
    _paged_layout().install(server)
    firewalls = by_kind(collect(server), "network.firewall")
    names = [rule["name"] for rule in firewalls["default"].facts["rules"]]
    assert "ssh-anywhere" in names
    assert len(server.requests_to("/global/firewalls")) == 2


def test_firewall_rules_grouped_by_network(server):
    _paged_layout().install(server)
    firewalls = by_kind(collect(server), "network.firewall")
    data_rules = [rule["name"] for rule in firewalls["data"].facts["rules"] if not rule["builtin"]]
    assert data_rules == ["other-net"]
    assert firewalls["default"].facts["is_default_group"] is True
    assert firewalls["data"].facts["is_default_group"] is False
    assert firewalls["data"].id.endswith("/global/networks/data/firewalls")
