"""A managed service provider's estate in moto: a hub account, an AWS Organization and client accounts.

The hub account (moto's default account) contains two IAM users whose keys are
written to a credentials file as profiles: ``hub`` may do anything, including
sts:AssumeRole; ``restricted`` may only list buckets, so AssumeRole with it is
denied. moto enforces those user policies only inside
``moto.core.enable_iam_authentication()``, which the scan runs under. moto does
not check role trust policies or external ids, so a denial comes from the
caller's own policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HUB_ACCOUNT = "123456789012"
CLIENT_ACCOUNT = "444455556666"
REGION = "us-east-1"
AUDIT_ROLE = "ZtscanAudit"
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
LIST_BUCKETS_ONLY = json.dumps({"Version": "2012-10-17",
                                "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})


@dataclass
class Estate:
    credentials_file: Path
    member_accounts: list[str] = field(default_factory=list)


def clean_aws_environment(monkeypatch: pytest.MonkeyPatch, credentials_file: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(credentials_file.parent / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def _account_session(boto3: Any, base: Any, account: str) -> Any:
    """Return a session in ``account``: moto maps assumed-role credentials to the role's account."""
    credentials = base.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/Setup",
                                                 RoleSessionName="estate-setup")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=REGION)


def _audit_role(session: Any, bucket: str) -> None:
    iam = session.client("iam")
    iam.create_role(RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=ALLOW_ALL)
    iam.put_role_policy(RoleName=AUDIT_ROLE, PolicyName="audit", PolicyDocument=ALLOW_ALL)
    session.client("s3").create_bucket(Bucket=bucket)


def build_estate(directory: Path, members: int = 3) -> Estate:
    """Create the hub users, an organization with ``members`` member accounts and one standalone client.

    Must run inside ``mock_aws()`` and before IAM authentication is enabled.
    """
    import boto3

    base = boto3.Session(region_name=REGION)
    iam = base.client("iam")
    keys = {}
    for user, policy in (("hub", ALLOW_ALL), ("restricted", LIST_BUCKETS_ONLY)):
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="access", PolicyDocument=policy)
        keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
    iam.create_role(RoleName=AUDIT_ROLE, AssumeRolePolicyDocument=ALLOW_ALL)
    iam.put_role_policy(RoleName=AUDIT_ROLE, PolicyName="audit", PolicyDocument=ALLOW_ALL)

    organizations = base.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    estate = Estate(directory / "aws-credentials")
    for index in range(members):
        request = organizations.create_account(AccountName=f"member-{index}", Email=f"member-{index}@example.com")
        status = organizations.describe_create_account_status(
            CreateAccountRequestId=request["CreateAccountStatus"]["Id"])["CreateAccountStatus"]
        estate.member_accounts.append(status["AccountId"])
    for account in [*estate.member_accounts, CLIENT_ACCOUNT]:
        _audit_role(_account_session(boto3, base, account), f"phi-{account}")

    lines = []
    for user, key in keys.items():
        lines += [f"[{user}]", f"aws_access_key_id = {key['AccessKeyId']}",
                  f"aws_secret_access_key = {key['SecretAccessKey']}", f"region = {REGION}", ""]
    estate.credentials_file.write_text("\n".join(lines), encoding="utf-8")
    return estate


TENANTS_YAML = """\
version: 1
defaults:
  aws:
    regions: [us-east-1]
tenants:
  - name: clinic-group
    description: three clinics in one AWS Organization
    aws:
      profile: hub
      organization:
        member_role: ZtscanAudit
        external_id: clinic-group-2231
        exclude_accounts: ["123456789012"]
  - name: hospital-east
    aws:
      profile: hub
      role_arn: arn:aws:iam::444455556666:role/ZtscanAudit
      external_id: hospital-east-8812
  - name: denied-lab
    aws:
      profile: restricted
      role_arn: arn:aws:iam::444455556666:role/ZtscanAudit
      external_id: denied-lab-0001
  - name: broken-secret
    azure:
      tenant_id: 00000000-0000-0000-0000-000000000001
      client_id: 00000000-0000-0000-0000-000000000002
      client_secret_env: ZTSCAN_TEST_UNSET_SECRET
  - name: msp-hub
    aws:
      profile: hub
  - name: org-typo
    aws:
      profile: hub
      organization:
        member_role: ZtscanAudit
        management_role_arn: arn:aws:iam::123456789012:role/ZtscanAudit
        accounts: ["999999999999"]
"""
