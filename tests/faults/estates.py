"""Small but varied estates for the fault tests, one per provider, built on the servers the tests start."""

from __future__ import annotations

from typing import Any

from tests.plugins.azure.azure_estate import GLOBAL_ADMIN_ROLE, Estate, security_rule
from tests.plugins.gcp import builders as gcp

GCP_PROJECTS = ("clinic-prod", "clinic-lab")
AZURE_SUBSCRIPTIONS = ("00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b")
AWS_REGION = "us-east-1"


def build_aws(endpoint: str) -> None:
    """Create IAM users, buckets, security groups, volumes and KMS keys in moto through ``endpoint``."""
    import boto3

    session = boto3.Session(region_name=AWS_REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    iam = session.client("iam", endpoint_url=endpoint)
    s3 = session.client("s3", endpoint_url=endpoint)
    ec2 = session.client("ec2", endpoint_url=endpoint)
    kms = session.client("kms", endpoint_url=endpoint)
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
    iam.create_login_profile(UserName="bob", Password="Secret-123-abc")
    iam.create_access_key(UserName="carol")
    admin = iam.create_policy(PolicyName="full-admin", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'))
    iam.attach_user_policy(UserName="carol", PolicyArn=admin["Policy"]["Arn"])
    iam.update_account_password_policy(MinimumPasswordLength=8)
    for name in ("phi-records", "phi-archive", "public-site"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket="phi-archive", VersioningConfiguration={"Status": "Enabled"})
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for name, port in (("ssh-open", 22), ("db-open", 5432), ("web-only", 443)):
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.create_volume(AvailabilityZone=f"{AWS_REGION}a", Size=8, Encrypted=False)
    ec2.create_volume(AvailabilityZone=f"{AWS_REGION}a", Size=8, Encrypted=True)
    key = kms.create_key(Description="phi")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key)
    kms.create_key(Description="no rotation")


def build_azure(estate: Estate) -> None:
    """Two subscriptions with NSGs, storage, SQL, a vault, networks, and three users."""
    for index, subscription_id in enumerate(AZURE_SUBSCRIPTIONS):
        sub = estate.subscription(subscription_id, name=f"Clinic {index}")
        sub.nsg("rdp-open", [security_rule("rdp", 100, port="3389", source="Internet")])
        sub.nsg("web-only", [security_rule("https", 100, port="443", source="Internet")])
        sub.storage_account(f"records{index}", https_only=False)
        sub.storage_account(f"archive{index}")
        sub.sql_server(f"sql{index}", min_tls="1.1")
        sub.vault(f"vault{index}", keys=[("k1", "P90D"), ("k2", None)])
        network = sub.vnet("phi", subnets=[("a", "10.0.1.0/24", None)])
        sub.watcher(flow_logs=[(network, index == 0)])
        sub.disk(f"disk{index}")
    estate.user("nurse", mfa_registered=False)
    estate.user("doctor", mfa_registered=True)
    estate.user("itadmin", admin_role=GLOBAL_ADMIN_ROLE)


def build_gcp(server: Any) -> None:
    """Two projects with firewalls, buckets, SQL, service account keys and KMS keys."""
    ssh = {"IPProtocol": "tcp", "ports": ["22"]}
    for p in GCP_PROJECTS:
        gcp.ProjectLayout(
            p,
            networks=[gcp.network(p, "phi", auto=False)],
            subnet_scopes={"regions/us-central1": [gcp.subnetwork(p, "a", network_name="phi", flow_logs=True)]},
            firewalls=[gcp.firewall(p, "ssh-open", "phi", allowed=[ssh], sourceRanges=["0.0.0.0/0"]),
                       gcp.firewall(p, "internal", "phi", allowed=[ssh], sourceRanges=["10.0.0.0/8"])],
            instance_scopes={"zones/us-central1-a": [gcp.instance(p, "vm1", nat_ip="203.0.113.5")]},
            disk_scopes={"zones/us-central1-a": [gcp.disk(p, "disk1")]},
            buckets=[gcp.bucket(f"{p}-records"), gcp.bucket(f"{p}-archive", versioning={"enabled": True})],
            sql_instances=[gcp.sql_instance(p, "db1")],
            service_accounts=[gcp.service_account(p, f"app@{p}.iam.gserviceaccount.com")],
            service_account_keys={f"app@{p}.iam.gserviceaccount.com": [
                gcp.account_key(p, f"app@{p}.iam.gserviceaccount.com", "k1", "2024-01-01T00:00:00Z")]},
            crypto_keys={"us-central1": [{"short": "phi", "purpose": "ENCRYPT_DECRYPT",
                                          "rotationPeriod": "7776000s",
                                          "primary": {"state": "ENABLED"}}]},
        ).install(server)


def finding_set(findings: Any) -> set[tuple[str, str, str]]:
    """Return the comparable form of a scan's findings: (rule, resource, status)."""
    return {(f.rule_id, f.resource_id, f.status.value) for f in findings}
