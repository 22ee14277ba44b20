"""RDS collection: instances, Aurora clusters and their members."""

from __future__ import annotations

import pytest

from ztscan_aws.rds import collect_databases
from ztscan_aws.rds_parameters import tls_facts

from .hooks import CallRecorder, by_name, collect_with, inject


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


@pytest.mark.parametrize(
    ("engine", "version", "parameters", "required", "minimum"),
    [
        pytest.param("postgres", "14.9", {"rds.force_ssl": "1"}, True, None, id="postgres-forced"),
        pytest.param("postgres", "16.1", {"rds.force_ssl": "0"}, False, None, id="postgres-off"),
        pytest.param("postgres", "15.4", {}, True, None, id="postgres15-default"),
        pytest.param("postgres", "14.9", {"rds.force_ssl": None}, False, None, id="postgres14-default"),
        pytest.param("aurora-postgresql", "15.4", {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2"},
                     True, "1.2", id="aurora-postgres-min"),
        pytest.param("mysql", "8.0.35", {"require_secure_transport": "ON"}, True, None, id="mysql-on"),
        pytest.param("mariadb", "10.11", {"require_secure_transport": "1"}, True, None, id="mariadb-one"),
        pytest.param("aurora-mysql", "8.0", {"require_secure_transport": "OFF"}, False, None, id="aurora-mysql-off"),
        pytest.param("mysql", "8.0.35", {"tls_version": "TLSv1.1,TLSv1.2"}, False, "1.1", id="mysql-versions"),
        pytest.param("sqlserver-se", "15.00", {"rds.force_ssl": "1"}, True, None, id="sqlserver"),
        pytest.param("oracle-ee", "19", {"rds.force_ssl": "1"}, None, None, id="oracle-unknown"),
    ],
)
def test_tls_facts(engine, version, parameters, required, minimum):
    facts = tls_facts(engine, version, parameters)
    assert facts["tls_required"] is required
    assert facts["min_tls_version"] == minimum


def _parameter_group(rds, name: str, family: str, parameters: dict[str, str]) -> None:
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name)
    rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
        {"ParameterName": key, "ParameterValue": value, "ApplyMethod": "immediate"} for key, value in parameters.items()])


def _postgres(rds, name: str, group: str, **extra) -> None:
    rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="Secret-12345",
                           DBParameterGroupName=group, **extra)


def test_instance_tls_tags_network(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rds = session.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="records", DBSubnetGroupDescription="records", SubnetIds=[subnet])
    _parameter_group(rds, "tls-on", "postgres16", {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.3"})
    _postgres(rds, "ehr", "tls-on", DBSubnetGroupName="records", VpcSecurityGroupIds=[group],
              Tags=[{"Key": "ephi", "Value": "true"}])

    inventory = collect_with(session, collect_databases)
    database = by_name(inventory, "database")["ehr"]

    assert database.facts["tls_required"] is True
    assert database.facts["min_tls_version"] == "1.3"
    assert database.facts["auditing_enabled"] is None
    assert database.facts["network_id"] == f"arn:aws:ec2:us-east-1:123456789012:vpc/{vpc}"
    assert database.facts["firewall_ids"] == [f"arn:aws:ec2:us-east-1:123456789012:security-group/{group}"]
    assert database.tags == {"ephi": "true"}
    assert inventory.errors == []


def test_parameter_group_read_once(session):
    rds = session.client("rds")
    _parameter_group(rds, "shared", "postgres16", {"rds.force_ssl": "0"})
    for name in ("one", "two", "three"):
        _postgres(rds, name, "shared")
    recorder = CallRecorder(session)

    databases = by_name(collect_with(session, collect_databases), "database")

    assert recorder.count("rds", "DescribeDBParameters") == 1
    assert [databases[n].facts["tls_required"] for n in ("one", "two", "three")] == [False, False, False]


def test_parameter_group_denied(session):
    rds = session.client("rds")
    _parameter_group(rds, "locked", "postgres16", {"rds.force_ssl": "1"})
    _postgres(rds, "one", "locked")
    _postgres(rds, "two", "locked")
    inject(session, "rds", "DescribeDBParameters", code="AccessDenied")

    inventory = collect_with(session, collect_databases)
    databases = by_name(inventory, "database")

    for name in ("one", "two"):
        assert "tls_required" not in databases[name].facts
        assert "min_tls_version" not in databases[name].facts
        assert databases[name].facts["storage_encrypted"] is False
    assert sorted(e.resource_id for e in inventory.errors) == sorted(databases[n].id for n in ("one", "two"))
    for error in inventory.errors:
        assert error.facts == ("tls_required", "min_tls_version")
        assert "locked" in error.message
        assert error.operation == "DescribeDBParameters"


def test_cluster_tls_and_network(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
    rds = session.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="analytics", DBSubnetGroupDescription="a", SubnetIds=[subnet])
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="secure", DBParameterGroupFamily="aurora-mysql8.0",
                                          Description="secure")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="secure", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "ON", "ApplyMethod": "immediate"}])
    rds.create_db_cluster(DBClusterIdentifier="analytics", Engine="aurora-mysql", MasterUsername="admin",
                          MasterUserPassword="Secret-12345", DBClusterParameterGroupName="secure",
                          DBSubnetGroupName="analytics", Tags=[{"Key": "ephi", "Value": "yes"}])
    rds.create_db_instance(DBInstanceIdentifier="analytics-1", DBInstanceClass="db.r6g.large",
                           Engine="aurora-mysql", DBClusterIdentifier="analytics")

    inventory = collect_with(session, collect_databases)
    databases = by_name(inventory, "database")

    cluster, member = databases["analytics"], databases["analytics-1"]
    assert cluster.facts["tls_required"] is True
    assert member.facts["tls_required"] is True
    assert cluster.facts["network_id"] == f"arn:aws:ec2:us-east-1:123456789012:vpc/{vpc}"
    assert cluster.tags == {"ephi": "yes"}
    assert inventory.errors == []
