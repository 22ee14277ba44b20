"""A simulated AWS account on a counting moto server: start, populate, take a census, compute minimum API calls.

Used by collection_scaling.py and peer_prowler.py. Every request goes to the
moto server on 127.0.0.1 that benchmarks/moto_server.py starts; the credentials
are fake.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT_ID = "123456789012"  # moto's default account
HOME_REGION = "us-east-1"

#: Environment for every AWS client the benchmarks run: fake credentials, no shared config files.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": HOME_REGION,
    "AWS_REGION": HOME_REGION,
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
}

#: Share of the requested resources per type; storage volumes take the rest.
MIX = {
    "security_group": 0.20,
    "instance": 0.15,
    "bucket": 0.10,
    "user": 0.12,
    "kms_key": 0.10,
    "db_instance": 0.05,
    "vpc": 0.03,
    "load_balancer": 0.03,
    "trail": 0.01,
}


class MotoServer:
    """benchmarks/moto_server.py run as a child process; stop it with :meth:`stop`."""

    def __init__(self, latency_ms: float = 0.0) -> None:
        """Start the server; ``latency_ms`` delays every API request without using CPU (see moto_server.py)."""
        env = dict(os.environ, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
        # moto prints a traceback for every operation it does not implement, so stderr goes to a file.
        self.log = tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False)  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().parent / "moto_server.py"),
             "--latency-ms", str(latency_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"moto server did not start: {line!r}")
        self.endpoint = f"http://127.0.0.1:{int(line.split()[1])}"

    def calls(self, reset: bool = False) -> dict[str, Any]:
        request = urllib.request.Request(self.endpoint + "/_benchmark/calls" + ("/reset" if reset else ""),
                                         method="POST" if reset else "GET")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def cpu_times(self) -> tuple[float, float]:
        """Return the user and the system CPU seconds the server process has used so far (Linux /proc)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / ticks, int(fields[12]) / ticks

    def cpu_seconds(self) -> float:
        """Return the user plus system CPU seconds the server process has used so far."""
        return sum(self.cpu_times())

    def reset_calls(self) -> None:
        self.calls(reset=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


def client_environment(endpoint: str) -> dict[str, str]:
    """Return os.environ plus fake credentials and AWS_ENDPOINT_URL pointing at ``endpoint``."""
    env = dict(os.environ)
    env.update(FAKE_CREDENTIALS)
    env["AWS_ENDPOINT_URL"] = endpoint
    return env


def _session(endpoint: str):
    import boto3

    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         aws_session_token="testing", region_name=HOME_REGION)


@dataclass
class Plan:
    """How many resources of each type to create, and in which regions."""

    total: int
    regions: list[str]
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_total(cls, total: int, regions: list[str]) -> Plan:
        counts = {name: max(1, round(total * share)) for name, share in MIX.items()}
        counts["volume"] = max(0, total - sum(counts.values()))
        return cls(total, regions, counts)


def populate(endpoint: str, plan: Plan, workers: int = 8) -> dict[str, int]:
    """Create the resources of ``plan`` on the moto server and return how many of each were created."""
    session = _session(endpoint)
    clients: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        key = (service, region)
        if key not in clients:
            clients[key] = session.client(service, region_name=region, endpoint_url=endpoint)
        return clients[key]

    for region in plan.regions:  # create the clients up front: client creation is not thread-safe
        for service in ("ec2", "kms", "rds", "elbv2", "cloudtrail", "s3"):
            client(service, region)
    admin_policy = client("iam", HOME_REGION).create_policy(PolicyName="bench-admin", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    admin_arn = admin_policy["Policy"]["Arn"]

    def region_of(index: int) -> str:
        return plan.regions[index % len(plan.regions)]

    jobs: list[Callable[[], None]] = []
    counts = plan.counts
    for i in range(counts["security_group"]):
        jobs.append(lambda i=i: _security_group(client("ec2", region_of(i)), i))
    for i in range(counts["volume"]):
        jobs.append(lambda i=i: client("ec2", region_of(i)).create_volume(
            AvailabilityZone=region_of(i) + "a", Size=8, Encrypted=i % 2 == 0))
    for i in range(counts["kms_key"]):
        jobs.append(lambda i=i: _kms_key(client("kms", region_of(i)), i))
    for i in range(counts["db_instance"]):
        jobs.append(lambda i=i: client("rds", region_of(i)).create_db_instance(
            DBInstanceIdentifier=f"bench-db-{i}", DBInstanceClass="db.t3.micro", Engine="postgres",
            MasterUsername="bench", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
            StorageEncrypted=i % 3 != 0, PubliclyAccessible=i % 5 == 0, BackupRetentionPeriod=i % 10))
    for i in range(counts["vpc"]):
        jobs.append(lambda i=i: client("ec2", region_of(i)).create_vpc(CidrBlock=f"10.{i % 250}.0.0/16"))
    for i in range(counts["user"]):
        jobs.append(lambda i=i: _user(client("iam", HOME_REGION), i, admin_arn))
    for i in range(counts["bucket"]):
        jobs.append(lambda i=i: _bucket(client("s3", region_of(i)), region_of(i), i))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda job: job(), jobs))

    # Instances in one call per region; load balancers and trails need the resources above.
    for index, region in enumerate(plan.regions):
        share = counts["instance"] // len(plan.regions) + (1 if index < counts["instance"] % len(plan.regions) else 0)
        if share:
            ec2 = client("ec2", region)
            reservation = ec2.run_instances(ImageId="ami-12345678", MinCount=share, MaxCount=share,
                                            InstanceType="t3.micro")
            for number, instance in enumerate(reservation["Instances"]):
                if number % 2:
                    ec2.modify_instance_metadata_options(InstanceId=instance["InstanceId"], HttpTokens="required")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda i: _load_balancer(client("ec2", region_of(i)), client("elbv2", region_of(i)), i),
                      range(counts["load_balancer"])))
    _trails(client, plan)
    return dict(counts)


def _security_group(ec2: Any, i: int) -> None:
    group = ec2.create_security_group(GroupName=f"bench-sg-{i}", Description="benchmark")
    port = (22, 443, 5432, 8080)[i % 4]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
        "IpRanges": [{"CidrIp": "0.0.0.0/0" if i % 3 == 0 else "10.0.0.0/8"}]}])


def _kms_key(kms: Any, i: int) -> None:
    key = kms.create_key(Description=f"bench key {i}")
    if i % 2:
        kms.enable_key_rotation(KeyId=key["KeyMetadata"]["KeyId"])


def _user(iam: Any, i: int, admin_arn: str) -> None:
    name = f"bench-user-{i}"
    iam.create_user(UserName=name)
    if i % 2:
        iam.create_access_key(UserName=name)
    if i % 3 == 0:
        iam.create_login_profile(UserName=name, Password="Not-a-secret-123")
    if i % 20 == 0:
        iam.attach_user_policy(UserName=name, PolicyArn=admin_arn)


def _bucket(s3: Any, region: str, i: int) -> None:
    name = f"bench-bucket-{i}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if i % 2:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if i % 3:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})


def _load_balancer(ec2: Any, elbv2: Any, i: int) -> None:
    subnets = [subnet["SubnetId"] for subnet in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]][:2]
    balancer = elbv2.create_load_balancer(Name=f"bench-lb-{i}", Subnets=subnets, Scheme="internet-facing",
                                          Type="application")["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[{
        "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])


def _trails(client: Callable[[str, str], Any], plan: Plan) -> None:
    s3 = client("s3", HOME_REGION)
    s3.create_bucket(Bucket="bench-trail-logs")
    for i in range(plan.counts["trail"]):
        region = plan.regions[i % len(plan.regions)]
        trail = client("cloudtrail", region)
        trail.create_trail(Name=f"bench-trail-{i}", S3BucketName="bench-trail-logs", IsMultiRegionTrail=i == 0,
                           EnableLogFileValidation=i % 2 == 0)
        if i % 2 == 0:
            trail.start_logging(Name=f"bench-trail-{i}")


def _count(paginator: Any, key: str, page_size: int | None = None, **params: Any) -> list[Any]:
    config = {"PageSize": page_size} if page_size else {}
    items: list[Any] = []
    for page in paginator.paginate(PaginationConfig=config, **params):
        items.extend(page.get(key, []))
    return items


def census(endpoint: str, regions: list[str]) -> dict[str, Any]:
    """Count what the account contains, default resources included, with the benchmark's own client."""
    session = _session(endpoint)
    iam = session.client("iam", endpoint_url=endpoint)
    s3 = session.client("s3", endpoint_url=endpoint)
    result: dict[str, Any] = {"regions": {}}

    details = Counter()
    for page in iam.get_paginator("get_account_authorization_details").paginate(
            Filter=["User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"], PaginationConfig={"PageSize": 1000}):
        details["users"] += len(page.get("UserDetailList", []))
        details["groups"] += len(page.get("GroupDetailList", []))
        details["policies"] += len(page.get("Policies", []))
    result["iam"] = dict(details)
    result["iam"]["virtual_mfa_devices"] = len(_count(iam.get_paginator("list_virtual_mfa_devices"),
                                                     "VirtualMFADevices", 1000))
    result["iam"]["root_mfa"] = bool(iam.get_account_summary()["SummaryMap"].get("AccountMFAEnabled"))

    buckets = s3.list_buckets()["Buckets"]
    result["buckets"] = len(buckets)

    trails = set()
    for region in regions:
        ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
        kms = session.client("kms", region_name=region, endpoint_url=endpoint)
        rds = session.client("rds", region_name=region, endpoint_url=endpoint)
        elbv2 = session.client("elbv2", region_name=region, endpoint_url=endpoint)
        cloudtrail = session.client("cloudtrail", region_name=region, endpoint_url=endpoint)

        keys = _count(kms.get_paginator("list_keys"), "Keys", 1000)
        key_ids = {key["KeyId"] for key in keys}
        volumes = _count(ec2.get_paginator("describe_volumes"), "Volumes", 500)
        aliases = _count(kms.get_paginator("list_aliases"), "Aliases", 100)
        db_instances = _count(rds.get_paginator("describe_db_instances"), "DBInstances", 100)
        parameter_groups = {group["DBParameterGroupName"] for instance in db_instances
                            for group in instance.get("DBParameterGroups", [])}
        balancers = _count(elbv2.get_paginator("describe_load_balancers"), "LoadBalancers", 400)
        region_trails = cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]
        trails.update(trail["TrailARN"] for trail in region_trails)

        result["regions"][region] = {
            "vpcs": len(_count(ec2.get_paginator("describe_vpcs"), "Vpcs", 1000)),
            "flow_logs": len(_count(ec2.get_paginator("describe_flow_logs"), "FlowLogs", 1000)),
            "peerings": len(_count(ec2.get_paginator("describe_vpc_peering_connections"), "VpcPeeringConnections", 1000)),
            "security_groups": len(_count(ec2.get_paginator("describe_security_groups"), "SecurityGroups", 1000)),
            "network_interfaces": len(_count(ec2.get_paginator("describe_network_interfaces"), "NetworkInterfaces", 1000)),
            "instances": sum(len(r["Instances"]) for r in _count(ec2.get_paginator("describe_instances"), "Reservations", 1000)),
            "volumes": len(volumes),
            "volumes_with_kms_key": sum(1 for volume in volumes if volume.get("KmsKeyId")),
            "kms_keys": len(keys),
            "kms_aliases": len(aliases),
            # AWS-managed keys carry an alias under alias/aws/ and need no rotation status. moto also
            # lists alias/aws/* aliases whose target key does not exist, so only listed keys count.
            "kms_aws_managed_keys": len(key_ids & {alias.get("TargetKeyId") for alias in aliases
                                                   if alias["AliasName"].startswith("alias/aws/")}),
            "subnets": len(_count(ec2.get_paginator("describe_subnets"), "Subnets", 1000)),
            "route_tables": len(_count(ec2.get_paginator("describe_route_tables"), "RouteTables", 100)),
            "db_instances": len(db_instances),
            "db_parameter_groups": len(parameter_groups),
            "db_clusters": len(_count(rds.get_paginator("describe_db_clusters"), "DBClusters", 100)),
            "load_balancers": len(balancers),
            "trails_visible": len(region_trails),
        }
    result["trails"] = len(trails)
    return result


def warm_regions(endpoint: str) -> list[str]:
    """Touch EC2 in every region DescribeRegions lists, and return those regions.

    moto creates a region's EC2 backend, with its default VPC, subnets and security
    group, on the first request to that region. Without this, whichever scanner
    reaches a region first pays for that in its measured time.
    """
    session = _session(endpoint)
    ec2 = session.client("ec2", region_name=HOME_REGION, endpoint_url=endpoint)
    regions = sorted(region["RegionName"] for region in ec2.describe_regions()["Regions"])
    for region in regions:
        session.client("ec2", region_name=region, endpoint_url=endpoint).describe_vpcs()
    return regions


def _pages(items: int, page_size: int) -> int:
    """Calls needed to list ``items`` at ``page_size`` per page: an empty listing still takes one call."""
    return max(1, math.ceil(items / page_size))


#: The largest page size each listing accepts (MaxResults, MaxItems, Limit, MaxRecords), from the AWS API reference.
MAX_PAGE_SIZES = {
    "ec2 DescribeVpcs": 1000, "ec2 DescribeFlowLogs": 1000, "ec2 DescribeVpcPeeringConnections": 1000,
    "ec2 DescribeSecurityGroups": 1000, "ec2 DescribeNetworkInterfaces": 1000, "ec2 DescribeInstances": 1000,
    "ec2 DescribeVolumes": 500, "ec2 DescribeSubnets": 1000, "ec2 DescribeRouteTables": 100, "kms ListKeys": 1000, "kms ListAliases": 100, "rds DescribeDBInstances": 100,
    "rds DescribeDBClusters": 100, "elbv2 DescribeLoadBalancers": 400, "iam GetAccountAuthorizationDetails": 1000,
    "iam ListVirtualMFADevices": 1000, "s3 ListBuckets": 10000,
}


def minimum_calls(counts: dict[str, Any], regions: list[str], bucket_location_in_listing: bool = False) -> dict[str, int]:
    """Return the fewest requests that collect every fact ztscan's AWS rules read, by operation.

    Listings are counted at their largest page size, and one call lists an empty
    set. Per-resource calls are counted only where no listing returns the fact:

    * S3: six calls per bucket (encryption, policy, public access block,
      versioning, logging, ACL). GetBucketPolicyStatus is not counted, because
      the policy document that GetBucketPolicy already returns decides it.
      GetBucketLocation adds one call per bucket unless ListBuckets returns each
      bucket's region, which AWS does since 2024 but moto 5.2.5 does not.
    * KMS: DescribeKey per key, GetKeyRotationStatus per customer-managed key,
      and one ListAliases listing per region that has keys or volumes encrypted
      with a KMS key, shared by the key and the volume collectors.
    * ELBv2: DescribeListeners per load balancer.
    * CloudTrail: GetTrailStatus and GetEventSelectors once per trail, not once
      per region that shows a multi-region trail.
    * EC2 networking: DescribeSubnets and DescribeRouteTables (subnet facts),
      the five gateway listings of GATEWAY_LISTINGS, and DescribeFlowLogs once
      per region for both networks and subnets.
    * RDS: DescribeDBParameters once per parameter group in use (TLS settings).
    * Tags: no rule reads them, so GetBucketTagging and ELBv2 DescribeTags are
      not in the minimum.
    * IAM: GenerateCredentialReport twice (the first call starts the report, the
      second returns its COMPLETE state), one GetAccountAuthorizationDetails listing for users,
      groups and policies together, and ListVirtualMFADevices only when the root
      user has MFA (to tell a hardware device from a virtual one).
    """
    minimum: Counter[str] = Counter()
    minimum["sts GetCallerIdentity"] = 1
    minimum["ec2 DescribeRegions"] = 1  # opt-in status, so a disabled region is reported as skipped
    for operation in ("GetCredentialReport", "GetAccountSummary", "GetAccountPasswordPolicy", "ListAccountAliases"):
        minimum[f"iam {operation}"] = 1
    minimum["iam GenerateCredentialReport"] = 2
    iam = counts["iam"]
    minimum["iam GetAccountAuthorizationDetails"] = _pages(iam["users"] + iam["groups"] + iam["policies"], 1000)
    if iam["root_mfa"]:
        minimum["iam ListVirtualMFADevices"] = _pages(iam["virtual_mfa_devices"], 1000)
    buckets = counts["buckets"]
    minimum["s3 ListBuckets"] = _pages(buckets, 10000)
    minimum["s3control GetPublicAccessBlock"] = 1
    if not bucket_location_in_listing:
        minimum["s3 GetBucketLocation"] = buckets
    for operation in ("GetBucketEncryption", "GetBucketPolicy", "GetPublicAccessBlock", "GetBucketVersioning",
                      "GetBucketLogging", "GetBucketAcl"):
        minimum[f"s3 {operation}"] = buckets
    for region in regions:
        found = counts["regions"][region]
        for operation, key in (("ec2 DescribeVpcs", "vpcs"), ("ec2 DescribeFlowLogs", "flow_logs"),
                               ("ec2 DescribeVpcPeeringConnections", "peerings"),
                               ("ec2 DescribeSecurityGroups", "security_groups"),
                               ("ec2 DescribeNetworkInterfaces", "network_interfaces"),
                               ("ec2 DescribeInstances", "instances"), ("ec2 DescribeVolumes", "volumes"),
                               ("ec2 DescribeSubnets", "subnets"), ("ec2 DescribeRouteTables", "route_tables"),
                               ("kms ListKeys", "kms_keys"),
                               ("rds DescribeDBInstances", "db_instances"), ("rds DescribeDBClusters", "db_clusters"),
                               ("elbv2 DescribeLoadBalancers", "load_balancers")):
            minimum[operation] += _pages(found[key], MAX_PAGE_SIZES[operation])
        minimum["ec2 GetEbsEncryptionByDefault"] += 1
        for operation in GATEWAY_LISTINGS:
            minimum[operation] += 1
        # One DescribeDBParameters listing per parameter group that an instance uses (moto's groups fit one page).
        minimum["rds DescribeDBParameters"] += found["db_parameter_groups"]
        if found["volumes_with_kms_key"] or found["kms_keys"]:
            minimum["kms ListAliases"] += _pages(found["kms_aliases"], MAX_PAGE_SIZES["kms ListAliases"])
        minimum["kms DescribeKey"] += found["kms_keys"]
        minimum["kms GetKeyRotationStatus"] += found["kms_keys"] - found["kms_aws_managed_keys"]
        minimum["elbv2 DescribeListeners"] += found["load_balancers"]
        minimum["cloudtrail DescribeTrails"] += 1
    minimum["cloudtrail GetTrailStatus"] = counts["trails"]
    minimum["cloudtrail GetEventSelectors"] = counts["trails"]
    return dict(sorted(minimum.items()))


#: Listings behind the network.gateway kind, one page each per region in these accounts.
GATEWAY_LISTINGS = (
    "ec2 DescribeInternetGateways", "ec2 DescribeEgressOnlyInternetGateways", "ec2 DescribeNatGateways",
    "ec2 DescribeVpnGateways", "ec2 DescribeTransitGatewayAttachments",
)

#: S3 request names from moto_server.py, mapped to the S3 API operation.
S3_REQUEST_NAMES = {
    "s3 GET service": "s3 ListBuckets",
    # ztscan lists buckets with MaxBuckets, so that S3 includes each bucket's region.
    "s3 GET service?max-buckets": "s3 ListBuckets",
    "s3 GET bucket?location": "s3 GetBucketLocation",
    "s3 GET bucket?encryption": "s3 GetBucketEncryption",
    "s3 GET bucket?policy": "s3 GetBucketPolicy",
    "s3 GET bucket?publicAccessBlock": "s3 GetPublicAccessBlock",
    "s3 GET bucket?versioning": "s3 GetBucketVersioning",
    "s3 GET bucket?logging": "s3 GetBucketLogging",
    "s3 GET bucket?acl": "s3 GetBucketAcl",
    "s3 GET bucket?policyStatus": "s3 GetBucketPolicyStatus",
    "s3 GET bucket?tagging": "s3 GetBucketTagging",
    "s3 GET control/configuration/publicAccessBlock": "s3control GetPublicAccessBlock",
}


#: SigV4 signing names that differ from the boto3 service name.
SIGNING_NAMES = {"elasticloadbalancing": "elbv2"}


def normalize_calls(calls: dict[str, int]) -> dict[str, int]:
    """Rename the counter's request names to boto3 service and API operation names and merge the counts."""
    merged: Counter[str] = Counter()
    for name, count in calls.items():
        name = S3_REQUEST_NAMES.get(name, name)
        service, _, operation = name.partition(" ")
        merged[f"{SIGNING_NAMES.get(service, service)} {operation}"] += count
    return dict(sorted(merged.items()))
