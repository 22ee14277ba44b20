"""Required AWS cases end to end: collect through boto3 (moto, or recorded AWS responses), then evaluate.

Each case runs the built-in rules with the severities of the rule catalogue and
checks the status the rule must report.
"""

from __future__ import annotations

import json

import pytest

from ztscan.engine import evaluate
from ztscan.model import ScopeState, Status
from ztscan.report import ExitCode, build_report
from ztscan.rulecatalogue import load_rule_catalogue
from ztscan.rules import all_rules
from ztscan_aws.firewall import collect_security_groups
from ztscan_aws.iam import collect_users_and_root
from ztscan_aws.kms import collect_keys
from ztscan_aws.rds import collect_databases
from ztscan_aws.s3 import collect_buckets

from .accounts import SSE_S3_DEFAULT, add_paged_users
from .hooks import REGION, collect_with, inject, scan

ADMIN_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _findings(inventory):
    catalogue = load_rule_catalogue()
    rules = list(all_rules())
    return evaluate(inventory, rules, {rule.id: catalogue[rule.id].severity for rule in rules})


def _status(findings, rule_id, name):
    matches = [f.status for f in findings if f.rule_id == rule_id and f.resource_name == name]
    assert len(matches) == 1, (rule_id, name, matches)
    return matches[0]


def test_sse_s3_default_bucket_passes(session):
    session.client("s3").create_bucket(Bucket="clinic-images")
    inject(session, "s3", "GetBucketEncryption", parsed=SSE_S3_DEFAULT)

    findings = _findings(collect_with(session, collect_buckets, {REGION}, region="global"))

    assert _status(findings, "ZT-DAT-001", "clinic-images") is Status.PASS


@pytest.mark.parametrize(
    ("permission", "expected"),
    [
        pytest.param({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
                     {"ZT-NET-001": Status.FAIL}, id="ssh-from-ipv6-internet"),
        pytest.param({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                     {"ZT-NET-001": Status.FAIL, "ZT-NET-002": Status.FAIL}, id="all-traffic"),
        pytest.param({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                     {"ZT-NET-001": Status.FAIL, "ZT-NET-002": Status.FAIL}, id="every-tcp-port"),
    ],
)
def test_internet_ingress_fails(session, permission, expected):
    ec2 = session.client("ec2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="exposed", Description="exposed", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[permission])

    findings = _findings(collect_with(session, collect_security_groups))

    for rule_id, status in expected.items():
        assert _status(findings, rule_id, "exposed") is status, rule_id


def test_keys_only_user_console_mfa_not_applicable(session):
    iam = session.client("iam")
    iam.create_user(UserName="etl")
    iam.create_access_key(UserName="etl")

    findings = _findings(collect_with(session, collect_users_and_root, region="global"))

    assert _status(findings, "ZT-IAM-001", "etl") is Status.NOT_APPLICABLE


def test_login_profile_error_is_error(session):
    session.client("iam").create_user(UserName="doctor")
    inject(session, "iam", "GenerateCredentialReport", code="AccessDenied")
    inject(session, "iam", "GetLoginProfile", code="AccessDenied")

    findings = _findings(collect_with(session, collect_users_and_root, region="global"))

    assert _status(findings, "ZT-IAM-001", "doctor") is Status.ERROR


def test_policy_version_denied_incomplete(session):
    iam = session.client("iam")
    arn = iam.create_policy(PolicyName="FullAdmin", PolicyDocument=ADMIN_DOCUMENT)["Policy"]["Arn"]
    iam.create_user(UserName="ops-lead")
    iam.attach_user_policy(UserName="ops-lead", PolicyArn=arn)
    inject(session, "iam", "GetAccountAuthorizationDetails", code="AccessDenied")
    inject(session, "iam", "GetPolicyVersion", code="AccessDenied")

    inventory = scan(session)
    findings = _findings(inventory)
    report = build_report(inventory, findings, {})

    assert _status(findings, "ZT-IAM-007", "ops-lead") is Status.ERROR
    assert report.incomplete is True
    assert report.exit_code(None) is ExitCode.INCOMPLETE


def test_user_without_mfa_on_last_page_fails(session):
    names, served = add_paged_users(session)
    # With authorization details denied, the users come from the paged ListUsers listing.
    inject(session, "iam", "GetAccountAuthorizationDetails", code="AccessDenied")

    findings = _findings(collect_with(session, collect_users_and_root, region="global"))

    assert len(served) == 3
    assert _status(findings, "ZT-IAM-001", names[-1]) is Status.FAIL
    assert _status(findings, "ZT-IAM-001", names[0]) is Status.NOT_APPLICABLE


def test_not_opted_in_region_skipped(session):
    # moto reports me-south-1 as not opted in, as AWS does for an opt-in region never enabled.
    inventory = scan(session, regions=[REGION, "me-south-1"])
    findings = _findings(inventory)

    skipped = [r for r in inventory.scopes if r.state is ScopeState.SKIPPED]
    assert [r.scope.region for r in skipped] == ["me-south-1"]
    assert [f for f in findings if f.scope.region == "me-south-1"] == []
    assert [f for f in findings if f.status is Status.ERROR] == []


def test_aurora_member_encrypted_passes(session):
    rds = session.client("rds")
    rds.create_db_cluster(DBClusterIdentifier="records", Engine="aurora-mysql", MasterUsername="admin",
                          MasterUserPassword="Secret-12345", StorageEncrypted=True)
    rds.create_db_instance(DBInstanceIdentifier="records-1", DBInstanceClass="db.r6g.large",
                           Engine="aurora-mysql", DBClusterIdentifier="records")

    findings = _findings(collect_with(session, collect_databases))

    assert _status(findings, "ZT-DAT-003", "records-1") is Status.PASS
    assert _status(findings, "ZT-BAK-001", "records-1") is Status.NOT_APPLICABLE


@pytest.mark.parametrize(
    "create",
    [
        pytest.param({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Description": "signing"}, id="asymmetric"),
        pytest.param({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC", "Description": "mac"}, id="hmac"),
        pytest.param({"Origin": "EXTERNAL", "Description": "imported"}, id="imported"),
    ],
)
def test_unrotatable_keys_not_applicable(session, create):
    session.client("kms").create_key(**create)

    findings = _findings(collect_with(session, collect_keys))

    assert _status(findings, "ZT-DAT-007", create["Description"]) is Status.NOT_APPLICABLE


def test_custom_key_store_key_not_applicable(session):
    key = session.client("kms").create_key(Description="hsm")["KeyMetadata"]
    inject(session, "kms", "DescribeKey", parsed={"KeyMetadata": {
        **key, "Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "cks-1234567890abcdef0"}})

    findings = _findings(collect_with(session, collect_keys))

    assert _status(findings, "ZT-DAT-007", "hsm") is Status.NOT_APPLICABLE
