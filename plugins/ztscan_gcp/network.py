"""VPC networks, subnetworks and firewall rules.

Each VPC network yields one ``network`` resource and one ``network.firewall``
resource. The firewall resource contains every firewall rule of the network,
normalized to ``ztscan.kinds.FIREWALL_RULE_FIELDS``. It also contains the two
implied rules every VPC network has: deny all ingress and allow all egress at
priority 65535. The
firewall resource id is the network's self link followed by ``/firewalls``,
because a VPC network has no single firewall object of its own.
"""

from __future__ import annotations

import logging
from typing import Any

from ztscan.model import GLOBAL, CollectionError

from ztscan_gcp.common import ProjectRun, location_region, message_to_dict, relative_name

log = logging.getLogger(__name__)

INTERNET = ["0.0.0.0/0", "::/0"]
IMPLIED_PRIORITY = 65535
DEFAULT_PRIORITY = 1000

#: Protocol numbers Compute Engine accepts in place of names.
_PROTOCOL_NUMBERS = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6", "ipv6-icmp": "icmpv6"}
#: Protocols whose rules can name ports. A rule for them without ports covers every port.
_PORT_PROTOCOLS = {"tcp", "udp", "sctp"}


def firewall_id(network_self_link: str) -> str:
    return network_self_link.rstrip("/") + "/firewalls"


def _port_pairs(protocol: str, ports: list[str] | None) -> list[list[int]] | None:
    """Convert ``["22", "1000-2000"]`` to ``[[22, 22], [1000, 2000]]``. None means every port, or a protocol without ports."""
    if protocol not in _PORT_PROTOCOLS or not ports:
        return None
    pairs = []
    for port in ports:
        low, _, high = str(port).partition("-")
        pairs.append([int(low), int(high or low)])
    return pairs


def normalize_firewall(firewall: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn one Compute Engine firewall rule into normalized rules, one per protocol entry."""
    direction = (firewall.get("direction") or "INGRESS").lower()
    tags = ["tag:" + tag for tag in firewall.get("sourceTags", ())]
    accounts = ["serviceAccount:" + email for email in firewall.get("sourceServiceAccounts", ())]
    if direction == "ingress":
        sources = list(firewall.get("sourceRanges", ()))
        source_refs = tags + accounts
        if not sources and not source_refs:
            # Compute Engine applies 0.0.0.0/0 to an ingress rule that names no source at all.
            sources = ["0.0.0.0/0"]
    else:
        sources = list(firewall.get("destinationRanges", ())) or ["0.0.0.0/0"]
        source_refs = []

    target_list = ["tag:" + tag for tag in firewall.get("targetTags", ())]
    target_list += ["serviceAccount:" + email for email in firewall.get("targetServiceAccounts", ())]
    priority = firewall.get("priority")
    common = {
        "direction": direction,
        "sources": sources,
        "source_refs": source_refs,
        "priority": int(priority) if priority is not None else DEFAULT_PRIORITY,
        "enabled": not firewall.get("disabled", False),
        "builtin": False,
        "targets": target_list or None,
        "name": firewall.get("name", ""),
    }

    rules = []
    for action, field_name in (("allow", "allowed"), ("deny", "denied")):
        for entry in firewall.get(field_name, ()):
            raw = str(entry.get("IPProtocol", "all")).lower()
            protocol = _PROTOCOL_NUMBERS.get(raw, raw)
            rules.append({**common, "action": action, "protocol": protocol,
                          "ports": _port_pairs(protocol, entry.get("ports"))})
    return rules


def implied_rules() -> list[dict[str, Any]]:
    """Return the implied rules of every VPC network: deny all ingress, allow all egress."""
    base = {"protocol": "all", "ports": None, "sources": list(INTERNET), "source_refs": [],
            "priority": IMPLIED_PRIORITY, "enabled": True, "builtin": True, "targets": None}
    return [
        {**base, "direction": "ingress", "action": "deny", "name": "implied-deny-ingress"},
        {**base, "direction": "egress", "action": "allow", "name": "implied-allow-egress"},
    ]


def _subnet_flow_logs(subnet: dict[str, Any]) -> bool | None:
    """Return whether a subnetwork logs flows, or None for proxy-only and other special-purpose subnets."""
    purpose = subnet.get("purpose", "PRIVATE")
    if purpose not in ("PRIVATE", "PRIVATE_RFC_1918", "PRIVATE_SERVICE_CONNECT"):
        return None
    log_config = subnet.get("logConfig") or {}
    return bool(log_config.get("enable", subnet.get("enableFlowLogs", False)))


def collect(run: ProjectRun) -> None:
    """Collect networks, subnetworks and firewall rules of one project."""
    ok_networks, networks = run.call(
        "compute", "networks.list", "network",
        lambda: [message_to_dict(n) for n in run.apis.compute("NetworksClient").list(
            project=run.project, retry=run.apis.retry(), timeout=run.apis.timeout())])
    ok_subnets, subnets = run.call(
        "compute", "subnetworks.aggregatedList", "network.subnet",
        lambda: [message_to_dict(s) for _, scoped in run.apis.compute("SubnetworksClient").aggregated_list(
            project=run.project, retry=run.apis.retry(), timeout=run.apis.timeout())
            for s in scoped.subnetworks])
    ok_firewalls, firewalls = run.call(
        "compute", "firewalls.list", "network.firewall",
        lambda: [message_to_dict(f) for f in run.apis.compute("FirewallsClient").list(
            project=run.project, retry=run.apis.retry(), timeout=run.apis.timeout())])

    subnets_by_network: dict[str, list[dict[str, Any]]] = {}
    for subnet in subnets or ():
        region = location_region(subnet)
        subnets_by_network.setdefault(relative_name(subnet.get("network")), []).append(subnet)
        run.add("network.subnet", subnet["selfLink"], subnet.get("name", ""), region, {
            "network_id": subnet.get("network", ""),
            "cidr": subnet.get("ipCidrRange", ""),
            "flow_logs_enabled": _subnet_flow_logs(subnet),
            "private_google_access": bool(subnet.get("privateIpGoogleAccess", False)),
            "public": None,
        })

    rules_by_network: dict[str, list[dict[str, Any]]] = {}
    for firewall in firewalls or ():
        rules_by_network.setdefault(relative_name(firewall.get("network")), []).extend(normalize_firewall(firewall))

    if not ok_networks:
        # Firewall rules are grouped per network, so without the networks none can be reported.
        if ok_firewalls:
            run.errors.append(CollectionError(run.scope(), "compute", "networks.list", "DependencyFailed",
                                              "networks could not be listed, so firewall rules cannot be grouped",
                                              "network.firewall"))
        return
    attached = _instances_by_network(run)
    for network in networks or ():
        _add_network(run, network, subnets_by_network, rules_by_network, ok_subnets, ok_firewalls, attached)


def _instances_by_network(run: ProjectRun) -> dict[str, list[str]] | None:
    if run.instances is None:
        return None
    found: dict[str, list[str]] = {}
    for instance in run.instances:
        for interface in instance.get("networkInterfaces", ()):
            found.setdefault(relative_name(interface.get("network")), []).append(instance["selfLink"])
    return found


def _add_network(run: ProjectRun, network: dict[str, Any], subnets_by_network: dict[str, list[dict[str, Any]]],
                 rules_by_network: dict[str, list[dict[str, Any]]], ok_subnets: bool, ok_firewalls: bool,
                 attached: dict[str, list[str]] | None) -> None:
    self_link = network["selfLink"]
    key = relative_name(self_link)
    name = network.get("name", "")
    is_default = name == "default" and bool(network.get("autoCreateSubnetworks", False))
    facts: dict[str, Any] = {
        "is_default": is_default,
        "peerings": [peering.get("network", "") for peering in network.get("peerings", ())],
    }
    if ok_subnets:
        subnets = subnets_by_network.get(key, [])
        # A network without subnetworks carries no traffic, so nothing logs it: reported as False.
        logged = [_subnet_flow_logs(subnet) for subnet in subnets]
        facts["flow_logs_enabled"] = bool(subnets) and all(flag is not False for flag in logged)
        facts["cidrs"] = [subnet.get("ipCidrRange", "") for subnet in subnets]
        if network.get("IPv4Range"):
            facts["cidrs"].append(network["IPv4Range"])
    else:
        run.missing("network", ("flow_logs_enabled", "cidrs"), "compute", "subnetworks.aggregatedList",
                    "subnetworks could not be listed", resource_id=self_link)
    run.add("network", self_link, name, GLOBAL, facts)

    if not ok_firewalls:
        return
    firewall_facts: dict[str, Any] = {
        "rules": rules_by_network.get(key, []) + implied_rules(),
        # The auto-mode network named default comes with default-allow-* rules, so it plays
        # the part of a platform default group.
        "is_default_group": is_default,
        "network_id": self_link,
    }
    if attached is not None:
        firewall_facts["attached_to"] = attached.get(key, [])
    else:
        run.missing("network.firewall", ("attached_to",), "compute", "instances.aggregatedList",
                    "instances could not be listed", resource_id=firewall_id(self_link))
    run.add("network.firewall", firewall_id(self_link), name, GLOBAL, firewall_facts)
