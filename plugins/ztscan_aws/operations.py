"""Every AWS API operation the AWS provider may call, with the IAM action that allows it.

All of them are reads. The AWS-managed SecurityAudit policy is meant to cover such
audit reads; NOTE: that it includes tag:GetResources (used only for the asset
inventory's tags, which no rule reads) has not been checked against the policy text.
"""

from __future__ import annotations

from ztscan.provider import ApiOperation

_OPERATIONS = {
    "sts": [("GetCallerIdentity", "identify the account (needs no permission)")],
    "organizations": [("ListAccounts", "member accounts of an AWS Organization (tenants file organization entries)")],
    "ec2": [
        ("DescribeRegions", "list regions and their opt-in status"),
        ("DescribeVpcs", "networks"),
        ("DescribeFlowLogs", "VPC flow logs"),
        ("DescribeVpcPeeringConnections", "network peerings"),
        ("DescribeSecurityGroups", "firewall rules"),
        ("DescribeNetworkInterfaces", "resources attached to security groups"),
        ("DescribeInstances", "instances, public addresses, IMDSv2"),
        ("DescribeVolumes", "EBS volume encryption"),
        ("GetEbsEncryptionByDefault", "EBS encryption by default per region"),
        ("DescribeSubnets", "subnets"),
        ("DescribeRouteTables", "whether a subnet routes to an internet gateway"),
        ("DescribeInternetGateways", "internet gateways"),
        ("DescribeEgressOnlyInternetGateways", "egress-only internet gateways"),
        ("DescribeNatGateways", "NAT gateways"),
        ("DescribeVpnGateways", "VPN gateways"),
        ("DescribeTransitGatewayAttachments", "transit gateway attachments"),
    ],
    "iam": [
        ("ListAccountAliases", "account display name"),
        ("GetAccountPasswordPolicy", "password policy"),
        ("GenerateCredentialReport", "request the credential report"),
        ("GetCredentialReport", "passwords, MFA and access keys of every user"),
        ("GetAccountSummary", "root MFA and root access keys"),
        ("ListVirtualMFADevices", "whether the root MFA device is hardware"),
        ("ListUsers", "users, when authorization details are denied or a user is missing from the credential report"),
        ("GetLoginProfile", "console password, when the credential report lacks the user"),
        ("ListMFADevices", "MFA devices, when the credential report lacks the user"),
        ("ListAccessKeys", "access keys, when the credential report lacks the user"),
        ("GetAccessKeyLastUsed", "access key last use, when the credential report lacks the user"),
        ("GetAccountAuthorizationDetails", "policies of every user and group"),
        ("ListPolicies", "managed policies, when authorization details are denied"),
        ("GetPolicy", "a managed policy's default version"),
        ("GetPolicyVersion", "a managed policy's document"),
        ("ListAttachedUserPolicies", "policies attached to a user"),
        ("ListUserPolicies", "inline policies of a user"),
        ("GetUserPolicy", "an inline user policy"),
        ("ListGroupsForUser", "groups of a user"),
        ("ListAttachedGroupPolicies", "policies attached to a group"),
        ("ListGroupPolicies", "inline policies of a group"),
        ("GetGroupPolicy", "an inline group policy"),
    ],
    "s3": [
        ("ListBuckets", "buckets, with each bucket's region"),
        ("GetBucketLocation", "bucket region, when the listing does not give it"),
        ("GetBucketEncryption", "default encryption"),
        ("GetBucketPolicy", "TLS enforcement"),
        ("GetPublicAccessBlock", "bucket public access block"),
        ("GetBucketPolicyStatus", "whether the bucket policy is public, when a policy exists and no block restricts it"),
        ("GetBucketAcl", "public ACL grants, when no block ignores them"),
        ("GetBucketVersioning", "versioning"),
        ("GetBucketLogging", "access logging"),
    ],
    "s3control": [("GetPublicAccessBlock", "account public access block")],
    "rds": [
        ("DescribeDBClusters", "database clusters"),
        ("DescribeDBInstances", "database instances"),
        ("DescribeDBParameters", "TLS settings in DB parameter groups"),
        ("DescribeDBClusterParameters", "TLS settings in DB cluster parameter groups"),
        ("DescribeDBSubnetGroups", "the network of a DB cluster"),
    ],
    "kms": [
        ("ListKeys", "keys"),
        ("DescribeKey", "key manager, spec, origin and state"),
        ("GetKeyRotationStatus", "rotation of customer-managed keys"),
        ("ListAliases", "key names, and the AWS-managed keys behind alias/aws/ aliases"),
    ],
    "cloudtrail": [
        ("DescribeTrails", "trails"),
        ("GetTrailStatus", "whether a trail is logging"),
        ("GetEventSelectors", "management and data events"),
    ],
    "elbv2": [
        ("DescribeLoadBalancers", "load balancers"),
        ("DescribeListeners", "listeners"),
    ],
    "resourcegroupstaggingapi": [("GetResources", "tags of buckets and load balancers, one listing per region")],
}

#: IAM action prefixes that differ from the boto3 service name.
_PERMISSION_PREFIXES = {"elbv2": "elasticloadbalancing", "s3control": "s3", "resourcegroupstaggingapi": "tag"}
#: Operations whose IAM action name differs from the operation name.
_PERMISSION_NAMES = {
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "GetBucketPolicy"): "GetBucketPolicy",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3control", "GetPublicAccessBlock"): "GetAccountPublicAccessBlock",
    ("s3", "GetBucketVersioning"): "GetBucketVersioning",
}


def declared_operations() -> list[ApiOperation]:
    operations = []
    for service, entries in _OPERATIONS.items():
        prefix = _PERMISSION_PREFIXES.get(service, service)
        for operation, purpose in entries:
            action = _PERMISSION_NAMES.get((service, operation), operation)
            operations.append(ApiOperation(service, operation, f"{prefix}:{action}", purpose))
    return operations
