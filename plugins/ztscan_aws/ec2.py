"""EC2 and VPC: networks with flow logs, instances, EBS volumes and EBS encryption by default."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.firewall import _tags

NETWORK = "network"
INSTANCE = "compute.instance"
VOLUME = "storage.volume"
ENCRYPTION_DEFAULT = "storage.encryption_default"
#: Instance states that no longer run and are left out of the inventory.
GONE_STATES = {"terminated", "shutting-down"}


def collect_networks(target: Target) -> None:
    """Add every VPC with its flow-log state and active peerings."""
    try:
        vpcs = target.paginate("ec2", "DescribeVpcs", "Vpcs")
    except ApiFailure as failure:
        target.record(failure, NETWORK)
        return
    flow_logged: set[str] | None
    try:
        flow_logged = flow_logged_ids(target)
    except ApiFailure as failure:
        target.record(failure, NETWORK, ("flow_logs_enabled",))
        flow_logged = None
    peerings: dict[str, list[str]] | None = {}
    try:
        connections = target.paginate("ec2", "DescribeVpcPeeringConnections", "VpcPeeringConnections")
        for connection in connections:
            if connection.get("Status", {}).get("Code") != "active":
                continue
            ends = [connection.get("RequesterVpcInfo", {}), connection.get("AccepterVpcInfo", {})]
            for near, far in (ends, ends[::-1]):
                far_arn = f"arn:{target.partition}:ec2:{far.get('Region', target.region)}:{far.get('OwnerId', target.account)}:vpc/{far.get('VpcId')}"
                peerings.setdefault(near.get("VpcId", ""), []).append(far_arn)
    except ApiFailure as failure:
        target.record(failure, NETWORK, ("peerings",))
        peerings = None
    for vpc in vpcs:
        vpc_id = vpc["VpcId"]
        cidrs = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", []) if "CidrBlock" in a]
        cidrs += [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", []) if "Ipv6CidrBlock" in a]
        facts: dict[str, Any] = {"is_default": bool(vpc.get("IsDefault")), "cidrs": cidrs or [vpc.get("CidrBlock")]}
        if flow_logged is not None:
            facts["flow_logs_enabled"] = vpc_id in flow_logged
        if peerings is not None:
            facts["peerings"] = sorted(peerings.get(vpc_id, []))
        tags = _tags(vpc)
        target.add(NETWORK, target.arn("ec2", f"vpc/{vpc_id}"), tags.get("Name", vpc_id), facts, tags)


def flow_logged_ids(target: Target) -> set[str]:
    """Return the ids of the VPCs and subnets with an active flow log; listed once per region for both collectors."""
    def load() -> set[str]:
        flow_logs = target.paginate("ec2", "DescribeFlowLogs", "FlowLogs")
        return {f["ResourceId"] for f in flow_logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"}

    return target.shared("flow-logs", load)


def region_aliases(target: Target) -> list[dict[str, Any]]:
    """Return the region's KMS aliases; listed once per region for the key and the volume collectors."""
    return target.shared("kms-aliases", lambda: target.paginate("kms", "ListAliases", "Aliases"))


def collect_instances(target: Target) -> None:
    try:
        reservations = target.paginate("ec2", "DescribeInstances", "Reservations")
    except ApiFailure as failure:
        target.record(failure, INSTANCE)
        return
    for reservation in reservations:
        for instance in reservation.get("Instances", []):
            if instance.get("State", {}).get("Name") in GONE_STATES:
                continue
            target.add(INSTANCE, target.arn("ec2", f"instance/{instance['InstanceId']}"),
                       _tags(instance).get("Name", instance["InstanceId"]), instance_facts(target, instance),
                       _tags(instance))


def instance_facts(target: Target, instance: dict[str, Any]) -> dict[str, Any]:
    public_ips = set()
    if instance.get("PublicIpAddress"):
        public_ips.add(instance["PublicIpAddress"])
    for interface in instance.get("NetworkInterfaces", []):
        association = interface.get("Association") or {}
        if association.get("PublicIp"):
            public_ips.add(association["PublicIp"])
        # IPv6 addresses of an instance are globally routable.
        public_ips.update(a["Ipv6Address"] for a in interface.get("Ipv6Addresses", []) if "Ipv6Address" in a)
    options = instance.get("MetadataOptions") or {}
    # With the metadata endpoint disabled there is no tokenless access either.
    token_required = options.get("HttpTokens") == "required" or options.get("HttpEndpoint") == "disabled"
    vpc = instance.get("VpcId")
    subnet = instance.get("SubnetId")
    return {
        "public_ips": sorted(public_ips),
        "metadata_token_required": token_required,
        "firewall_ids": [target.arn("ec2", f"security-group/{g['GroupId']}") for g in instance.get("SecurityGroups", [])],
        "network_id": target.arn("ec2", f"vpc/{vpc}") if vpc else None,
        "subnet_id": target.arn("ec2", f"subnet/{subnet}") if subnet else None,
        "os_login": None, "serial_port_enabled": None, "shielded_vm": None,
        "default_service_account_full_scope": None, "encryption_at_host": None,
    }


def collect_volumes(target: Target) -> None:
    try:
        volumes = target.paginate("ec2", "DescribeVolumes", "Volumes")
    except ApiFailure as failure:
        target.record(failure, VOLUME)
        return
    provider_keys: set[str] | None = None
    if any(v.get("KmsKeyId") for v in volumes):
        provider_keys = _provider_key_ids(target, VOLUME)
    for volume in volumes:
        volume_id = volume["VolumeId"]
        resource_id = target.arn("ec2", f"volume/{volume_id}")
        encrypted = bool(volume.get("Encrypted"))
        facts: dict[str, Any] = {
            "encrypted": encrypted,
            "attached_to": [target.arn("ec2", f"instance/{a['InstanceId']}") for a in volume.get("Attachments", [])],
        }
        key = volume.get("KmsKeyId")
        if not encrypted:
            facts["key_type"] = None
        elif not key:
            facts["key_type"] = "provider"
        elif provider_keys is not None:
            facts["key_type"] = "provider" if key.rsplit("/", 1)[-1] in provider_keys else "customer"
        target.add(VOLUME, resource_id, _tags(volume).get("Name", volume_id), facts, _tags(volume))


def _provider_key_ids(target: Target, kind: str) -> set[str] | None:
    """Return the ids of the AWS-managed keys (aliases alias/aws/*) in the region, or None when unreadable."""
    try:
        aliases = region_aliases(target)
    except ApiFailure as failure:
        target.record(failure, kind, ("key_type",))
        return None
    return {a["TargetKeyId"] for a in aliases if a.get("AliasName", "").startswith("alias/aws/") and a.get("TargetKeyId")}


def collect_encryption_default(target: Target) -> None:
    try:
        enabled = target.call("ec2", "GetEbsEncryptionByDefault")["EbsEncryptionByDefault"]
    except ApiFailure as failure:
        target.record(failure, ENCRYPTION_DEFAULT)
        return
    target.add(ENCRYPTION_DEFAULT, target.arn("ec2", "ebs-encryption-by-default"),
               f"EBS encryption by default ({target.region})", {"enabled": bool(enabled)})
