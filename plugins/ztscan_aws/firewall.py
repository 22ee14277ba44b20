"""Security groups as provider-neutral firewalls with normalized rules."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target

FIREWALL = "network.firewall"
#: IP protocol numbers that have a name in the normalized rule format.
PROTOCOL_NAMES = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6",
                  "tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "icmpv6"}


def normalize_permission(permission: dict[str, Any], direction: str, group_id: str) -> list[dict[str, Any]]:
    """Turn one IpPermission into normalized rules: one for its CIDR sources, one for its references.

    Protocol "-1" becomes "all" with ports None. TCP and UDP ports become one
    inclusive [from, to] pair. ICMP type and code are not ports, so ICMP rules get None.
    """
    raw_protocol = str(permission.get("IpProtocol", "-1"))
    protocol = PROTOCOL_NAMES.get(raw_protocol.lower(), raw_protocol)
    ports = None
    if protocol in ("tcp", "udp") and permission.get("FromPort") is not None:
        ports = [[int(permission["FromPort"]), int(permission["ToPort"])]]
    cidrs = [r["CidrIp"] for r in permission.get("IpRanges", []) if "CidrIp" in r]
    cidrs += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if "CidrIpv6" in r]
    refs = [p["PrefixListId"] for p in permission.get("PrefixListIds", []) if "PrefixListId" in p]
    refs += [_group_ref(pair) for pair in permission.get("UserIdGroupPairs", [])]
    base = {
        "direction": direction, "action": "allow", "protocol": protocol, "ports": ports,
        "priority": None, "enabled": True, "builtin": False, "targets": None,
    }
    rules = []
    if cidrs:
        rules.append({**base, "sources": cidrs, "source_refs": [], "name": f"{group_id} {direction} {protocol} cidr"})
    if refs:
        rules.append({**base, "sources": [], "source_refs": refs, "name": f"{group_id} {direction} {protocol} refs"})
    return rules


def _group_ref(pair: dict[str, Any]) -> str:
    group = pair.get("GroupId") or pair.get("GroupName", "")
    return f"{pair['UserId']}/{group}" if pair.get("UserId") else group


def collect_security_groups(target: Target) -> None:
    """Add every security group of the region, with the interfaces and instances that use it."""
    try:
        groups = target.paginate("ec2", "DescribeSecurityGroups", "SecurityGroups")
    except ApiFailure as failure:
        target.record(failure, FIREWALL)
        return
    attached: dict[str, list[str]] | None = {}
    try:
        for interface in target.paginate("ec2", "DescribeNetworkInterfaces", "NetworkInterfaces"):
            user = interface.get("Attachment", {}).get("InstanceId")
            user_id = target.arn("ec2", f"instance/{user}") if user else \
                target.arn("ec2", f"network-interface/{interface['NetworkInterfaceId']}")
            for group in interface.get("Groups", []):
                attached.setdefault(group["GroupId"], []).append(user_id)
    except ApiFailure as failure:
        target.record(failure, FIREWALL, ("attached_to",))
        attached = None
    for group in groups:
        group_id = group["GroupId"]
        rules = []
        for permission in group.get("IpPermissions", []):
            rules.extend(normalize_permission(permission, "ingress", group_id))
        for permission in group.get("IpPermissionsEgress", []):
            rules.extend(normalize_permission(permission, "egress", group_id))
        vpc = group.get("VpcId")
        facts: dict[str, Any] = {
            "rules": rules,
            "is_default_group": group.get("GroupName") == "default",
            "network_id": target.arn("ec2", f"vpc/{vpc}") if vpc else None,
        }
        if attached is not None:
            facts["attached_to"] = sorted(set(attached.get(group_id, [])))
        target.add(FIREWALL, target.arn("ec2", f"security-group/{group_id}"), group.get("GroupName", group_id),
                   facts, _tags(group))


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in item.get("Tags", []) or []}
