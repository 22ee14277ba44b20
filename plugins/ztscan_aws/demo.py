"""A simulated clinic's AWS account, built in process with moto, for ``ztscan demo``.

The account mixes good configuration with the gaps most often found in
healthcare estates: an SSH port open to the internet, an unencrypted volume, a
console user without MFA, a public database, a bucket without TLS enforcement.
Nothing here touches the network: moto intercepts every boto3 call in process.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Iterator

#: Regions of the simulated account: the clinic's primary region and its disaster-recovery region.
DEMO_REGIONS = ("us-east-1", "us-west-2")

#: Seed for moto's identifier generator, so the simulated account is the same on every run.
DEMO_SEED = 20250106

_FAKE_CREDENTIALS = {"aws_access_key_id": "AKIADEMODEMODEMO0000", "aws_secret_access_key": "demo-not-a-secret"}


@contextlib.contextmanager
def simulated_clinic() -> Iterator[dict[str, Any]]:
    """Build the simulated account and yield the options for ``AwsProvider.collect``."""
    try:
        import boto3
        from moto import mock_aws
    except ImportError as exc:
        from ztscan.provider import MissingDependencyError

        raise MissingDependencyError("demo", "demo", exc.name or "moto") from None

    saved = {name: os.environ.get(name) for name in ("MOTO_EC2_LOAD_DEFAULT_AMIS",)}
    # Without this, moto creates about 1,300 AMIs per region, which takes seconds for nothing.
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    try:
        with mock_aws():
            _seed_identifiers()
            session = boto3.Session(region_name=DEMO_REGIONS[0], **_FAKE_CREDENTIALS)
            _build(session)
            yield {"session": session, "regions": list(DEMO_REGIONS), "profile": None, "simulated": True}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _seed_identifiers() -> None:
    """Make moto's generated ids (vpc-..., sg-..., key ids) the same on every run.

    With stable ids, two demo reports can be compared with ``ztscan diff`` or ``--baseline``.
    The seed function is moto's own (moto 5.x, ``moto.moto_api._internal.mock_random``); with
    another moto layout the ids stay random and only that comparison suffers.
    """
    try:
        from moto.moto_api._internal import mock_random
    except ImportError:
        return
    mock_random.seed(DEMO_SEED)


def _build(session: Any) -> None:
    _build_identity(session)
    primary, recovery = DEMO_REGIONS
    _build_network_and_compute(session, primary, recovery)
    _build_storage(session, primary, recovery)
    _build_databases(session, primary)
    _build_keys_and_logging(session, primary)
    _build_load_balancers(session, primary)


def _build_identity(session: Any) -> None:
    iam = session.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)
    iam.create_group(GroupName="clinicians")

    # A clinician with console access and a virtual MFA device.
    iam.create_user(UserName="dr.smith")
    iam.create_login_profile(UserName="dr.smith", Password="Demo-Passw0rd-Not-Real!")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="dr.smith")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="dr.smith", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.add_user_to_group(GroupName="clinicians", UserName="dr.smith")

    # A nurse with a console password and no MFA: the classic stolen-credential entry point.
    iam.create_user(UserName="nurse.jones")
    iam.create_login_profile(UserName="nurse.jones", Password="Demo-Passw0rd-Not-Real!")
    iam.add_user_to_group(GroupName="clinicians", UserName="nurse.jones")

    # A deployment identity with an access key and no console password.
    iam.create_user(UserName="ci-deployer")
    iam.create_access_key(UserName="ci-deployer")

    # A former administrator with full rights attached directly to the user.
    iam.create_user(UserName="admin.legacy")
    admin_policy = iam.create_policy(
        PolicyName="LegacyFullAccess",
        PolicyDocument=json.dumps({"Version": "2012-10-17",
                                   "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )["Policy"]
    iam.attach_user_policy(UserName="admin.legacy", PolicyArn=admin_policy["Arn"])


def _build_network_and_compute(session: Any, primary: str, recovery: str) -> None:
    ec2 = session.client("ec2", region_name=primary)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "clinic-prod"}, {"Key": "ephi", "Value": "true"}])
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{primary}a")["Subnet"]["SubnetId"]
    ec2.create_tags(Resources=[subnet], Tags=[{"Key": "Name", "Value": "clinic-app-private"}])
    # A public subnet: its route table sends 0.0.0.0/0 to an internet gateway.
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/24", AvailabilityZone=f"{primary}a")["Subnet"]["SubnetId"]
    ec2.create_tags(Resources=[public], Tags=[{"Key": "Name", "Value": "clinic-public"}])
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    routes = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=routes, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=routes, SubnetId=public)
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws:s3:::clinic-audit-logs")

    web = _security_group(ec2, vpc, "clinic-web", [("tcp", 443, 443, "0.0.0.0/0")])
    bastion = _security_group(ec2, vpc, "clinic-bastion", [("tcp", 22, 22, "0.0.0.0/0")])
    _security_group(ec2, vpc, "ehr-database", [("tcp", 5432, 5432, "10.20.0.0/16")])
    _security_group(ec2, vpc, "legacy-imaging", [("tcp", 3389, 3389, "::/0")])

    ec2.run_instances(
        ImageId="ami-0ehr0app0demo0001", MinCount=1, MaxCount=1, InstanceType="t3.medium", SubnetId=subnet,
        SecurityGroupIds=[web], MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "ehr-app"},
                                                                  {"Key": "ephi", "Value": "true"}]}],
    )
    # The bastion sits in the public subnet with a public address, behind the group that opens SSH to the world.
    ec2.run_instances(
        ImageId="ami-0bastion0demo0001", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=public,
        SecurityGroupIds=[bastion], MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "bastion"}]}],
    )
    ec2.enable_ebs_encryption_by_default()
    ec2.create_volume(AvailabilityZone=f"{primary}a", Size=100, Encrypted=True,
                      TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "ehr-data"}]}])
    # Created before encryption by default was switched on, and never migrated.
    ec2.create_volume(AvailabilityZone=f"{primary}a", Size=500, Encrypted=False,
                      TagSpecifications=[{"ResourceType": "volume",
                                          "Tags": [{"Key": "Name", "Value": "imaging-scratch"},
                                                   {"Key": "ephi", "Value": "true"}]}])

    dr = session.client("ec2", region_name=recovery)
    dr_vpc = dr.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    dr.create_tags(Resources=[dr_vpc], Tags=[{"Key": "Name", "Value": "clinic-dr"}])
    _security_group(dr, dr_vpc, "dr-reporting-db", [("tcp", 3306, 3306, "0.0.0.0/0")])
    dr.create_volume(AvailabilityZone=f"{recovery}a", Size=100, Encrypted=True)


def _security_group(ec2: Any, vpc: str, name: str, rules: list[tuple[str, int, int, str]]) -> str:
    group = ec2.create_security_group(GroupName=name, Description=f"{name} (simulated)", VpcId=vpc)["GroupId"]
    permissions = []
    for protocol, low, high, source in rules:
        ranges = {"Ipv6Ranges": [{"CidrIpv6": source}]} if ":" in source else {"IpRanges": [{"CidrIp": source}]}
        permissions.append({"IpProtocol": protocol, "FromPort": low, "ToPort": high, **ranges})
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=permissions)
    return group


def _build_storage(session: Any, primary: str, recovery: str) -> None:
    s3 = session.client("s3", region_name=primary)
    s3.create_bucket(Bucket="clinic-audit-logs")
    s3.put_bucket_encryption(Bucket="clinic-audit-logs", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    # S3 server access logging delivers as the logging service principal, which the policy must allow.
    s3.put_bucket_policy(Bucket="clinic-audit-logs", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowLogDelivery", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": "arn:aws:s3:::clinic-audit-logs/*"},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::clinic-audit-logs", "arn:aws:s3:::clinic-audit-logs/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ],
    }))
    s3.put_public_access_block(Bucket="clinic-audit-logs", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})

    # The well-configured export bucket: KMS encryption, TLS only, public access blocked, versioned, logged.
    s3.create_bucket(Bucket="clinic-ehr-exports")
    s3.put_bucket_encryption(Bucket="clinic-ehr-exports", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    s3.put_bucket_policy(Bucket="clinic-ehr-exports", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": ["arn:aws:s3:::clinic-ehr-exports", "arn:aws:s3:::clinic-ehr-exports/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }))
    s3.put_public_access_block(Bucket="clinic-ehr-exports", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket="clinic-ehr-exports", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(Bucket="clinic-ehr-exports", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "clinic-audit-logs", "TargetPrefix": "s3/clinic-ehr-exports/"}})
    s3.put_bucket_tagging(Bucket="clinic-ehr-exports", Tagging={"TagSet": [{"Key": "ephi", "Value": "true"}]})

    # Patient intake forms: encrypted with SSE-S3 but accepting plain-HTTP requests.
    s3.create_bucket(Bucket="clinic-patient-intake")
    s3.put_bucket_encryption(Bucket="clinic-patient-intake", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_tagging(Bucket="clinic-patient-intake", Tagging={"TagSet": [{"Key": "ephi", "Value": "true"}]})

    dr = session.client("s3", region_name=recovery)
    dr.create_bucket(Bucket="clinic-dr-backups", CreateBucketConfiguration={"LocationConstraint": recovery})
    dr.put_bucket_versioning(Bucket="clinic-dr-backups", VersioningConfiguration={"Status": "Enabled"})


def _build_databases(session: Any, primary: str) -> None:
    ec2 = session.client("ec2", region_name=primary)
    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault"))
    groups = {g["GroupName"]: g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]}
    data_subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.20.20.0/24", f"{primary}a"), ("10.20.21.0/24", f"{primary}b"))
    ]
    billing_group = _security_group(ec2, vpc, "billing-db", [("tcp", 3306, 3306, "0.0.0.0/0")])

    rds = session.client("rds", region_name=primary)
    rds.create_db_subnet_group(DBSubnetGroupName="clinic-data", DBSubnetGroupDescription="clinic data tier",
                               SubnetIds=data_subnets)
    rds.create_db_instance(
        DBInstanceIdentifier="ehr-primary", Engine="postgres", EngineVersion="16.3", DBInstanceClass="db.m6g.large",
        AllocatedStorage=100, MasterUsername="ehradmin", MasterUserPassword="demo-not-a-secret",
        StorageEncrypted=True, PubliclyAccessible=False, BackupRetentionPeriod=14,
        DBSubnetGroupName="clinic-data", VpcSecurityGroupIds=[groups["ehr-database"]],
        Tags=[{"Key": "ephi", "Value": "true"}],
    )
    # A reporting copy someone opened to the internet: public, unencrypted, one day of backups.
    rds.create_db_instance(
        DBInstanceIdentifier="billing-reports", Engine="mysql", DBInstanceClass="db.t3.medium",
        AllocatedStorage=20, MasterUsername="reports", MasterUserPassword="demo-not-a-secret",
        StorageEncrypted=False, PubliclyAccessible=True, BackupRetentionPeriod=1,
        DBSubnetGroupName="clinic-data", VpcSecurityGroupIds=[billing_group],
        Tags=[{"Key": "ephi", "Value": "true"}],
    )
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName="ehr-analytics-tls", DBParameterGroupFamily="aurora-postgresql15",
        Description="require TLS for analytics connections",
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName="ehr-analytics-tls",
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    rds.create_db_cluster(
        DBClusterIdentifier="ehr-analytics", Engine="aurora-postgresql", MasterUsername="analytics",
        MasterUserPassword="demo-not-a-secret", StorageEncrypted=True, BackupRetentionPeriod=7,
        DBClusterParameterGroupName="ehr-analytics-tls", DBSubnetGroupName="clinic-data",
        VpcSecurityGroupIds=[groups["ehr-database"]], Tags=[{"Key": "ephi", "Value": "true"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="ehr-analytics-1", Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
        DBClusterIdentifier="ehr-analytics", PubliclyAccessible=False, DBSubnetGroupName="clinic-data",
    )


def _build_keys_and_logging(session: Any, primary: str) -> None:
    kms = session.client("kms", region_name=primary)
    rotated = kms.create_key(Description="EHR data key (simulated)")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    kms.create_key(Description="Imaging archive key, rotation never enabled (simulated)")
    kms.create_key(Description="Document signing key (simulated)", KeyUsage="SIGN_VERIFY",
                   KeySpec="RSA_2048")

    trail_bucket = "clinic-audit-logs"
    cloudtrail = session.client("cloudtrail", region_name=primary)
    cloudtrail.create_trail(Name="clinic-org-trail", S3BucketName=trail_bucket, IsMultiRegionTrail=True,
                            EnableLogFileValidation=True)
    cloudtrail.start_logging(Name="clinic-org-trail")


def _build_load_balancers(session: Any, primary: str) -> None:
    ec2 = session.client("ec2", region_name=primary)
    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault"))
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.20.10.0/24", f"{primary}a"), ("10.20.11.0/24", f"{primary}b"))
    ]
    elb = session.client("elbv2", region_name=primary)
    target = elb.create_target_group(Name="patient-portal", Protocol="HTTP", Port=8080, VpcId=vpc)
    target_arn = target["TargetGroups"][0]["TargetGroupArn"]

    portal = elb.create_load_balancer(Name="patient-portal", Subnets=subnets, Scheme="internet-facing",
                                      Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    # Plain HTTP straight to the application: credentials and ePHI cross the internet unencrypted.
    elb.create_listener(LoadBalancerArn=portal, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_arn}])

    scheduling = elb.create_load_balancer(Name="scheduling", Subnets=subnets, Scheme="internet-facing",
                                          Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    elb.create_listener(LoadBalancerArn=scheduling, Protocol="HTTP", Port=80, DefaultActions=[{
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
    }])
