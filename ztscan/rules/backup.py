"""Backup rules: database backup retention, bucket versioning and backup plan retention."""

from __future__ import annotations

from ztscan.model import Outcome, Resource, failed, not_applicable, passed
from ztscan.rules.base import InventoryIndex, rule

#: Minimum number of days a backup is kept.
MIN_RETENTION_DAYS = 7


def _retention_outcome(days: int | None, missing_text: str) -> Outcome:
    if days is None:
        return not_applicable(missing_text)
    if days == 0:
        return failed("automated backups are off (retention 0 days)", retention_days=0)
    unit = "day" if days == 1 else "days"
    if days < MIN_RETENTION_DAYS:
        return failed(f"backups are kept {days} {unit}, fewer than {MIN_RETENTION_DAYS}", retention_days=days)
    return passed(f"backups are kept {days} {unit}", retention_days=days)


@rule("ZT-BAK-001", "database", facts=("backup_retention_days",))
def database_backup_retention(resource: Resource, index: InventoryIndex) -> Outcome:
    return _retention_outcome(resource.fact("backup_retention_days"),
                              "backups of this database are managed elsewhere (for example by its cluster)")


@rule("ZT-BAK-002", "storage.bucket", facts=("versioning",))
def bucket_versioning(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("versioning"):
        return passed("object versioning is on", versioning=True)
    return failed("object versioning is off: overwritten or deleted objects cannot be recovered", versioning=False)


@rule("ZT-BAK-003", "backup.plan", facts=("retention_days",))
def backup_plan_retention(resource: Resource, index: InventoryIndex) -> Outcome:
    return _retention_outcome(resource.fact("retention_days"), "the backup plan sets no retention period")


RULES = (
    database_backup_retention,
    bucket_versioning,
    backup_plan_retention,
)
