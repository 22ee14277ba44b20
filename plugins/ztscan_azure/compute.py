"""Collect virtual machines (``compute.instance``) and managed disks (``storage.volume``)."""

from __future__ import annotations

from typing import Any

from ztscan.provider import ApiOperation

from ztscan_azure.arm import (
    AzureSession,
    CallFailed,
    Recorder,
    each,
    id_key,
    location_scope,
    parent_id,
    props,
    subscription_scope,
)
from ztscan_azure.network import NetworkData

OPS = {
    "vms": ApiOperation("compute", "virtualMachines.listAll", "Microsoft.Compute/virtualMachines/read",
                        "virtual machines: interfaces, encryption at host, security type"),
    "disks": ApiOperation("compute", "disks.list", "Microsoft.Compute/disks/read",
                          "managed disks and their encryption type"),
}

#: ``encryption.type`` values of a managed disk whose key the customer manages.
_CUSTOMER_KEY_TYPES = {"encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys"}


def collect(session: AzureSession, recorder: Recorder, subscription_id: str, network: NetworkData) -> None:
    from azure.mgmt.compute import ComputeManagementClient

    client = session.client(ComputeManagementClient, subscription_id)
    scope = subscription_scope(subscription_id)
    try:
        machines = recorder.call(OPS["vms"], lambda: each(client.virtual_machines.list_all()), scope,
                                 [("compute.instance", ())])
    except CallFailed:
        machines = []
    for machine in machines:
        _add_instance(recorder, subscription_id, machine, network)

    try:
        disks = recorder.call(OPS["disks"], lambda: each(client.disks.list()), scope, [("storage.volume", ())])
    except CallFailed:
        disks = []
    for disk in disks:
        encryption_type = str((props(disk).get("encryption") or {}).get("type") or "")
        owner = disk.get("managedBy")
        recorder.add("storage.volume", disk["id"], location_scope(subscription_id, disk.get("location")),
                     disk.get("name", ""), {
                         # Azure encrypts every managed disk at rest; only the key owner varies.
                         "encrypted": True,
                         "key_type": "customer" if encryption_type.lower() in _CUSTOMER_KEY_TYPES else "provider",
                         "attached_to": [owner] if owner else [],
                     }, disk.get("tags"))


def _add_instance(recorder: Recorder, subscription_id: str, machine: dict[str, Any], network: NetworkData) -> None:
    properties = props(machine)
    security = properties.get("securityProfile") or {}
    facts: dict[str, Any] = {
        # The Azure Instance Metadata Service has no token requirement to switch on.
        "metadata_token_required": None,
        "os_login": None,
        "serial_port_enabled": None,
        "default_service_account_full_scope": None,
        "shielded_vm": str(security.get("securityType") or "").lower() in ("trustedlaunch", "confidentialvm"),
        "encryption_at_host": security.get("encryptionAtHost") is True,
    }
    interface_ids = [item["id"] for item in (properties.get("networkProfile") or {}).get("networkInterfaces") or ()
                     if item.get("id")]
    if network.nics is not None:
        interfaces = [network.nics[id_key(item)] for item in interface_ids if id_key(item) in network.nics]
        configurations = [configuration for interface in interfaces
                          for configuration in props(interface).get("ipConfigurations") or ()]
        subnets = [(props(configuration).get("subnet") or {}).get("id") for configuration in configurations]
        subnets = [subnet for subnet in subnets if subnet]
        networks = {id_key(parent_id(subnet)): parent_id(subnet) for subnet in subnets}
        facts["network_id"] = next(iter(networks.values())) if len(networks) == 1 else None
        # The primary interface is listed first, and its first IP configuration is the primary one.
        facts["subnet_id"] = subnets[0] if subnets else None
        if network.public_ips is not None:
            addresses = []
            for configuration in configurations:
                address_id = (props(configuration).get("publicIPAddress") or {}).get("id")
                address = network.public_ips.get(id_key(address_id)) if address_id else None
                if address and props(address).get("ipAddress"):
                    addresses.append(props(address)["ipAddress"])
            facts["public_ips"] = addresses
        if network.subnet_nsgs is not None:
            groups = [(props(interface).get("networkSecurityGroup") or {}).get("id") for interface in interfaces]
            groups += [network.subnet_nsgs.get(id_key(subnet)) for subnet in subnets]
            unique: dict[str, str] = {}
            for group in groups:
                if group:
                    unique.setdefault(id_key(group), group)
            facts["firewall_ids"] = list(unique.values())
    recorder.add("compute.instance", machine["id"], location_scope(subscription_id, machine.get("location")),
                 machine.get("name", ""), facts, machine.get("tags"))
