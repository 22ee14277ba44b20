"""Load balancer collection: network placement, security groups, listeners and tags."""

from __future__ import annotations

import pytest

from ztscan_aws.elbv2 import collect_load_balancers

from .hooks import CallRecorder, by_name, collect_with, inject


def _subnets(session) -> tuple[str, list[str]]:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for cidr, zone in (("10.70.1.0/24", "us-east-1a"), ("10.70.2.0/24", "us-east-1b"))]
    return vpc, subnets


def test_balancer_network_and_groups(session):
    vpc, subnets = _subnets(session)
    group = session.client("ec2").create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    elbv2 = session.client("elbv2")
    elbv2.create_load_balancer(Name="portal", Subnets=subnets, SecurityGroups=[group], Scheme="internet-facing",
                               Tags=[{"Key": "ephi", "Value": "true"}])

    inventory = collect_with(session, collect_load_balancers)
    balancer = by_name(inventory, "network.load_balancer")["portal"]

    assert balancer.facts["network_id"] == f"arn:aws:ec2:us-east-1:123456789012:vpc/{vpc}"
    assert balancer.facts["firewall_ids"] == [f"arn:aws:ec2:us-east-1:123456789012:security-group/{group}"]
    assert balancer.facts["listeners"] == []
    assert balancer.tags == {"ephi": "true"}
    assert inventory.errors == []


def test_tags_one_listing(session):
    _, subnets = _subnets(session)
    elbv2 = session.client("elbv2")
    count = 23
    for index in range(count):
        elbv2.create_load_balancer(Name=f"lb-{index:02d}", Subnets=subnets,
                                   Tags=[{"Key": "index", "Value": str(index)}])
    recorder = CallRecorder(session)

    balancers = by_name(collect_with(session, collect_load_balancers), "network.load_balancer")

    assert recorder.count("resourcegroupstaggingapi", "GetResources") == 1
    assert recorder.count("elbv2", "DescribeTags") == 0
    assert len(balancers) == count
    assert all(balancer.tags == {"index": str(int(name[3:]))} for name, balancer in balancers.items())


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_tags_failure_keeps_facts(session, code):
    _, subnets = _subnets(session)
    session.client("elbv2").create_load_balancer(Name="portal", Subnets=subnets, Tags=[{"Key": "a", "Value": "b"}])
    inject(session, "resource-groups-tagging-api", "GetResources", code=code, status=400)

    inventory = collect_with(session, collect_load_balancers, max_attempts=1)
    balancer = by_name(inventory, "network.load_balancer")["portal"]

    assert balancer.tags == {}
    assert balancer.facts["listeners"] == []
    assert [(e.code, e.facts, e.resource_id) for e in inventory.errors] == [(code, ("tags",), None)]
