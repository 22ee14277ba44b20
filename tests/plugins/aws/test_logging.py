"""CloudTrail and ELBv2 collection."""

from __future__ import annotations

from ztscan_aws.cloudtrail import collect_trails
from ztscan_aws.elbv2 import collect_load_balancers

from .hooks import by_name, collect_with


def test_multi_region_trail(session):
    session.client("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = session.client("cloudtrail")
    cloudtrail.create_trail(Name="org-audit", S3BucketName="trail-logs", IsMultiRegionTrail=True,
                            EnableLogFileValidation=True)
    cloudtrail.start_logging(Name="org-audit")
    cloudtrail.create_trail(Name="local", S3BucketName="trail-logs")

    trails = by_name(collect_with(session, collect_trails), "audit.trail")

    assert trails["org-audit"].facts["multi_region"] is True
    assert trails["org-audit"].facts["logging"] is True
    assert trails["org-audit"].facts["log_validation"] is True
    assert trails["org-audit"].facts["management_events"] is True
    assert trails["local"].facts["logging"] is False
    assert trails["local"].facts["multi_region"] is False


def test_trail_listed_in_home_region_only(session):
    session.client("s3").create_bucket(Bucket="trail-logs")
    session.client("cloudtrail").create_trail(Name="everywhere", S3BucketName="trail-logs", IsMultiRegionTrail=True)

    west = collect_with(session, collect_trails, region="eu-west-1")

    assert west.resources == []


def _balancer(session, name, listener_action):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    elbv2 = session.client("elbv2")
    arn = elbv2.create_load_balancer(Name=name, Subnets=subnets, Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[listener_action])
    return arn


def test_http_listener_redirect(session):
    _balancer(session, "portal", {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443",
                                                                         "StatusCode": "HTTP_301"}})

    balancer = by_name(collect_with(session, collect_load_balancers), "network.load_balancer")["portal"]

    assert balancer.facts["scheme"] == "internet-facing"
    assert balancer.facts["listeners"] == [{"port": 80, "protocol": "HTTP", "redirects_to_https": True}]


def test_http_listener_plain(session):
    _balancer(session, "legacy", {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}})

    balancer = by_name(collect_with(session, collect_load_balancers), "network.load_balancer")["legacy"]

    assert balancer.facts["listeners"][0]["redirects_to_https"] is False
