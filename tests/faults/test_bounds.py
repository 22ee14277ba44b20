"""Retries are bounded in attempts and time, Retry-After is capped, and --timeout ends a hanging scan.

The elapsed-time checks are loose guards against a hang (minutes, not a benchmark):
without the bounds these scans would wait for an hour-long Retry-After or a
server that never responds.
"""

from __future__ import annotations

import time


from tests.faults import plan as faults
from tests.faults.conftest import aws_options, azure_options, gcp_options, scan

#: Loose upper bound for a scan that must not hang; far above the few seconds these scans take.
HANG_GUARD_SECONDS = 60


def test_aws_throttle_attempts_bounded(aws_scanned):
    aws, _ = aws_scanned
    aws.plan = faults.FaultPlan().always(r"^s3\.GetBucketVersioning$", faults.THROTTLE)
    scan("aws", aws_options(aws))
    # Three buckets, each with botocore's standard-mode budget of 4 attempts.
    assert aws.plan.rules[0].used == 3 * 4


def test_aws_hang_ends_at_deadline(aws_scanned):
    aws, _ = aws_scanned
    aws.plan = faults.FaultPlan().always(r"^s3\.GetBucketVersioning$", faults.HANG)
    started = time.monotonic()
    _, report = scan("aws", aws_options(aws), timeout=1.5)
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert report.incomplete
    assert {f.status.value for f in report.findings if f.rule_id == "ZT-BAK-002"} == {"ERROR"}


def test_azure_retry_after_capped(azure_scanned):
    from ztscan_azure.arm import RetrySettings

    azure, _ = azure_scanned
    azure.retry_after = "3600"
    azure.plan = faults.FaultPlan().always(r"^keyvault\.keys\.get$", faults.THROTTLE)
    retry = RetrySettings(total=2, backoff_factor=0.0, max_retry_after=0.05, connection_timeout=2, read_timeout=2)
    started = time.monotonic()
    _, report = scan("azure", azure_options(azure, retry=retry))
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    # Four keys in two vaults, each with one attempt and two retries.
    assert azure.plan.rules[0].used == 4 * 3
    assert report.incomplete


def test_gcp_throttle_attempts_bounded(gcp_scanned):
    gcp, _ = gcp_scanned
    gcp.plan = faults.FaultPlan().always(r"^iam\.serviceAccounts\.keys\.list$", faults.THROTTLE)
    _, report = scan("gcp", gcp_options(gcp))
    # Two projects with one service account each, and max_attempts=5 in the fault tests' retry policy.
    assert gcp.plan.rules[0].used == 2 * 5
    assert report.incomplete


def test_gcp_retry_deadline_bounds_time(gcp_scanned):
    gcp, _ = gcp_scanned
    gcp.plan = faults.FaultPlan().always(r"^iam\.serviceAccounts\.keys\.list$", faults.THROTTLE)
    retry = {"initial": 0.2, "maximum": 0.2, "multiplier": 1.0, "deadline": 0.5, "max_attempts": 1000}
    _, report = scan("gcp", gcp_options(gcp, retry=retry))
    # The 0.5 s retry deadline, not the attempt budget, ends each call after a few attempts.
    assert gcp.plan.rules[0].used < 2 * 10
    assert report.incomplete


def test_azure_hang_ends_at_deadline(azure_scanned):
    from ztscan_azure.arm import RetrySettings

    azure, _ = azure_scanned
    azure.plan = faults.FaultPlan().always(r"^keyvault\.keys\.get$", faults.HANG)
    # Transport timeouts as long as the defaults, so only the scan deadline can end the wait.
    retry = RetrySettings(total=4, backoff_factor=0.0, max_retry_after=0.05, connection_timeout=20, read_timeout=60)
    started = time.monotonic()
    _, report = scan("azure", azure_options(azure, retry=retry), timeout=1.5)
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert report.incomplete
    assert {f.status.value for f in report.findings if f.rule_id == "ZT-DAT-007"} == {"ERROR"}


def test_gcp_hang_ends_at_deadline(gcp_scanned):
    gcp, _ = gcp_scanned
    gcp.plan = faults.FaultPlan().always(r"^cloudkms\.cryptoKeys\.list$", faults.HANG)
    retry = {"initial": 0.01, "maximum": 0.02, "multiplier": 2.0, "deadline": 120.0, "max_attempts": 6}
    started = time.monotonic()
    _, report = scan("gcp", gcp_options(gcp, retry=retry), timeout=1.5)
    assert time.monotonic() - started < HANG_GUARD_SECONDS
    assert report.incomplete
    assert {f.status.value for f in report.findings if f.rule_id == "ZT-DAT-007"} == {"ERROR"}
