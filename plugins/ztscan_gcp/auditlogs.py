"""Cloud Audit Logs configuration of a project, including what its folders and organization set.

Audit configs are inherited: a log type that a folder or the organization
enables applies to every project below it. Data access logs count as on when
the ``allServices`` configs of the project and its ancestors together enable
DATA_READ and DATA_WRITE with no exempted members. The ancestors are read only
when the project's own policy does not already enable both.
"""

from __future__ import annotations

from typing import Any

from ztscan_gcp.common import ProjectRun

#: Data access audit log types, which must both be on for ``data_access_events``.
DATA_ACCESS_LOG_TYPES = frozenset({"DATA_READ", "DATA_WRITE"})
#: Upper bound on the ancestors walked, above the 10 folder levels Resource Manager allows plus the organization.
MAX_ANCESTORS = 12


def data_access_log_types(policy: dict[str, Any]) -> set[str]:
    """Return the log types the policy's ``allServices`` configs enable for every member."""
    enabled: set[str] = set()
    for config in policy.get("auditConfigs", ()):
        if config.get("service") != "allServices":
            continue
        enabled |= {entry.get("logType") for entry in config.get("auditLogConfigs", ())
                    if not entry.get("exemptedMembers")}
    return enabled & DATA_ACCESS_LOG_TYPES


def trail_facts(data_access: bool | None) -> dict[str, Any]:
    """Return the audit.trail facts; ``data_access`` None leaves ``data_access_events`` out (not collected)."""
    facts: dict[str, Any] = {
        # Admin Activity audit logs cover every region, are always written and cannot be turned off.
        # They are stored in the _Required log bucket, whose entries cannot be changed or deleted, so their
        # integrity is kept by the platform, which is what log_validation reports here.
        "multi_region": True,
        "logging": True,
        "log_validation": True,
        "management_events": True,
    }
    if data_access is not None:
        facts["data_access_events"] = data_access
    return facts


def _ancestor_log_types(run: ProjectRun) -> set[str]:
    from google.protobuf.json_format import MessageToDict

    projects = run.apis.projects_client()
    folders = run.apis.folders_client()
    options = {"requested_policy_version": 3}
    parent = projects.get_project(name=f"projects/{run.project}", retry=run.apis.retry(),
                                  timeout=run.apis.timeout()).parent
    enabled: set[str] = set()
    for _ in range(MAX_ANCESTORS):
        if parent.startswith("folders/"):
            policy = folders.get_iam_policy(request={"resource": parent, "options": options},
                                            retry=run.apis.retry(), timeout=run.apis.timeout())
            enabled |= data_access_log_types(MessageToDict(policy))
            parent = folders.get_folder(name=parent, retry=run.apis.retry(), timeout=run.apis.timeout()).parent
        elif parent.startswith("organizations/"):
            policy = run.apis.organizations_client().get_iam_policy(
                request={"resource": parent, "options": options}, retry=run.apis.retry(), timeout=run.apis.timeout())
            enabled |= data_access_log_types(MessageToDict(policy))
            break
        else:
            break
    return enabled


def add_trail(run: ProjectRun, policy: dict[str, Any], trail_id: str) -> None:
    """Add the project's audit.trail resource, reading the ancestors' audit configs when needed."""
    enabled = data_access_log_types(policy)
    data_access: bool | None = enabled == DATA_ACCESS_LOG_TYPES
    if not data_access:
        ok, inherited = run.call("cloudresourcemanager", "ancestors.getIamPolicy", "audit.trail",
                                 lambda: _ancestor_log_types(run), facts=("data_access_events",),
                                 resource_id=trail_id)
        # A parent that could not be read might enable the missing log types, so the fact stays out.
        data_access = (enabled | (inherited or set())) == DATA_ACCESS_LOG_TYPES if ok else None
    run.add("audit.trail", trail_id, "cloud-audit-logs", "", trail_facts(data_access))
