"""RDS: database instances and clusters (Aurora and Multi-AZ DB clusters)."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target

DATABASE = "database"


def _common(engine: str) -> dict[str, Any]:
    # TODO: read TLS enforcement (rds.force_ssl, require_secure_transport) and audit
    # logging from DB parameter groups; until then these facts are None.
    return {"engine": engine, "tls_required": None, "min_tls_version": None, "auditing_enabled": None}


def collect_databases(target: Target) -> None:
    """Add every DB cluster and DB instance of the region.

    An Aurora member instance takes its storage encryption from its cluster and has
    no backup retention of its own (the cluster carries it), so its retention is None.
    """
    clusters: dict[str, dict[str, Any]] | None
    try:
        clusters = {c["DBClusterIdentifier"]: c for c in target.paginate("rds", "DescribeDBClusters", "DBClusters")}
    except ApiFailure as failure:
        target.record(failure, DATABASE)
        clusters = None
    try:
        instances = target.paginate("rds", "DescribeDBInstances", "DBInstances")
    except ApiFailure as failure:
        target.record(failure, DATABASE)
        instances = None

    for instance in instances or []:
        arn = instance["DBInstanceArn"]
        facts = _common(instance.get("Engine", ""))
        facts["publicly_accessible"] = bool(instance.get("PubliclyAccessible"))
        cluster_name = instance.get("DBClusterIdentifier")
        if not cluster_name:
            facts.update(storage_encrypted=bool(instance.get("StorageEncrypted")),
                         backup_retention_days=instance.get("BackupRetentionPeriod"), cluster_id=None)
        else:
            cluster = (clusters or {}).get(cluster_name)
            facts["cluster_id"] = cluster["DBClusterArn"] if cluster else target.arn("rds", f"cluster:{cluster_name}")
            facts["backup_retention_days"] = None
            if cluster is not None:
                facts["storage_encrypted"] = bool(cluster.get("StorageEncrypted"))
            elif clusters is not None:
                # Listed as a member but absent from the cluster list: fall back to the instance's own flag.
                facts["storage_encrypted"] = bool(instance.get("StorageEncrypted"))
        target.add(DATABASE, arn, instance["DBInstanceIdentifier"], facts)

    for name, cluster in (clusters or {}).items():
        facts = _common(cluster.get("Engine", ""))
        facts.update(storage_encrypted=bool(cluster.get("StorageEncrypted")),
                     backup_retention_days=cluster.get("BackupRetentionPeriod"), cluster_id=None)
        if "PubliclyAccessible" in cluster:
            facts["publicly_accessible"] = bool(cluster["PubliclyAccessible"])
        elif instances is not None:
            members = {m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])}
            facts["publicly_accessible"] = any(
                bool(i.get("PubliclyAccessible")) for i in instances if i["DBInstanceIdentifier"] in members)
        target.add(DATABASE, cluster["DBClusterArn"], name, facts)
