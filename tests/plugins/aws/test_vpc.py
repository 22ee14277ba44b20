"""VPC structure: subnets, internet routes, subnet flow logs and gateways, and the internet paths they open."""

from __future__ import annotations

import pytest

from ztscan.netmap import exposures
from ztscan_aws.vpc import collect_gateways, collect_subnets, internet_routed_tables

from .hooks import by_name, collect_with, inject, scan

IGW_ROUTE = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}
LOCAL_ROUTE = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}


def _table(routes: list[dict], subnet: str | None = None, main: bool = False) -> dict:
    association = {"Main": main, "AssociationState": {"State": "associated"}}
    if subnet:
        association["SubnetId"] = subnet
    return {"VpcId": "vpc-1", "Routes": routes, "Associations": [association]}


@pytest.mark.parametrize(
    ("tables", "subnet_public", "main_public"),
    [
        pytest.param([_table([LOCAL_ROUTE, IGW_ROUTE], subnet="subnet-1")], True, None, id="explicit-igw"),
        pytest.param([_table([LOCAL_ROUTE], subnet="subnet-1")], False, None, id="explicit-local-only"),
        pytest.param([_table([LOCAL_ROUTE, {**IGW_ROUTE, "State": "blackhole"}], subnet="subnet-1")],
                     False, None, id="blackhole-igw"),
        pytest.param([_table([LOCAL_ROUTE, {**IGW_ROUTE, "GatewayId": "nat-1"}], subnet="subnet-1")],
                     False, None, id="nat-route"),
        pytest.param([_table([LOCAL_ROUTE, IGW_ROUTE], main=True)], None, True, id="main-igw"),
    ],
)
def test_internet_routed_tables(tables, subnet_public, main_public):
    by_subnet, by_main = internet_routed_tables(tables)
    assert by_subnet.get("subnet-1") == subnet_public
    assert by_main.get("vpc-1") == main_public


def _network(ec2) -> dict[str, str]:
    """Create a VPC with an internet gateway, a public and a private subnet; return their ids."""
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.2.0/24")["Subnet"]["SubnetId"]
    ec2.create_tags(Resources=[public], Tags=[{"Key": "Name", "Value": "public-a"}])
    ec2.create_tags(Resources=[private], Tags=[{"Key": "Name", "Value": "private-a"}])
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    return {"vpc": vpc, "public": public, "private": private, "gateway": gateway}


def test_subnets_public_and_private(session):
    ids = _network(session.client("ec2"))

    inventory = collect_with(session, collect_subnets)
    subnets = by_name(inventory, "network.subnet")

    public, private = subnets["public-a"], subnets["private-a"]
    assert public.facts["public"] is True
    assert private.facts["public"] is False
    assert public.facts["cidr"] == "10.40.1.0/24"
    assert public.facts["network_id"].endswith(f":vpc/{ids['vpc']}")
    assert public.facts["private_google_access"] is None
    assert public.id.endswith(f":subnet/{ids['public']}")
    assert public.tags == {"Name": "public-a"}
    assert inventory.errors == []


def test_subnet_main_table_routes(session):
    ec2 = session.client("ec2")
    ids = _network(ec2)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]},
                                             {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["gateway"])

    subnets = by_name(collect_with(session, collect_subnets), "network.subnet")

    assert subnets["private-a"].facts["public"] is True


@pytest.mark.parametrize("resource", ["subnet", "vpc"])
def test_subnet_flow_logs(session, resource):
    session.client("s3").create_bucket(Bucket="flow-log-bucket")
    ec2 = session.client("ec2")
    ids = _network(ec2)
    logged = ids["public"] if resource == "subnet" else ids["vpc"]
    ec2.create_flow_logs(ResourceIds=[logged], ResourceType="Subnet" if resource == "subnet" else "VPC",
                         TrafficType="ALL", LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-log-bucket")

    subnets = by_name(collect_with(session, collect_subnets), "network.subnet")

    assert subnets["public-a"].facts["flow_logs_enabled"] is True
    assert subnets["private-a"].facts["flow_logs_enabled"] is (resource == "vpc")


def test_route_tables_denied(session):
    _network(session.client("ec2"))
    inject(session, "ec2", "DescribeRouteTables", code="UnauthorizedOperation")

    inventory = collect_with(session, collect_subnets)
    subnet = by_name(inventory, "network.subnet")["public-a"]

    assert "public" not in subnet.facts
    assert subnet.facts["flow_logs_enabled"] is False
    assert [(e.kind, e.facts, e.resource_id) for e in inventory.errors] == [("network.subnet", ("public",), None)]


def test_gateways_collected(session):
    ec2 = session.client("ec2")
    ids = _network(ec2)
    ec2.create_egress_only_internet_gateway(VpcId=ids["vpc"])
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=ids["public"], AllocationId=allocation)
    transit = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=transit, VpcId=ids["vpc"], SubnetIds=[ids["private"]])

    inventory = collect_with(session, collect_gateways)
    gateways = {r.facts["gateway_type"]: r for r in inventory.resources if r.kind == "network.gateway"}

    assert set(gateways) == {"internet", "egress-only", "nat", "transit"}
    for gateway in gateways.values():
        assert gateway.facts["network_ids"] == [f"arn:aws:ec2:us-east-1:123456789012:vpc/{ids['vpc']}"]
    assert gateways["internet"].id.endswith(f":internet-gateway/{ids['gateway']}")
    assert inventory.errors == []


def test_gateway_listing_denied(session):
    _network(session.client("ec2"))
    inject(session, "ec2", "DescribeNatGateways", code="UnauthorizedOperation")

    inventory = collect_with(session, collect_gateways)

    assert [r.facts["gateway_type"] for r in inventory.resources] == ["internet"]
    assert [(e.kind, e.operation, e.facts) for e in inventory.errors] == [
        ("network.gateway", "DescribeNatGateways", ())]


@pytest.mark.parametrize(("subnet", "state"), [("public", "internet"), ("private", "internal")])
def test_ssh_instance_exposure(session, subnet, state):
    ec2 = session.client("ec2")
    ids = _network(ec2)
    ec2.modify_subnet_attribute(SubnetId=ids[subnet], MapPublicIpOnLaunch={"Value": True})
    group = ec2.create_security_group(GroupName="ssh-open", Description="ssh", VpcId=ids["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=ids[subnet],
                                 SecurityGroupIds=[group])["Instances"][0]["InstanceId"]

    inventory = scan(session)
    resource_id = f"arn:aws:ec2:us-east-1:123456789012:instance/{instance}"
    exposure = exposures(inventory)[resource_id]

    assert exposure.state == state
    assert by_name(inventory, "compute.instance")[instance].facts["subnet_id"].endswith(f":subnet/{ids[subnet]}")
    assert inventory.errors == []
