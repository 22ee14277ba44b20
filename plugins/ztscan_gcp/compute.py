"""Compute Engine instances and persistent disks, listed through aggregated lists."""

from __future__ import annotations

from typing import Any

from ztscan_gcp.common import (
    ProjectRun,
    location_region,
    message_to_dict,
    metadata_flag,
    metadata_value,
)
from ztscan_gcp.network import firewall_id

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: The Compute Engine default service account is ``PROJECT_NUMBER-compute@developer.gserviceaccount.com``.
DEFAULT_ACCOUNT_SUFFIX = "-compute@developer.gserviceaccount.com"

_PROJECT_METADATA_FACTS = ("os_login", "serial_port_enabled")


def instance_facts(instance: dict[str, Any], project_metadata: dict[str, Any] | None) -> dict[str, Any]:
    """Normalize one instance. ``project_metadata`` is None when the project could not be read.

    An instance-level metadata value overrides the project-level one. Without
    project metadata, ``os_login`` and ``serial_port_enabled`` are left out unless
    the instance sets them itself.
    """
    interfaces = instance.get("networkInterfaces", ())
    public_ips = []
    for interface in interfaces:
        for config in interface.get("accessConfigs", ()):
            # NOTE: an ephemeral external address of a stopped instance has no natIP until it starts,
            # so such an instance is listed without public IPs.
            if config.get("natIP"):
                public_ips.append(config["natIP"])
        for config in interface.get("ipv6AccessConfigs", ()):
            if config.get("externalIpv6"):
                public_ips.append(config["externalIpv6"])
    networks = [interface.get("network", "") for interface in interfaces if interface.get("network")]
    shielded = instance.get("shieldedInstanceConfig") or {}
    full_scope = any(
        account.get("email", "").endswith(DEFAULT_ACCOUNT_SUFFIX) and CLOUD_PLATFORM_SCOPE in account.get("scopes", ())
        for account in instance.get("serviceAccounts", ())
    )
    facts: dict[str, Any] = {
        "public_ips": public_ips,
        "metadata_token_required": None,
        "firewall_ids": [firewall_id(network) for network in dict.fromkeys(networks)],
        "network_id": networks[0] if networks else None,
        # Shielded VM as the CIS benchmark reads it: vTPM and integrity monitoring both on.
        "shielded_vm": bool(shielded.get("enableVtpm")) and bool(shielded.get("enableIntegrityMonitoring")),
        "default_service_account_full_scope": full_scope,
        "encryption_at_host": None,
    }
    for fact, key in (("os_login", "enable-oslogin"), ("serial_port_enabled", "serial-port-enable")):
        own = metadata_flag(metadata_value(instance.get("metadata"), key))
        if own is not None:
            facts[fact] = own
        elif project_metadata is not None:
            facts[fact] = bool(metadata_flag(metadata_value(project_metadata, key)))
    return facts


def disk_facts(disk: dict[str, Any]) -> dict[str, Any]:
    """Normalize one persistent disk: always encrypted, by a Google-managed key unless CMEK or CSEK is set."""
    key = disk.get("diskEncryptionKey") or {}
    customer = bool(key.get("kmsKeyName") or key.get("sha256") or key.get("rsaEncryptedKey"))
    return {
        "encrypted": True,
        "key_type": "customer" if customer else "provider",
        "attached_to": list(disk.get("users", ())),
    }


def collect(run: ProjectRun) -> None:
    """Collect instances and disks of one project."""
    ok_project, project = run.call(
        "compute", "projects.get", "compute.instance",
        lambda: message_to_dict(run.apis.compute("ProjectsClient").get(
            project=run.project, retry=run.apis.retry(), timeout=run.apis.timeout())),
        facts=_PROJECT_METADATA_FACTS)
    project_metadata = (project or {}).get("commonInstanceMetadata", {}) if ok_project else None

    ok_instances, instances = run.call(
        "compute", "instances.aggregatedList", "compute.instance",
        lambda: [message_to_dict(i) for _, scoped in run.apis.compute("InstancesClient").aggregated_list(
            project=run.project, retry=run.apis.retry(), timeout=run.apis.timeout())
            for i in scoped.instances])
    if ok_instances:
        run.instances = instances
        for instance in instances or ():
            run.add("compute.instance", instance["selfLink"], instance.get("name", ""),
                    location_region(instance), instance_facts(instance, project_metadata))

    _, disks = run.call(
        "compute", "disks.aggregatedList", "storage.volume",
        lambda: [message_to_dict(d) for _, scoped in run.apis.compute("DisksClient").aggregated_list(
            project=run.project, retry=run.apis.retry(), timeout=run.apis.timeout())
            for d in scoped.disks])
    for disk in disks or ():
        run.add("storage.volume", disk["selfLink"], disk.get("name", ""), location_region(disk), disk_facts(disk))
