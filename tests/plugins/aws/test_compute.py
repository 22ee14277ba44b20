"""EC2 collection: networks and flow logs, instances, volumes, EBS encryption by default."""

from __future__ import annotations

from ztscan_aws.ec2 import collect_encryption_default, collect_instances, collect_networks, collect_volumes

from .hooks import by_id, collect_with, inject


def test_flow_logs_per_vpc(session):
    session.client("s3").create_bucket(Bucket="flow-log-bucket")
    ec2 = session.client("ec2")
    logged = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    silent = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(ResourceIds=[logged], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                         LogDestination="arn:aws:s3:::flow-log-bucket")

    networks = {r.id.rsplit("/", 1)[-1]: r for r in collect_with(session, collect_networks).resources}

    assert networks[logged].facts["flow_logs_enabled"] is True
    assert networks[silent].facts["flow_logs_enabled"] is False
    assert networks[silent].facts["cidrs"] == ["10.3.0.0/16"]
    assert any(r.facts["is_default"] for r in networks.values())


def test_flow_logs_denied_leaves_fact_absent(session):
    inject(session, "ec2", "DescribeFlowLogs", code="UnauthorizedOperation")

    inventory = collect_with(session, collect_networks)

    assert inventory.resources
    assert all("flow_logs_enabled" not in r.facts for r in inventory.resources)
    assert [e.facts for e in inventory.errors] == [("flow_logs_enabled",)]


def test_instance_metadata_options(session):
    ec2 = session.client("ec2")
    common = {"ImageId": "ami-12c6146b", "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"}
    required = ec2.run_instances(**common, MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    optional = ec2.run_instances(**common, MetadataOptions={"HttpTokens": "optional"})["Instances"][0]["InstanceId"]

    instances = {r.id.rsplit("/", 1)[-1]: r.facts for r in collect_with(session, collect_instances).resources}

    assert instances[required]["metadata_token_required"] is True
    assert instances[optional]["metadata_token_required"] is False
    assert isinstance(instances[optional]["public_ips"], list)


def test_volume_encryption(session):
    ec2 = session.client("ec2")
    plain = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    sealed = ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True)["VolumeId"]

    volumes = {r.id.rsplit("/", 1)[-1]: r.facts for r in collect_with(session, collect_volumes).resources}

    assert volumes[plain]["encrypted"] is False
    assert volumes[plain]["key_type"] is None
    assert volumes[sealed]["encrypted"] is True
    assert volumes[sealed]["key_type"] in ("provider", "customer")


def test_encryption_default_per_region(session):
    session.client("ec2", region_name="eu-west-1").enable_ebs_encryption_by_default()

    east = collect_with(session, collect_encryption_default, region="us-east-1").resources
    west = collect_with(session, collect_encryption_default, region="eu-west-1").resources

    assert [r.facts["enabled"] for r in east] == [False]
    assert [r.facts["enabled"] for r in west] == [True]
    assert by_id(collect_with(session, collect_encryption_default), "storage.encryption_default")


def test_instance_subnet_id(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                 SubnetId=subnet)["Instances"][0]["InstanceId"]

    instances = {r.id.rsplit("/", 1)[-1]: r.facts for r in collect_with(session, collect_instances).resources}

    assert instances[instance]["subnet_id"] == f"arn:aws:ec2:us-east-1:123456789012:subnet/{subnet}"
    assert instances[instance]["network_id"] == f"arn:aws:ec2:us-east-1:123456789012:vpc/{vpc}"
