"""Backup rules: database retention, bucket versioning, backup plan retention."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import CollectionError, Inventory, Resource, Scope, Severity, Status
from ztscan.rules import backup

SCOPE = Scope("test", "acct", "region-1")


def resource(kind, **facts):
    return Resource(kind, f"{kind}-1", SCOPE, name="res-1", facts=facts)


@pytest.mark.parametrize(("days", "expected"), [
    pytest.param(7, Status.PASS, id="seven-days"),
    pytest.param(35, Status.PASS, id="thirty-five-days"),
    pytest.param(6, Status.FAIL, id="six-days"),
    pytest.param(1, Status.FAIL, id="one-day"),
    pytest.param(0, Status.FAIL, id="backups-off"),
    pytest.param(None, Status.NOT_APPLICABLE, id="aurora-member"),
])
def test_database_backup_retention(days, expected):
    outcome = backup.database_backup_retention.check(resource("database", backup_retention_days=days), None)
    assert outcome.status is expected


def test_one_day_message():
    outcome = backup.database_backup_retention.check(resource("database", backup_retention_days=1), None)
    assert outcome.message == "backups are kept 1 day, fewer than 7"


def test_backups_off_message():
    outcome = backup.database_backup_retention.check(resource("database", backup_retention_days=0), None)
    assert outcome.message == "automated backups are off (retention 0 days)"


@pytest.mark.parametrize(("versioning", "expected"), [
    pytest.param(True, Status.PASS, id="on"), pytest.param(False, Status.FAIL, id="off")])
def test_bucket_versioning(versioning, expected):
    outcome = backup.bucket_versioning.check(resource("storage.bucket", versioning=versioning), None)
    assert outcome.status is expected


@pytest.mark.parametrize(("days", "expected"), [
    pytest.param(30, Status.PASS, id="thirty-days"),
    pytest.param(3, Status.FAIL, id="three-days"),
    pytest.param(None, Status.NOT_APPLICABLE, id="no-retention-set"),
])
def test_backup_plan_retention(days, expected):
    outcome = backup.backup_plan_retention.check(resource("backup.plan", retention_days=days), None)
    assert outcome.status is expected


def test_missing_retention_is_error():
    inventory = Inventory(resources=[resource("database")])
    inventory.errors.append(CollectionError(SCOPE, "rds", "DescribeDBInstances", "Throttling", "rate exceeded",
                                            "database", facts=("backup_retention_days",)))
    [finding] = evaluate(inventory, [backup.database_backup_retention], {"ZT-BAK-001": Severity.HIGH})
    assert finding.status is Status.ERROR
    assert "Throttling" in finding.message
