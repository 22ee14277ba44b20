"""Reports built directly from findings and rule metadata, for the CI reporter tests."""

from __future__ import annotations

from ztscan.model import Finding, Scope, ScopeRecord, ScopeState, Severity, Status
from ztscan.report import Report
from ztscan.rulecatalogue import RuleMeta

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"


def rule_meta(rule_id: str = "ZT-DAT-001", severity: Severity = Severity.HIGH, **overrides) -> RuleMeta:
    values = dict(
        id=rule_id,
        name="buckets-encrypted",
        title="Buckets are encrypted at rest",
        severity=severity,
        pillar="data",
        rationale="Unencrypted storage exposes ePHI when media or snapshots leak.",
        remediation={"default": "Turn on default encryption.", "aws": "Enable SSE-KMS on the bucket."},
        hipaa=("164.312(a)(2)(iv)",),
        nprm=("164.312(b)",),
    )
    values.update(overrides)
    return RuleMeta(**values)


RULES = {
    "ZT-DAT-001": rule_meta(),
    "ZT-IAM-001": rule_meta("ZT-IAM-001", Severity.CRITICAL, name="console-users-mfa",
                            title="Console users have MFA", pillar="identity", hipaa=("164.312(d)",),
                            nprm=("164.312(f)",)),
    "ZT-LOG-002": rule_meta("ZT-LOG-002", Severity.LOW, name="bucket-access-logging",
                            title="Bucket access logging is on", pillar="visibility", hipaa=("164.312(b)",),
                            nprm=()),
    "ZT-NET-004": rule_meta("ZT-NET-004", Severity.MEDIUM, name="network-flow-logs",
                            title="Networks have flow logs", pillar="network", hipaa=("164.312(b)",),
                            nprm=("164.312(d)",)),
}


def finding(rule_id: str = "ZT-DAT-001", status: Status = Status.FAIL, resource: str = "clinic-phi",
            account: str = ACCOUNT, region: str = "us-east-1", provider: str = "aws",
            message: str = "default encryption is off", kind: str = "storage.bucket", **extra) -> Finding:
    severity = RULES[rule_id].severity if rule_id in RULES else Severity.MEDIUM
    return Finding(
        rule_id=rule_id, status=status, severity=severity, scope=Scope(provider, account, region),
        resource_id=f"arn:aws:s3:::{resource}", resource_kind=kind, resource_name=resource,
        message=message, **extra,
    )


def mixed_report() -> Report:
    """Return a report with every status, two accounts and a failed scope."""
    findings = [
        finding(),
        finding(resource="clinic-logs", status=Status.PASS, message="encrypted with aws:kms"),
        finding(resource="clinic-archive", status=Status.ERROR, message="s3.GetBucketEncryption failed: AccessDenied"),
        finding("ZT-IAM-001", resource="alice", kind="identity.user", region="global", message="no MFA device"),
        finding("ZT-LOG-002", resource="public-site", status=Status.MUTED, original_status=Status.FAIL,
                suppression={"id": "site", "index": 1, "reason": "static website, no PHI",
                             "owner": "web-team", "expires": "2026-12-31"}),
        finding("ZT-NET-004", resource="vpc-1", kind="network", status=Status.NOT_APPLICABLE,
                message="not applicable here"),
        finding("ZT-NET-004", resource="vpc-2", kind="network", account=OTHER_ACCOUNT, message="no flow logs"),
    ]
    scopes = [
        ScopeRecord(Scope("aws", ACCOUNT, "us-east-1"), ScopeState.SCANNED),
        ScopeRecord(Scope("aws", ACCOUNT, "eu-west-3"), ScopeState.FAILED, "AccessDenied on every call"),
        ScopeRecord(Scope("aws", ACCOUNT, "ap-east-1"), ScopeState.SKIPPED, "region not enabled"),
        ScopeRecord(Scope("aws", OTHER_ACCOUNT, "us-east-1"), ScopeState.SCANNED),
    ]
    return Report(findings=findings, rules=dict(RULES), scopes=scopes, started_at="2026-12-04T10:00:00+00:00",
                  finished_at="2026-12-04T10:05:00+00:00")
