"""Random throttling and transient errors that retries absorb leave the findings of a clean run unchanged."""

from __future__ import annotations


import pytest

from tests.faults import plan as faults
from tests.faults.conftest import aws_options, azure_options, gcp_options, scan
from tests.faults.estates import finding_set

#: botocore's standard mode makes 4 attempts (ztscan's default), so up to 3 faults in a row are absorbed.
AWS_ABSORBED = 3
#: The fault tests give Azure 4 retries (5 attempts) and GCP 5 attempts.
AZURE_ABSORBED = 4
GCP_ABSORBED = 4

SEEDS = [pytest.param(1, id="seed-1")]


def _random(seed: int, rate: float, kinds: tuple[str, ...], absorbed: int) -> faults.FaultPlan:
    return faults.FaultPlan(seed=seed, rate=rate, kinds=kinds, max_consecutive=absorbed)


@pytest.mark.parametrize("seed", SEEDS)
def test_aws_throttling_same_findings(aws_scanned, seed):
    aws, clean = aws_scanned
    assert not clean.incomplete
    aws.plan = _random(seed, 0.2, (faults.THROTTLE,), AWS_ABSORBED)
    _, throttled = scan("aws", aws_options(aws))
    assert aws.plan.injected[faults.THROTTLE] >= 5
    assert finding_set(throttled.findings) == finding_set(clean.findings)
    assert not throttled.incomplete


@pytest.mark.parametrize("seed", SEEDS)
def test_azure_throttling_same_findings(azure_scanned, seed):
    azure, clean = azure_scanned
    assert not clean.incomplete
    azure.plan = _random(seed, 0.2, (faults.THROTTLE,), AZURE_ABSORBED)
    _, throttled = scan("azure", azure_options(azure))
    assert azure.plan.injected[faults.THROTTLE] >= 5
    assert finding_set(throttled.findings) == finding_set(clean.findings)


@pytest.mark.parametrize("seed", SEEDS)
def test_gcp_throttling_same_findings(gcp_scanned, seed):
    gcp, clean = gcp_scanned
    assert not clean.incomplete
    gcp.plan = _random(seed, 0.2, (faults.THROTTLE,), GCP_ABSORBED)
    _, throttled = scan("gcp", gcp_options(gcp))
    assert gcp.plan.injected[faults.THROTTLE] >= 5
    assert finding_set(throttled.findings) == finding_set(clean.findings)


#: Transient faults other than throttling: 500, 503, a dropped connection and a response after the read timeout.
TRANSIENT = (faults.SERVER_ERROR, faults.UNAVAILABLE, faults.RESET)


def test_aws_transient_faults_same_findings(aws_scanned):
    aws, clean = aws_scanned
    aws.plan = _random(3, 0.2, TRANSIENT + (faults.SLOW,), AWS_ABSORBED)
    aws.middleware.slow_seconds = 1.0
    _, faulty = scan("aws", aws_options(aws, read_timeout=0.5))
    assert sum(aws.plan.injected.values()) >= 5
    assert finding_set(faulty.findings) == finding_set(clean.findings)


def test_azure_transient_faults_same_findings(azure_scanned):
    azure, clean = azure_scanned
    azure.plan = _random(3, 0.2, TRANSIENT + (faults.SLOW,), AZURE_ABSORBED)
    _, faulty = scan("azure", azure_options(azure))
    assert sum(azure.plan.injected.values()) >= 5
    assert finding_set(faulty.findings) == finding_set(clean.findings)


def test_gcp_transient_faults_same_findings(gcp_scanned):
    gcp, clean = gcp_scanned
    gcp.plan = _random(3, 0.2, TRANSIENT, GCP_ABSORBED)
    _, faulty = scan("gcp", gcp_options(gcp))
    assert sum(gcp.plan.injected.values()) >= 5
    assert finding_set(faulty.findings) == finding_set(clean.findings)
