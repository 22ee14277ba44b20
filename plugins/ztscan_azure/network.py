"""Collect network security groups, virtual networks, subnets, public IPs, interfaces and flow logs.

Flow logs: a virtual network counts as having flow logs enabled in two cases.
Either an enabled Network Watcher flow log targets the virtual network itself,
or the network has at least one subnet and every subnet is covered by an
enabled flow log on the subnet or on the NSG associated with the subnet. NSG
flow logs on network interfaces alone do not count, because traffic of other
interfaces in the network would go unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ztscan.provider import ApiOperation

from ztscan_azure import nsg
from ztscan_azure.arm import (
    AzureSession,
    CallFailed,
    Recorder,
    each,
    id_key,
    id_part,
    location_scope,
    parent_id,
    props,
    subscription_scope,
)

OPS = {
    "nsgs": ApiOperation("network", "networkSecurityGroups.listAll", "Microsoft.Network/networkSecurityGroups/read",
                         "NSG rules, default rules and associations"),
    "vnets": ApiOperation("network", "virtualNetworks.listAll", "Microsoft.Network/virtualNetworks/read",
                          "virtual networks, subnets and peerings"),
    "nics": ApiOperation("network", "networkInterfaces.listAll", "Microsoft.Network/networkInterfaces/read",
                         "interfaces of virtual machines: public IPs, subnets, NSGs"),
    "public_ips": ApiOperation("network", "publicIPAddresses.listAll", "Microsoft.Network/publicIPAddresses/read",
                               "public IP addresses and what they are attached to"),
    "watchers": ApiOperation("network", "networkWatchers.listAll", "Microsoft.Network/networkWatchers/read",
                             "Network Watchers, which hold the flow logs of their region"),
    "flow_logs": ApiOperation("network", "flowLogs.list", "Microsoft.Network/networkWatchers/flowLogs/read",
                              "NSG and virtual network flow logs"),
}

_FLOW_FACTS = (("network", ("flow_logs_enabled",)), ("network.subnet", ("flow_logs_enabled",)))


@dataclass
class NetworkData:
    """Network listings that the compute collector reads. A field is None when its listing failed."""

    nics: dict[str, dict[str, Any]] | None = None
    public_ips: dict[str, dict[str, Any]] | None = None
    subnet_nsgs: dict[str, str | None] | None = None


@dataclass
class _FlowLogs:
    enabled_targets: set[str] = field(default_factory=set)
    failed_everywhere: bool = False
    failed_locations: set[str] = field(default_factory=set)

    def known(self, location: str) -> bool:
        return not self.failed_everywhere and location not in self.failed_locations


def _region(item: dict[str, Any]) -> str:
    return str(item.get("location") or "global").replace(" ", "").lower()


def collect(session: AzureSession, recorder: Recorder, subscription_id: str) -> NetworkData:
    from azure.mgmt.network import NetworkManagementClient

    client = session.client(NetworkManagementClient, subscription_id)
    scope = subscription_scope(subscription_id)
    data = NetworkData()

    try:
        groups = recorder.call(OPS["nsgs"], lambda: each(client.network_security_groups.list_all()), scope,
                               [("network.firewall", ())])
    except CallFailed:
        groups = []
    for group in groups:
        _add_firewall(recorder, subscription_id, group)

    flow_logs = _collect_flow_logs(client, recorder, subscription_id)

    try:
        vnets = recorder.call(OPS["vnets"], lambda: each(client.virtual_networks.list_all()), scope,
                              [("network", ()), ("network.subnet", ()), ("compute.instance", ("firewall_ids",))])
        data.subnet_nsgs = {}
    except CallFailed:
        vnets = []
    for vnet in vnets:
        _add_network(recorder, subscription_id, vnet, flow_logs, data)

    try:
        public_ips = recorder.call(OPS["public_ips"], lambda: each(client.public_ip_addresses.list_all()), scope,
                                   [("network.public_ip", ()), ("compute.instance", ("public_ips",))])
        data.public_ips = {id_key(item.get("id")): item for item in public_ips}
    except CallFailed:
        public_ips = []
    for address in public_ips:
        configuration = (props(address).get("ipConfiguration") or {}).get("id")
        recorder.add("network.public_ip", address["id"], location_scope(subscription_id, address.get("location")),
                     address.get("name", ""), {
                         "address": props(address).get("ipAddress"),
                         "attached_to": parent_id(configuration) if configuration else None,
                     }, address.get("tags"))

    try:
        nics = recorder.call(OPS["nics"], lambda: each(client.network_interfaces.list_all()), scope,
                             [("compute.instance", ("public_ips", "firewall_ids", "network_id", "subnet_id"))])
        data.nics = {id_key(item.get("id")): item for item in nics}
    except CallFailed:
        pass
    return data


def _add_firewall(recorder: Recorder, subscription_id: str, group: dict[str, Any]) -> None:
    properties = props(group)
    subnets = [item["id"] for item in properties.get("subnets") or () if item.get("id")]
    interfaces = [item["id"] for item in properties.get("networkInterfaces") or () if item.get("id")]
    networks = {id_key(parent_id(subnet)): parent_id(subnet) for subnet in subnets}
    recorder.add("network.firewall", group["id"], location_scope(subscription_id, group.get("location")),
                 group.get("name", ""), {
                     "rules": nsg.normalize_rules(group),
                     # Azure creates no NSG by default, so no NSG is a platform default group.
                     "is_default_group": False,
                     "network_id": next(iter(networks.values())) if len(networks) == 1 else None,
                     "attached_to": subnets + interfaces,
                 }, group.get("tags"))


def _collect_flow_logs(client: Any, recorder: Recorder, subscription_id: str) -> _FlowLogs:
    state = _FlowLogs()
    scope = subscription_scope(subscription_id)
    try:
        watchers = recorder.call(OPS["watchers"], lambda: each(client.network_watchers.list_all()), scope,
                                 _FLOW_FACTS)
    except CallFailed:
        state.failed_everywhere = True
        return state
    for watcher in watchers:
        group_name = id_part(watcher["id"], "resourceGroups")
        region = _region(watcher)
        try:
            logs = recorder.call(
                OPS["flow_logs"],
                lambda: each(client.flow_logs.list(group_name, watcher["name"])),
                location_scope(subscription_id, region), _FLOW_FACTS,
            )
        except CallFailed:
            state.failed_locations.add(region)
            continue
        for log_item in logs:
            properties = props(log_item)
            if properties.get("enabled") and properties.get("targetResourceId"):
                state.enabled_targets.add(id_key(properties["targetResourceId"]))
    return state


def _add_network(recorder: Recorder, subscription_id: str, vnet: dict[str, Any], flow_logs: _FlowLogs,
                 data: NetworkData) -> None:
    properties = props(vnet)
    region = _region(vnet)
    scope = location_scope(subscription_id, region)
    vnet_logged = id_key(vnet["id"]) in flow_logs.enabled_targets
    subnets = properties.get("subnets") or []
    covered = []
    for subnet in subnets:
        subnet_properties = props(subnet)
        group_id = (subnet_properties.get("networkSecurityGroup") or {}).get("id")
        if data.subnet_nsgs is not None:
            data.subnet_nsgs[id_key(subnet["id"])] = group_id
        subnet_logged = vnet_logged or id_key(subnet["id"]) in flow_logs.enabled_targets or (
            group_id is not None and id_key(group_id) in flow_logs.enabled_targets)
        covered.append(subnet_logged)
        prefixes = [subnet_properties["addressPrefix"]] if subnet_properties.get("addressPrefix") else list(
            subnet_properties.get("addressPrefixes") or ())
        facts: dict[str, Any] = {
            "network_id": vnet["id"],
            "cidr": prefixes[0] if prefixes else "",
            "private_google_access": None,
            # Azure has no internet gateway resource whose route would mark a subnet public.
            "public": None,
        }
        if flow_logs.known(region):
            facts["flow_logs_enabled"] = subnet_logged
        recorder.add("network.subnet", subnet["id"], scope, subnet.get("name", ""), facts)

    peerings = [
        (props(peering).get("remoteVirtualNetwork") or {}).get("id")
        for peering in properties.get("virtualNetworkPeerings") or ()
    ]
    facts = {
        "is_default": False,
        "cidrs": list((properties.get("addressSpace") or {}).get("addressPrefixes") or ()),
        "peerings": [peer for peer in peerings if peer],
    }
    if flow_logs.known(region):
        facts["flow_logs_enabled"] = vnet_logged or (bool(covered) and all(covered))
    recorder.add("network", vnet["id"], scope, vnet.get("name", ""), facts, vnet.get("tags"))
