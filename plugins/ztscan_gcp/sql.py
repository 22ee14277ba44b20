"""Cloud SQL instances through the Cloud SQL Admin REST API v1.

Cloud SQL encrypts all data at rest (with a Google-managed key unless a Cloud
KMS key is set), so ``storage_encrypted`` is always True. Automated backups run
once a day and ``retainedBackups`` counts them, so the retained count is
reported as the retention in days.
"""

from __future__ import annotations

from typing import Any

from ztscan_gcp.common import ProjectRun

OPEN_NETWORKS = frozenset({"0.0.0.0/0", "::/0"})
#: sslMode values that reject unencrypted connections.
_TLS_ONLY_MODES = frozenset({"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"})
_DEFAULT_RETAINED_BACKUPS = 7


def _engine(database_version: str) -> str:
    """Return the engine of a databaseVersion such as ``POSTGRES_15`` (``postgres``)."""
    return database_version.split("_", 1)[0].lower() if database_version else ""


def tls_required(ip_configuration: dict[str, Any]) -> bool:
    """Return True when the instance rejects connections without TLS.

    ``sslMode`` decides when it is set; otherwise the older ``requireSsl`` flag does.
    """
    mode = ip_configuration.get("sslMode")
    if mode and mode != "SSL_MODE_UNSPECIFIED":
        return mode in _TLS_ONLY_MODES
    return bool(ip_configuration.get("requireSsl"))


def sql_instance_facts(instance: dict[str, Any]) -> dict[str, Any]:
    settings = instance.get("settings") or {}
    ip_configuration = settings.get("ipConfiguration") or {}
    networks = {entry.get("value", "") for entry in ip_configuration.get("authorizedNetworks", ())}
    public_ip = bool(ip_configuration.get("ipv4Enabled", False))
    backup = settings.get("backupConfiguration") or {}
    if instance.get("instanceType") == "READ_REPLICA_INSTANCE":
        # A read replica has no backups of its own: its primary's backups cover it.
        retention = None
    elif backup.get("enabled"):
        retention_settings = backup.get("backupRetentionSettings") or {}
        retention = int(retention_settings.get("retainedBackups", _DEFAULT_RETAINED_BACKUPS))
    else:
        retention = 0
    return {
        "engine": _engine(instance.get("databaseVersion", "")),
        "storage_encrypted": True,
        "publicly_accessible": public_ip and bool(networks & OPEN_NETWORKS),
        "backup_retention_days": retention,
        "cluster_id": None,
        "tls_required": tls_required(ip_configuration),
        "min_tls_version": None,
        "auditing_enabled": None,
    }


def collect(run: ProjectRun) -> None:
    """Collect the Cloud SQL instances of one project."""
    ok, instances = run.call(
        "sqladmin", "instances.list", "database",
        lambda: list(run.apis.list_json("sqladmin", f"/v1/projects/{run.project}/instances", "items")))
    for instance in instances or ():
        identifier = instance.get("selfLink") or (
            f"//sqladmin.googleapis.com/projects/{run.project}/instances/{instance.get('name', '')}")
        run.add("database", identifier, instance.get("name", ""), instance.get("region", ""),
                sql_instance_facts(instance))
