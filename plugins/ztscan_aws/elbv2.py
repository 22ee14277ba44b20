"""Elastic Load Balancing v2: load balancers and their listeners."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target

LOAD_BALANCER = "network.load_balancer"


def redirects_to_https(listener: dict[str, Any]) -> bool:
    """Return True when the listener's default action redirects to HTTPS.

    NOTE: only the default action is read, not the listener's rules.
    """
    for action in listener.get("DefaultActions", []):
        if action.get("Type") == "redirect" and (action.get("RedirectConfig") or {}).get("Protocol") == "HTTPS":
            return True
    return False


#: DescribeTags accepts at most 20 load balancer ARNs per request.
TAG_BATCH = 20


def collect_load_balancers(target: Target) -> None:
    try:
        balancers = target.paginate("elbv2", "DescribeLoadBalancers", "LoadBalancers")
    except ApiFailure as failure:
        target.record(failure, LOAD_BALANCER)
        return
    tags = _read_tags(target, [b["LoadBalancerArn"] for b in balancers])
    target.map(lambda balancer: _collect_balancer(target, balancer, tags.get(balancer["LoadBalancerArn"], {})),
               balancers)


def _read_tags(target: Target, arns: list[str]) -> dict[str, dict[str, str]]:
    """Return the tags of each load balancer, read in batches; a failed batch leaves its balancers untagged.

    Tags are no rule fact: a failure is recorded under the pseudo-fact "tags" so that
    the report lists it without turning any rule into ERROR.
    """
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), TAG_BATCH):
        batch = arns[start:start + TAG_BATCH]
        try:
            descriptions = target.call("elbv2", "DescribeTags", ResourceArns=batch).get("TagDescriptions", [])
        except ApiFailure as failure:
            for arn in batch:
                target.record(failure, LOAD_BALANCER, ("tags",), arn)
            continue
        for description in descriptions:
            tags[description["ResourceArn"]] = {t["Key"]: t.get("Value", "") for t in description.get("Tags", [])}
    return tags


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
