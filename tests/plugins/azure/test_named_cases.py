"""Named cases through collect and the rule engine: NSG exposure, TLS versions, and parity with AWS.

Each case builds a small estate on the fake Azure server, collects it with the
real SDK clients and evaluates every built-in rule with the catalogue's
severities.
"""

from __future__ import annotations

import pytest

from tests.plugins.azure.azure_estate import GLOBAL_ADMIN_ROLE, security_rule
from tests.plugins.azure.conftest import evaluate_all, run_scan, statuses

R = security_rule

NSG_CASES = [
    pytest.param([R("deny-ssh", 100, access="Deny", port="22", source="Internet"),
                  R("allow-ssh", 200, port="22", source="Internet")],
                 "ZT-NET-001", "PASS", id="higher-priority-deny-shadows-later-allow-22"),
    pytest.param([R("deny-all-internet", 100, access="Deny", protocol="*", port="*", source="*"),
                  R("allow-ssh", 200, port="22", source="Internet")],
                 "ZT-NET-001", "PASS", id="deny-wildcard-shadows-allow"),
    pytest.param([R("allow-ssh", 100, port="22", source="Internet"),
                  R("deny-ssh", 200, access="Deny", port="22", source="Internet")],
                 "ZT-NET-001", "FAIL", id="lower-priority-deny-shadows-nothing"),
    pytest.param([R("deny-office", 100, access="Deny", port="22", source="10.0.0.0/8"),
                  R("allow-ssh", 200, port="22", source="Internet")],
                 "ZT-NET-001", "FAIL", id="narrow-deny-shadows-nothing"),
    pytest.param([R("allow-rdp", 300, port="3389", source="Internet")],
                 "ZT-NET-001", "FAIL", id="allow-internet-3389"),
    pytest.param([R("allow-rdp", 300, ports=["443", "3389"], source="*")],
                 "ZT-NET-001", "FAIL", id="plural-ports-wildcard-source-3389"),
    pytest.param([R("allow-range", 300, port="20-30", sources=["10.1.0.0/16", "0.0.0.0/0"])],
                 "ZT-NET-001", "FAIL", id="port-range-plural-prefixes-with-any-ipv4"),
    pytest.param([R("allow-any", 300, protocol="*", port="*", source="Any")],
                 "ZT-NET-001", "FAIL", id="any-protocol-any-port"),
    pytest.param([R("allow-ssh-vnet", 300, port="22", source="VirtualNetwork")],
                 "ZT-NET-001", "PASS", id="virtual-network-tag-is-not-internet"),
    pytest.param([R("allow-ssh-asg", 300, port="22", source=None,
                    source_groups=["/subscriptions/sub-a/resourceGroups/rg1/providers/"
                                   "Microsoft.Network/applicationSecurityGroups/jump"])],
                 "ZT-NET-001", "PASS", id="application-security-group-is-not-internet"),
    pytest.param([], "ZT-NET-001", "PASS", id="default-rules-only"),
    pytest.param([R("allow-postgres", 300, port="5432", source="Internet")],
                 "ZT-NET-002", "FAIL", id="allow-internet-5432"),
    pytest.param([R("allow-https", 300, port="443", source="Internet")],
                 "ZT-NET-002", "PASS", id="https-only-no-database-port"),
    pytest.param([], "ZT-NET-003", "NOT_APPLICABLE", id="azure-has-no-default-group"),
]


TLS_CASES = [
    pytest.param("TLS1_0", "FAIL", id="storage-tls1_0-fails"),
    pytest.param("TLS1_1", "FAIL", id="storage-tls1_1-fails"),
    pytest.param("TLS1_2", "PASS", id="storage-tls1_2-passes"),
    pytest.param("TLS1_3", "PASS", id="storage-tls1_3-passes"),
    pytest.param(None, "FAIL", id="storage-unset-fails"),
]


SQL_TLS_CASES = [
    pytest.param("1.1", "FAIL", id="sql-1_1-fails"),
    pytest.param("1.2", "PASS", id="sql-1_2-passes"),
    pytest.param("1.3", "PASS", id="sql-1_3-passes"),
    pytest.param(None, "FAIL", id="sql-unset-fails"),
]


@pytest.fixture(scope="module")
def case_estate(azure_server):
    """Collect one subscription holding one NSG, storage account and SQL server per case, and evaluate it once."""
    from tests.plugins.azure.azure_estate import Estate
    from tests.plugins.azure.conftest import guard_network, prepare_environment

    with pytest.MonkeyPatch.context() as patch:
        azure_server.reset()
        guard_network(patch)
        prepare_environment(patch, azure_server)
        sub = Estate(azure_server).subscription("sub-a")
        ids = {}
        for index, case in enumerate(NSG_CASES):
            ids[("nsg", index)] = sub.nsg(f"nsg{index}", case.values[0])
        for index, case in enumerate(TLS_CASES):
            ids[("storage", index)] = sub.storage_account(f"store{index}", min_tls=case.values[0])
        for index, case in enumerate(SQL_TLS_CASES):
            ids[("sql", index)] = sub.sql_server(f"sql{index}", min_tls=case.values[0]) + "/databases/db1"
        findings = evaluate_all(run_scan(azure_server))
    return ids, findings


@pytest.mark.parametrize(("index", "rule_id", "expected"), [
    pytest.param(index, case.values[1], case.values[2], id=case.id) for index, case in enumerate(NSG_CASES)])
def test_nsg_case(case_estate, index, rule_id, expected):
    ids, findings = case_estate
    assert statuses(findings, rule_id)[ids[("nsg", index)]] == expected


@pytest.mark.parametrize(("index", "expected"), [
    pytest.param(index, case.values[1], id=case.id) for index, case in enumerate(TLS_CASES)])
def test_storage_tls_case(case_estate, index, expected):
    ids, findings = case_estate
    assert statuses(findings, "ZT-DAT-008")[ids[("storage", index)]] == expected


@pytest.mark.parametrize(("index", "expected"), [
    pytest.param(index, case.values[1], id=case.id) for index, case in enumerate(SQL_TLS_CASES)])
def test_sql_tls_case(case_estate, index, expected):
    ids, findings = case_estate
    assert statuses(findings, "ZT-DAT-014")[ids[("sql", index)]] == expected


def test_sql_firewall_allow_all_case(fake, estate):
    server = estate.subscription("sub-a").sql_server(
        "sql1", public_access="Enabled", firewall=[("AllowAll", "0.0.0.0", "255.255.255.255")])
    findings = evaluate_all(run_scan(fake))
    assert statuses(findings, "ZT-NET-002") == {f"{server}/firewallRules": "FAIL"}
    assert statuses(findings, "ZT-NET-006") == {f"{server}/databases/db1": "FAIL"}


# -- parity with AWS --------------------------------------------------------
#
# The same gaps built in both clouds: each logical resource maps to the rules
# it feeds and must get the same status from both providers.

PARITY = {
    "rdp-open": ("ZT-NET-001", "ZT-NET-002"),
    "db-open": ("ZT-NET-001", "ZT-NET-002"),
    "web-only": ("ZT-NET-001", "ZT-NET-002"),
    "records-bucket": ("ZT-DAT-001", "ZT-DAT-005", "ZT-DAT-006", "ZT-BAK-002", "ZT-LOG-002"),
    "archive-bucket": ("ZT-DAT-001", "ZT-DAT-005", "ZT-DAT-006", "ZT-BAK-002", "ZT-LOG-002"),
    "unlogged-network": ("ZT-NET-004",),
    "logged-network": ("ZT-NET-004",),
    "nurse": ("ZT-IAM-001",),
    "doctor": ("ZT-IAM-001",),
}


def _azure_estate(estate):
    sub = estate.subscription("sub-a")
    ids = {
        "rdp-open": sub.nsg("rdp-open", [R("rdp", 100, port="3389", source="Internet")]),
        "db-open": sub.nsg("db-open", [R("postgres", 100, port="5432", source="Internet")]),
        "web-only": sub.nsg("web-only", [R("https", 100, port="443", source="Internet")]),
        "records-bucket": sub.storage_account("records", https_only=False, allow_blob_public=True,
                                              versioning=False, logging=False),
        "archive-bucket": sub.storage_account("archive"),
        "unlogged-network": sub.vnet("unlogged", subnets=[("a", "10.0.1.0/24", None)]),
        "logged-network": sub.vnet("logged", prefixes=["10.1.0.0/16"], subnets=[("a", "10.1.1.0/24", None)]),
    }
    sub.watcher(flow_logs=[(ids["logged-network"], True)])
    ids["nurse"] = f"/tenants/{estate.tenant_id}/users/" + estate.user("nurse", mfa_registered=False)
    ids["doctor"] = f"/tenants/{estate.tenant_id}/users/" + estate.user("doctor", mfa_registered=True)
    return ids


def _aws_estate(ec2, s3, iam):
    ids = {}
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for name, port in (("rdp-open", 3389), ("db-open", 5432), ("web-only", 443)):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ids[name] = group
    ids["unlogged-network"] = vpc
    logged = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    s3.create_bucket(Bucket="flow-log-store")
    ec2.create_flow_logs(ResourceIds=[logged], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-log-store")
    ids["logged-network"] = logged

    for name in ("records-bucket", "archive-bucket", "access-logs"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_acl(Bucket="access-logs", ACL="log-delivery-write")
    s3.put_bucket_versioning(Bucket="archive-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(Bucket="archive-bucket", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "archive/"}})
    s3.put_public_access_block(Bucket="archive-bucket", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket="archive-bucket", Policy=(
        '{"Version": "2012-10-17", "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*",'
        ' "Action": "s3:*", "Resource": ["arn:aws:s3:::archive-bucket", "arn:aws:s3:::archive-bucket/*"],'
        ' "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}'))
    ids["records-bucket"] = "arn:aws:s3:::records-bucket"
    ids["archive-bucket"] = "arn:aws:s3:::archive-bucket"

    for name in ("nurse", "doctor"):
        ids[name] = iam.create_user(UserName=name)["User"]["Arn"]
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="doctor-phone")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="doctor", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    return ids


@pytest.fixture
def aws_findings(monkeypatch):
    """Findings of a moto-backed AWS account holding the same gaps as the Azure estate, with its ids."""
    pytest.importorskip("moto")
    import boto3
    from moto import mock_aws

    from ztscan.provider import CollectContext
    from ztscan_aws.provider import AwsProvider

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1"), ("MOTO_EC2_LOAD_DEFAULT_AMIS", "false"),
                        ("AWS_CONFIG_FILE", "/nonexistent/ztscan-test-config"),
                        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ztscan-test-credentials"),
                        ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        ids = _aws_estate(session.client("ec2"), session.client("s3"), session.client("iam"))
        inventory = AwsProvider().collect({"session": session, "profile": None, "regions": ["us-east-1"]},
                                          CollectContext())
    return ids, evaluate_all(inventory)


def _status_of(findings, rule_id, resource_id):
    """Return the status of one rule on the resource whose id is, or ends with, ``resource_id``.

    The AWS provider reports ARNs, so ``sg-123`` is found as ``arn:aws:ec2:...:security-group/sg-123``.
    """
    for found_id, status in statuses(findings, rule_id).items():
        if found_id == resource_id or found_id.endswith(("/" + resource_id, ":" + resource_id)):
            return status
    return "no finding"


def _results(findings, ids):
    table = {}
    for logical, rule_ids in PARITY.items():
        for rule_id in rule_ids:
            table[(logical, rule_id)] = _status_of(findings, rule_id, ids[logical])
    return table


def test_same_gaps_same_results(fake, estate, aws_findings):
    azure_ids = _azure_estate(estate)
    azure = _results(evaluate_all(run_scan(fake)), azure_ids)
    aws_ids, findings = aws_findings
    aws = _results(findings, aws_ids)
    differences = {key: (aws[key], azure[key]) for key in aws if aws[key] != azure[key]}
    assert differences == {}
    assert "no finding" not in azure.values()


def test_same_gaps_fail_where_expected(fake, estate):
    ids = _azure_estate(estate)
    azure = _results(evaluate_all(run_scan(fake)), ids)
    failing = sorted(key for key, status in azure.items() if status == "FAIL")
    assert failing == sorted([
        ("rdp-open", "ZT-NET-001"), ("db-open", "ZT-NET-002"),
        ("records-bucket", "ZT-DAT-005"), ("records-bucket", "ZT-DAT-006"), ("records-bucket", "ZT-BAK-002"),
        ("records-bucket", "ZT-LOG-002"), ("unlogged-network", "ZT-NET-004"), ("nurse", "ZT-IAM-001"),
    ])


def test_global_admin_direct_assignment_case(fake, estate):
    estate.subscription("sub-a")
    user = estate.user("itadmin", admin_role=GLOBAL_ADMIN_ROLE)
    result = statuses(evaluate_all(run_scan(fake)), "ZT-IAM-007")
    assert result == {f"/tenants/{estate.tenant_id}/users/{user}": "FAIL"}
