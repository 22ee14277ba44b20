"""Security group normalization and collection."""

from __future__ import annotations

import pytest

from ztscan.kinds import FIREWALL_RULE_FIELDS
from ztscan_aws.firewall import collect_security_groups, normalize_permission

from .hooks import by_name, collect_with


@pytest.mark.parametrize(
    ("permission", "protocol", "ports", "sources"),
    [
        pytest.param({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
                     "tcp", [[22, 22]], ["::/0"], id="tcp22-ipv6-only"),
        pytest.param({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                     "all", None, ["0.0.0.0/0"], id="all-protocols"),
        pytest.param({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                     "tcp", [[0, 65535]], ["0.0.0.0/0"], id="tcp-every-port"),
        pytest.param({"IpProtocol": "17", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
                     "udp", [[53, 53]], ["10.0.0.0/8"], id="udp-by-number"),
        pytest.param({"IpProtocol": "icmp", "FromPort": 8, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                     "icmp", None, ["0.0.0.0/0"], id="icmp-no-ports"),
    ],
)
def test_normalize_cidr_rule(permission, protocol, ports, sources):
    rules = normalize_permission(permission, "ingress", "sg-1")
    assert len(rules) == 1
    rule = rules[0]
    assert set(rule) == set(FIREWALL_RULE_FIELDS)
    assert rule["protocol"] == protocol
    assert rule["ports"] == ports
    assert rule["sources"] == sources
    assert rule["source_refs"] == []
    assert rule["direction"] == "ingress"


def test_normalize_references_separate():
    permission = {
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
        "PrefixListIds": [{"PrefixListId": "pl-123"}],
        "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "111122223333"}],
    }
    cidr_rule, ref_rule = normalize_permission(permission, "ingress", "sg-1")
    assert cidr_rule["sources"] == ["0.0.0.0/0"]
    assert ref_rule["sources"] == []
    assert ref_rule["source_refs"] == ["pl-123", "111122223333/sg-2"]


def test_collect_ipv6_ssh_group(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="ssh-v6", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])

    inventory = collect_with(session, collect_security_groups)

    firewall = by_name(inventory, "network.firewall")["ssh-v6"]
    ingress = [r for r in firewall.facts["rules"] if r["direction"] == "ingress"]
    assert ingress == [{
        "direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[22, 22]],
        "sources": ["::/0"], "source_refs": [], "priority": None, "enabled": True, "builtin": False,
        "targets": None, "name": f"{group} ingress tcp cidr",
    }]
    assert firewall.facts["is_default_group"] is False
    assert firewall.facts["network_id"].endswith(f":vpc/{vpc}")
    assert inventory.errors == []


def test_collect_default_group_flagged(session):
    inventory = collect_with(session, collect_security_groups)
    defaults = [r for r in inventory.resources if r.kind == "network.firewall" and r.name == "default"]
    assert defaults
    assert all(r.facts["is_default_group"] for r in defaults)


def test_collect_group_tags(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="tagged", Description="tagged", VpcId=vpc)["GroupId"]
    ec2.create_tags(Resources=[group], Tags=[{"Key": "ephi", "Value": "true"}])

    firewall = by_name(collect_with(session, collect_security_groups), "network.firewall")["tagged"]

    assert firewall.tags == {"ephi": "true"}
