"""Compute rules: instance metadata hardening, OS Login, serial console, Shielded VM, service account scope."""

from __future__ import annotations

from ztscan.model import Outcome, Resource, failed, not_applicable, passed
from ztscan.rules.base import InventoryIndex, rule


@rule("ZT-CMP-001", "compute.instance", facts=("metadata_token_required",))
def instance_metadata_token(resource: Resource, index: InventoryIndex) -> Outcome:
    required = resource.fact("metadata_token_required")
    if required is None:
        return not_applicable("the platform has no metadata token setting")
    if required:
        return passed("instance metadata service requires session tokens (IMDSv2)", metadata_token_required=True)
    return failed("instance metadata service accepts requests without a session token (IMDSv1 allowed)",
                  metadata_token_required=False)


@rule("ZT-CMP-002", "compute.instance", facts=("os_login",))
def instance_os_login(resource: Resource, index: InventoryIndex) -> Outcome:
    enabled = resource.fact("os_login")
    if enabled is None:
        return not_applicable("the platform has no OS Login setting")
    if enabled:
        return passed("OS Login is on: SSH access follows IAM identities", os_login=True)
    return failed("OS Login is off: SSH access relies on keys stored in metadata", os_login=False)


@rule("ZT-CMP-003", "compute.instance", facts=("serial_port_enabled",))
def instance_serial_port_disabled(resource: Resource, index: InventoryIndex) -> Outcome:
    enabled = resource.fact("serial_port_enabled")
    if enabled is None:
        return not_applicable("the platform has no serial console setting for this instance")
    if enabled:
        return failed("interactive serial console access is enabled", serial_port_enabled=True)
    return passed("interactive serial console access is disabled", serial_port_enabled=False)


@rule("ZT-CMP-004", "compute.instance", facts=("shielded_vm",))
def instance_shielded_vm(resource: Resource, index: InventoryIndex) -> Outcome:
    shielded = resource.fact("shielded_vm")
    if shielded is None:
        return not_applicable("the platform has no Shielded VM setting")
    if shielded:
        return passed("Shielded VM (secure boot, vTPM, integrity monitoring) is on", shielded_vm=True)
    return failed("Shielded VM protections are not all on", shielded_vm=False)


@rule("ZT-CMP-005", "compute.instance", facts=("default_service_account_full_scope",))
def instance_no_default_service_account_full_scope(resource: Resource, index: InventoryIndex) -> Outcome:
    full_scope = resource.fact("default_service_account_full_scope")
    if full_scope is None:
        return not_applicable("the platform has no default service account scopes")
    if full_scope:
        return failed("instance runs as the default service account with full access to all cloud APIs",
                      default_service_account_full_scope=True)
    return passed("instance does not use the default service account with full API access",
                  default_service_account_full_scope=False)


RULES = (
    instance_metadata_token,
    instance_os_login,
    instance_serial_port_disabled,
    instance_shielded_vm,
    instance_no_default_service_account_full_scope,
)
