"""The declared operation list covers every call the provider makes, and every one is a read."""

from __future__ import annotations

import json

import botocore.session
import pytest

from ztscan.kinds import fact_names
from ztscan_aws.operations import declared_operations

from .hooks import CallRecorder, inject, scan

READ_PREFIXES = ("Get", "List", "Describe")
ADMIN_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _populate(session) -> None:
    """Create at least one resource of every kind the provider reads."""
    iam = session.client("iam")
    iam.create_user(UserName="nurse")
    iam.create_login_profile(UserName="nurse", Password="Secret-123-abc")
    iam.create_access_key(UserName="nurse")
    iam.create_group(GroupName="ops")
    iam.add_user_to_group(GroupName="ops", UserName="nurse")
    iam.put_group_policy(GroupName="ops", PolicyName="inline", PolicyDocument=ADMIN_DOCUMENT)
    arn = iam.create_policy(PolicyName="Admin", PolicyDocument=ADMIN_DOCUMENT)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="ops", PolicyArn=arn)
    iam.attach_user_policy(UserName="nurse", PolicyArn=arn)
    iam.put_user_policy(UserName="nurse", PolicyName="inline", PolicyDocument=ADMIN_DOCUMENT)

    session.client("s3").create_bucket(Bucket="clinic-records")
    kms = session.client("kms")
    kms.create_key()
    ec2 = session.client("ec2")
    ec2.create_volume(Size=8, AvailabilityZone="us-east-1a", Encrypted=True)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    session.client("rds").create_db_instance(
        DBInstanceIdentifier="billing", DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="Secret-12345")
    session.client("cloudtrail").create_trail(Name="audit", S3BucketName="clinic-records")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
    session.client("rds").create_db_cluster(
        DBClusterIdentifier="records", Engine="aurora-postgresql", MasterUsername="admin",
        MasterUserPassword="Secret-12345")
    elbv2 = session.client("elbv2")
    balancer = elbv2.create_load_balancer(Name="portal", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=balancer, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])


@pytest.mark.parametrize("path", ["primary", "fallback"])
def test_called_operations_declared(session, path):
    _populate(session)
    recorder = CallRecorder(session)
    if path == "fallback":
        # Force the per-user and per-policy calls used when the bulk IAM calls are denied.
        inject(session, "iam", "GetAccountAuthorizationDetails", code="AccessDenied")
        inject(session, "iam", "GenerateCredentialReport", code="AccessDenied")

    inventory = scan(session)

    declared = {(op.service, op.operation) for op in declared_operations()}
    called = set(recorder.calls)
    assert called
    assert called - declared == set()
    assert [e.describe() for e in inventory.errors if e.code != "AccessDenied"] == []
    for resource in inventory.resources:
        assert set(resource.facts) <= fact_names(resource.kind), resource.kind


def test_declared_operations_are_reads():
    for operation in declared_operations():
        is_read = operation.operation.startswith(READ_PREFIXES) or operation.operation == "GenerateCredentialReport"
        assert is_read, operation.operation


def test_declared_operations_exist():
    botocore_session = botocore.session.get_session()
    for operation in declared_operations():
        model = botocore_session.get_service_model(operation.service)
        assert operation.operation in model.operation_names, operation
        assert ":" in operation.permission
