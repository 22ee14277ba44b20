"""RDS: database instances and clusters (Aurora and Multi-AZ DB clusters)."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target
from ztscan_aws.rds_parameters import ParameterGroups

DATABASE = "database"


def _common(target: Target, item: dict[str, Any]) -> dict[str, Any]:
    """Return the facts that instances and clusters share: engine, auditing and security groups."""
    return {
        "engine": item.get("Engine", ""),
        # NOTE: audit logging is set per engine (pgaudit, the MariaDB audit plugin option, server_audit_logging
        # on Aurora MySQL) and is not read yet, so it is reported as None.
        "auditing_enabled": None,
        "firewall_ids": [target.arn("ec2", f"security-group/{g['VpcSecurityGroupId']}")
                         for g in item.get("VpcSecurityGroups", []) or [] if g.get("VpcSecurityGroupId")],
    }


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in item.get("TagList", []) or []}


def _vpc_arn(target: Target, vpc: str | None) -> str | None:
    return target.arn("ec2", f"vpc/{vpc}") if vpc else None


def collect_databases(target: Target) -> None:
    """Add every DB cluster and DB instance of the region.

    An Aurora member instance takes its storage encryption and TLS settings from its
    cluster and has no backup retention of its own (the cluster carries it), so its
    retention is None.
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

    groups = ParameterGroups(target)
    cluster_tls = {name: groups.tls_facts(cluster["DBClusterArn"], cluster.get("Engine", ""),
                                          cluster.get("EngineVersion", ""), "DescribeDBClusterParameters",
                                          cluster.get("DBClusterParameterGroup"))
                   for name, cluster in (clusters or {}).items()}
    for instance in instances or []:
        _add_instance(target, instance, clusters, cluster_tls, groups)
    if clusters:
        _add_clusters(target, clusters, cluster_tls, instances)


def _add_instance(target: Target, instance: dict[str, Any], clusters: dict[str, dict[str, Any]] | None,
                  cluster_tls: dict[str, dict[str, Any]], groups: ParameterGroups) -> None:
    arn = instance["DBInstanceArn"]
    facts = _common(target, instance)
    facts["publicly_accessible"] = bool(instance.get("PubliclyAccessible"))
    facts["network_id"] = _vpc_arn(target, (instance.get("DBSubnetGroup") or {}).get("VpcId"))
    cluster_name = instance.get("DBClusterIdentifier")
    if not cluster_name:
        facts.update(storage_encrypted=bool(instance.get("StorageEncrypted")),
                     backup_retention_days=instance.get("BackupRetentionPeriod"), cluster_id=None)
        group = next((g.get("DBParameterGroupName") for g in instance.get("DBParameterGroups", []) or []), None)
        facts.update(groups.tls_facts(arn, facts["engine"], instance.get("EngineVersion", ""),
                                      "DescribeDBParameters", group))
    else:
        cluster = (clusters or {}).get(cluster_name)
        facts["cluster_id"] = cluster["DBClusterArn"] if cluster else target.arn("rds", f"cluster:{cluster_name}")
        facts["backup_retention_days"] = None
        if cluster is not None:
            facts["storage_encrypted"] = bool(cluster.get("StorageEncrypted"))
            # TLS enforcement of a cluster member is set in the cluster's parameter group.
            facts.update(cluster_tls.get(cluster_name, {}))
        elif clusters is not None:
            # Listed as a member but absent from the cluster list: fall back to the instance's own flag.
            facts["storage_encrypted"] = bool(instance.get("StorageEncrypted"))
    target.add(DATABASE, arn, instance["DBInstanceIdentifier"], facts, _tags(instance))


def _add_clusters(target: Target, clusters: dict[str, dict[str, Any]], cluster_tls: dict[str, dict[str, Any]],
                  instances: list[dict[str, Any]] | None) -> None:
    # A cluster names its DB subnet group; its members' descriptions carry the group's VPC.
    member_vpcs = {i["DBSubnetGroup"].get("DBSubnetGroupName"): i["DBSubnetGroup"]["VpcId"]
                   for i in instances or [] if (i.get("DBSubnetGroup") or {}).get("VpcId")}
    unplaced = [c for c in clusters.values() if c.get("DBSubnetGroup") and c["DBSubnetGroup"] not in member_vpcs]
    listed = _subnet_group_vpcs(target, unplaced) if unplaced else {}

    for name, cluster in clusters.items():
        arn = cluster["DBClusterArn"]
        facts = _common(target, cluster)
        facts.update(storage_encrypted=bool(cluster.get("StorageEncrypted")),
                     backup_retention_days=cluster.get("BackupRetentionPeriod"), cluster_id=None)
        facts.update(cluster_tls.get(name, {}))
        if "PubliclyAccessible" in cluster:
            facts["publicly_accessible"] = bool(cluster["PubliclyAccessible"])
        elif instances is not None:
            members = {m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", [])}
            facts["publicly_accessible"] = any(
                bool(i.get("PubliclyAccessible")) for i in instances if i["DBInstanceIdentifier"] in members)
        subnet_group = cluster.get("DBSubnetGroup")
        if subnet_group in member_vpcs:
            facts["network_id"] = _vpc_arn(target, member_vpcs[subnet_group])
        elif not subnet_group:
            facts["network_id"] = None
        elif listed is not None:
            # NOTE: a cluster whose subnet group is not listed is shown outside any network. moto 5.2 names
            # a "default" subnet group for clusters but never creates it.
            facts["network_id"] = _vpc_arn(target, listed.get(subnet_group))
        target.add(DATABASE, arn, name, facts, _tags(cluster))


def _subnet_group_vpcs(target: Target, clusters: list[dict[str, Any]]) -> dict[str, str | None] | None:
    """Return the VPC id of every DB subnet group of the region, or None after recording the failure."""
    try:
        subnet_groups = target.paginate("rds", "DescribeDBSubnetGroups", "DBSubnetGroups")
    except ApiFailure as failure:
        for cluster in clusters:
            target.record(failure, DATABASE, ("network_id",), cluster["DBClusterArn"])
        return None
    return {g["DBSubnetGroupName"]: g.get("VpcId") for g in subnet_groups}
