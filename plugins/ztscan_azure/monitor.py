"""Collect the Activity Log diagnostic settings of a subscription (``audit.trail``).

azure-mgmt-monitor 7 has no diagnostic settings operations, so these calls go
through the shared JSON client with the ARM credential and retry policy.
"""

from __future__ import annotations

from typing import Any

from ztscan.provider import ApiOperation

from ztscan_azure.arm import AzureSession, CallFailed, Recorder, props, subscription_scope

DIAGNOSTIC_SETTINGS_API_VERSION = "2021-05-01-preview"

OPS = {
    "subscription_settings": ApiOperation(
        "monitor", "subscriptionDiagnosticSettings.list", "Microsoft.Insights/DiagnosticSettings/Read",
        "where the subscription's Activity Log is exported"),
    "resource_settings": ApiOperation(
        "monitor", "diagnosticSettings.list", "Microsoft.Insights/DiagnosticSettings/Read",
        "resource logs of storage accounts (blob access logging)"),
}

_DESTINATIONS = ("storageAccountId", "workspaceId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def list_diagnostic_settings(session: AzureSession, resource_id: str) -> list[dict[str, Any]]:
    """Return the diagnostic settings of an ARM resource or subscription (raises azure-core errors)."""
    path = resource_id.rstrip("/") + "/providers/Microsoft.Insights/diagnosticSettings"
    return session.rest("arm").list(path, {"api-version": DIAGNOSTIC_SETTINGS_API_VERSION})


def exports_logs(setting: dict[str, Any], categories: set[str], groups: set[str] = frozenset({"allLogs"})) -> bool:
    """Return True when a diagnostic setting has a destination and an enabled log covering every category."""
    properties = props(setting)
    if not any(properties.get(destination) for destination in _DESTINATIONS):
        return False
    enabled = [entry for entry in properties.get("logs") or () if entry.get("enabled")]
    if any(str(entry.get("categoryGroup") or "") in groups for entry in enabled):
        return True
    exported = {str(entry.get("category") or "").lower() for entry in enabled}
    return {category.lower() for category in categories} <= exported


def collect(session: AzureSession, recorder: Recorder, subscription_id: str) -> None:
    scope = subscription_scope(subscription_id)
    subscription = f"/subscriptions/{subscription_id}"
    try:
        settings = recorder.call(OPS["subscription_settings"],
                                 lambda: list_diagnostic_settings(session, subscription), scope,
                                 [("audit.trail", ())])
    except CallFailed:
        return
    # The Administrative category records every create, update, delete and action call made through ARM.
    exporting = [setting.get("name", "") for setting in settings if exports_logs(setting, {"Administrative"})]
    recorder.add("audit.trail", f"{subscription}/providers/Microsoft.Insights/diagnosticSettings", scope,
                 "Activity Log", {
                     # The Activity Log records every region of the subscription in one place.
                     "multi_region": True,
                     "logging": bool(exporting),
                     # NOTE: the Activity Log offers no log file integrity validation; immutable
                     # storage on the destination account is not checked.
                     "log_validation": None,
                     "management_events": bool(exporting),
                     # The Activity Log records control-plane calls only; data access needs resource logs.
                     "data_access_events": None,
                 })
