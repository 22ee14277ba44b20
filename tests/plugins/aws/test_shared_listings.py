"""Listings that several collectors need are requested once per region, and tags come from one listing."""

from __future__ import annotations

import threading
import time

import pytest

from ztscan.model import Inventory
from ztscan.provider import CollectContext
from ztscan_aws.calls import ApiFailure, Collection
from ztscan_aws.elbv2 import collect_load_balancers
from ztscan_aws.s3 import collect_buckets

from .hooks import ACCOUNT, REGION, CallRecorder, by_name, collect_with, inject, scan

WEST = "eu-west-1"


def _populate(session) -> None:
    iam = session.client("iam")
    iam.create_user(UserName="nurse")
    iam.create_group(GroupName="ops")
    session.client("s3").create_bucket(Bucket="clinic-records")
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    session.client("ec2").create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True, KmsKeyId=key)


def test_scan_lists_once(session):
    _populate(session)
    recorder = CallRecorder(session)

    inventory = scan(session)

    assert recorder.count("ec2", "DescribeFlowLogs") == 1
    assert recorder.count("kms", "ListAliases") == 1
    assert recorder.count("iam", "GetAccountAuthorizationDetails") == 1
    assert recorder.count("iam", "ListUsers") == 0
    assert recorder.count("s3", "GetBucketTagging") == 0
    assert recorder.count("s3", "GetBucketPolicyStatus") == 0
    assert recorder.count("resourcegroupstaggingapi", "GetResources") == 1
    assert "nurse" in by_name(inventory, "identity.user")


@pytest.mark.parametrize(("service", "operation", "expected"), [
    pytest.param("ec2", "DescribeFlowLogs", {("network", ("flow_logs_enabled",)),
                                             ("network.subnet", ("flow_logs_enabled",))}, id="flow-logs"),
    pytest.param("kms", "ListAliases", {("crypto.key", ("managed_by",)), ("storage.volume", ("key_type",))},
                 id="aliases"),
])
def test_shared_failure_recorded_per_kind(session, service, operation, expected):
    _populate(session)
    sent: list[int] = []
    inject(session, service, operation, code="AccessDenied", when=lambda params: sent.append(1) is None)

    inventory = scan(session)

    assert len(sent) == 1
    assert {(e.kind, e.facts) for e in inventory.errors if e.operation == operation} == expected


def test_shared_loads_once_under_concurrency(session):
    from ztscan_aws.session import AwsSession, Identity

    collection = Collection(AwsSession(session), CollectContext(), Identity(ACCOUNT, "arn:aws:iam::1:user/x", "aws"),
                            Inventory())
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        time.sleep(0.05)
        return 7

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(collection.shared(("k", REGION), load)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    collection.close()

    assert loads == [1]
    assert results == [7, 7, 7, 7]


def test_shared_failure_raised_to_each(session):
    from ztscan_aws.session import AwsSession, Identity

    collection = Collection(AwsSession(session), CollectContext(), Identity(ACCOUNT, "arn:aws:iam::1:user/x", "aws"),
                            Inventory())
    failure = ApiFailure("ec2", "DescribeFlowLogs", REGION, "AccessDenied", "denied")

    def load() -> None:
        raise failure

    raised = []
    for _ in range(2):
        with pytest.raises(ApiFailure) as caught:
            collection.shared(("k", REGION), load)
        raised.append(caught.value)
    collection.close()

    assert raised == [failure, failure]


def test_bucket_tags_from_bucket_region(session):
    s3 = session.client("s3")
    s3.create_bucket(Bucket="clinic-west", CreateBucketConfiguration={"LocationConstraint": WEST})
    s3.put_bucket_tagging(Bucket="clinic-west", Tagging={"TagSet": [{"Key": "owner", "Value": "radiology"}]})
    recorder = CallRecorder(session)

    inventory = collect_with(session, collect_buckets, {REGION, WEST}, region="global")

    tagging = [region for call, region in zip(recorder.calls, recorder.regions)
               if call == ("resourcegroupstaggingapi", "GetResources")]
    assert by_name(inventory, "storage.bucket")["clinic-west"].tags == {"owner": "radiology"}
    assert tagging == [WEST]


def _both_collectors(target) -> None:
    collect_buckets(target.in_region("global"), {REGION})
    collect_load_balancers(target)


def _balancer(session) -> None:
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for cidr, zone in (("10.80.1.0/24", "us-east-1a"), ("10.80.2.0/24", "us-east-1b"))]
    session.client("elbv2").create_load_balancer(Name="portal", Subnets=subnets, Tags=[{"Key": "ephi", "Value": "yes"}])
    s3 = session.client("s3")
    for name in ("clinic-a", "clinic-b"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "owner", "Value": name}]})


def test_tags_one_listing_per_region(session):
    _balancer(session)
    recorder = CallRecorder(session)

    inventory = collect_with(session, _both_collectors)

    assert recorder.count("resourcegroupstaggingapi", "GetResources") == 1
    assert by_name(inventory, "storage.bucket")["clinic-b"].tags == {"owner": "clinic-b"}
    assert by_name(inventory, "network.load_balancer")["portal"].tags == {"ephi": "yes"}


def test_tags_denied_once_per_kind(session):
    _balancer(session)
    inject(session, "resource-groups-tagging-api", "GetResources", code="AccessDenied")

    inventory = collect_with(session, _both_collectors)

    assert sorted((e.kind, e.facts, e.resource_id, e.scope.region) for e in inventory.errors) == [
        ("network.load_balancer", ("tags",), None, REGION), ("storage.bucket", ("tags",), None, REGION)]
    assert by_name(inventory, "storage.bucket")["clinic-a"].tags == {}
