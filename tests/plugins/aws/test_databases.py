"""RDS collection: instances, Aurora clusters and their members."""

from __future__ import annotations

from ztscan_aws.rds import collect_databases

from .hooks import by_name, collect_with


def test_aurora_member_encryption_from_cluster(session):
    rds = session.client("rds")
    rds.create_db_cluster(DBClusterIdentifier="records", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="Secret-12345", StorageEncrypted=True, BackupRetentionPeriod=14)
    rds.create_db_instance(DBInstanceIdentifier="records-1", DBInstanceClass="db.r6g.large",
                           Engine="aurora-postgresql", DBClusterIdentifier="records")

    databases = by_name(collect_with(session, collect_databases), "database")

    member = databases["records-1"].facts
    cluster = databases["records"].facts
    assert member["storage_encrypted"] is True
    assert member["backup_retention_days"] is None
    assert member["cluster_id"] == databases["records"].id
    assert cluster["storage_encrypted"] is True
    assert cluster["backup_retention_days"] == 14
    assert cluster["cluster_id"] is None


def test_standalone_instance_facts(session):
    session.client("rds").create_db_instance(
        DBInstanceIdentifier="billing", DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="Secret-12345", PubliclyAccessible=True,
        StorageEncrypted=False, BackupRetentionPeriod=1)

    inventory = collect_with(session, collect_databases)
    facts = by_name(inventory, "database")["billing"].facts

    assert facts["engine"] == "mysql"
    assert facts["storage_encrypted"] is False
    assert facts["publicly_accessible"] is True
    assert facts["backup_retention_days"] == 1
    assert facts["cluster_id"] is None
    assert inventory.errors == []
