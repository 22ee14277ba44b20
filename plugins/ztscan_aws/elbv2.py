"""Elastic Load Balancing v2: load balancers and their listeners."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.tags import region_tags, tags_of

LOAD_BALANCER = "network.load_balancer"


def redirects_to_https(listener: dict[str, Any]) -> bool:
    """Return True when the listener's default action redirects to HTTPS.

    NOTE: only the default action is read, not the listener's rules.
    """
    for action in listener.get("DefaultActions", []):
        if action.get("Type") == "redirect" and (action.get("RedirectConfig") or {}).get("Protocol") == "HTTPS":
            return True
    return False


def collect_load_balancers(target: Target) -> None:
    try:
        balancers = target.paginate("elbv2", "DescribeLoadBalancers", "LoadBalancers")
    except ApiFailure as failure:
        target.record(failure, LOAD_BALANCER)
        return
    tags = region_tags(target, LOAD_BALANCER) if balancers else None
    target.map(lambda balancer: _collect_balancer(target, balancer, tags_of(tags, balancer["LoadBalancerArn"])),
               balancers)


def _collect_balancer(target: Target, balancer: dict[str, Any], tags: dict[str, str]) -> None:
    arn = balancer["LoadBalancerArn"]
    vpc = balancer.get("VpcId")
    facts: dict[str, Any] = {
        "scheme": balancer.get("Scheme", ""),
        "network_id": target.arn("ec2", f"vpc/{vpc}") if vpc else None,
        # Network and gateway load balancers may have no security groups.
        "firewall_ids": [target.arn("ec2", f"security-group/{g}") for g in balancer.get("SecurityGroups", []) or []],
    }
    try:
        listeners = target.paginate("elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=arn)
        facts["listeners"] = [
            {"port": listener.get("Port"), "protocol": listener.get("Protocol", ""),
             "redirects_to_https": redirects_to_https(listener)}
            for listener in listeners
        ]
    except ApiFailure as failure:
        target.record(failure, LOAD_BALANCER, ("listeners",), arn)
    target.add(LOAD_BALANCER, arn, balancer.get("LoadBalancerName", arn), facts, tags)
