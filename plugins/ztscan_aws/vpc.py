"""VPC structure: subnets with their internet routes and flow logs, and the gateways attached to networks."""

from __future__ import annotations

import logging
from typing import Any, Callable

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.ec2 import flow_logged_ids
from ztscan_aws.firewall import _tags

log = logging.getLogger(__name__)

SUBNET = "network.subnet"
GATEWAY = "network.gateway"
#: Route states that carry traffic. A "blackhole" route points to a deleted gateway.
LIVE_ROUTE_STATES = {"active", None}
#: Gateway states that no longer connect anything and are left out of the inventory.
GONE_GATEWAY_STATES = {"deleted", "deleting", "failed", "rejected"}


def internet_routed_tables(route_tables: list[dict[str, Any]]) -> tuple[dict[str, bool], dict[str, bool]]:
    """Return (subnet id -> routes to an internet gateway, VPC id -> its main table does).

    A subnet with no explicit association uses its VPC's main route table.
    """
    by_subnet: dict[str, bool] = {}
    by_main: dict[str, bool] = {}
    for table in route_tables:
        routed = any(str(route.get("GatewayId", "")).startswith("igw-") and route.get("State") in LIVE_ROUTE_STATES
                     for route in table.get("Routes", []))
        for association in table.get("Associations", []):
            if (association.get("AssociationState") or {}).get("State", "associated") != "associated":
                continue
            if association.get("Main"):
                by_main[table.get("VpcId", "")] = routed
            elif association.get("SubnetId"):
                by_subnet[association["SubnetId"]] = routed
    return by_subnet, by_main


def collect_subnets(target: Target) -> None:
    """Add every subnet of the region with its network, CIDR, internet route and flow-log state."""
    try:
        subnets = target.paginate("ec2", "DescribeSubnets", "Subnets")
    except ApiFailure as failure:
        target.record(failure, SUBNET)
        return
    routes: tuple[dict[str, bool], dict[str, bool]] | None
    try:
        routes = internet_routed_tables(target.paginate("ec2", "DescribeRouteTables", "RouteTables"))
    except ApiFailure as failure:
        target.record(failure, SUBNET, ("public",))
        routes = None
    flow_logged: set[str] | None
    try:
        flow_logged = flow_logged_ids(target)
    except ApiFailure as failure:
        target.record(failure, SUBNET, ("flow_logs_enabled",))
        flow_logged = None

    for subnet in subnets:
        subnet_id, vpc_id = subnet["SubnetId"], subnet.get("VpcId", "")
        cidr = subnet.get("CidrBlock")
        if not cidr:
            # An IPv6-only subnet has no IPv4 block.
            cidr = next((a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet", [])
                         if "Ipv6CidrBlock" in a), "")
        facts: dict[str, Any] = {
            "network_id": target.arn("ec2", f"vpc/{vpc_id}"),
            "cidr": cidr,
            "private_google_access": None,
        }
        if routes is not None:
            by_subnet, by_main = routes
            if subnet_id in by_subnet:
                facts["public"] = by_subnet[subnet_id]
            else:
                # A VPC always has a main route table, so a missing entry means no internet route was found.
                facts["public"] = by_main.get(vpc_id, False)
        if flow_logged is not None:
            facts["flow_logs_enabled"] = subnet_id in flow_logged or vpc_id in flow_logged
        tags = _tags(subnet)
        target.add(SUBNET, target.arn("ec2", f"subnet/{subnet_id}"), tags.get("Name", subnet_id), facts, tags)


def collect_gateways(target: Target) -> None:
    """Add the internet, egress-only internet, NAT and VPN gateways and the transit gateway attachments."""
    readers: list[tuple[str, str, Callable[[Target, dict[str, Any]], None]]] = [
        ("DescribeInternetGateways", "InternetGateways", _add_internet_gateway),
        ("DescribeEgressOnlyInternetGateways", "EgressOnlyInternetGateways", _add_egress_only_gateway),
        ("DescribeNatGateways", "NatGateways", _add_nat_gateway),
        ("DescribeVpnGateways", "VpnGateways", _add_vpn_gateway),
        ("DescribeTransitGatewayAttachments", "TransitGatewayAttachments", _add_transit_attachment),
    ]
    for operation, result_key, add in readers:
        try:
            items = _list(target, operation, result_key)
        except ApiFailure as failure:
            # Gateways of this type may be missing, so the listing of the kind counts as failed in this region.
            target.record(failure, GATEWAY)
            continue
        for item in items:
            add(target, item)


def _list(target: Target, operation: str, result_key: str) -> list[dict[str, Any]]:
    if operation == "DescribeVpnGateways":
        # DescribeVpnGateways has no paginator: one response carries every gateway.
        return target.call("ec2", operation).get(result_key, [])
    return target.paginate("ec2", operation, result_key)


def _vpc_arns(target: Target, vpc_ids: list[str]) -> list[str]:
    return sorted({target.arn("ec2", f"vpc/{vpc_id}") for vpc_id in vpc_ids if vpc_id})


def _add(target: Target, resource_type: str, gateway_id: str, gateway_type: str, vpc_ids: list[str],
         item: dict[str, Any]) -> None:
    tags = _tags(item)
    target.add(GATEWAY, target.arn("ec2", f"{resource_type}/{gateway_id}"), tags.get("Name", gateway_id),
               {"gateway_type": gateway_type, "network_ids": _vpc_arns(target, vpc_ids)}, tags)


def _attached_vpcs(item: dict[str, Any]) -> list[str]:
    return [a["VpcId"] for a in item.get("Attachments", []) or []
            if a.get("VpcId") and a.get("State") not in ("detached", "detaching")]


def _add_internet_gateway(target: Target, item: dict[str, Any]) -> None:
    _add(target, "internet-gateway", item["InternetGatewayId"], "internet", _attached_vpcs(item), item)


def _add_egress_only_gateway(target: Target, item: dict[str, Any]) -> None:
    _add(target, "egress-only-internet-gateway", item["EgressOnlyInternetGatewayId"], "egress-only",
         _attached_vpcs(item), item)


def _add_nat_gateway(target: Target, item: dict[str, Any]) -> None:
    if item.get("State") in GONE_GATEWAY_STATES:
        return
    _add(target, "natgateway", item["NatGatewayId"], "nat", [item.get("VpcId", "")], item)


def _add_vpn_gateway(target: Target, item: dict[str, Any]) -> None:
    if item.get("State") in GONE_GATEWAY_STATES:
        return
    vpcs = [a["VpcId"] for a in item.get("VpcAttachments", []) or []
            if a.get("VpcId") and a.get("State") == "attached"]
    _add(target, "vpn-gateway", item["VpnGatewayId"], "vpn", vpcs, item)


def _add_transit_attachment(target: Target, item: dict[str, Any]) -> None:
    """Add one transit gateway attachment; only VPC attachments name a network."""
    if item.get("State") in GONE_GATEWAY_STATES:
        return
    attachment_id = item["TransitGatewayAttachmentId"]
    tags = _tags(item)
    networks = []
    if item.get("ResourceType") == "vpc" and item.get("ResourceId"):
        # The attached VPC may belong to another account that shares the transit gateway.
        owner = item.get("ResourceOwnerId") or target.account
        networks.append(f"arn:{target.partition}:ec2:{target.region}:{owner}:vpc/{item['ResourceId']}")
    target.add(GATEWAY, target.arn("ec2", f"transit-gateway-attachment/{attachment_id}"),
               tags.get("Name", attachment_id), {"gateway_type": "transit", "network_ids": networks}, tags)
