"""Denied or exhausted operations turn only the scopes that depend on them to ERROR, and the exit code to 3."""

from __future__ import annotations

import io
import json
import re

import pytest

from tests.faults import plan as faults
from tests.faults.conftest import aws_options, azure_options, gcp_options, scan
from tests.faults.estates import AZURE_SUBSCRIPTIONS
from tests.plugins.azure.azure_estate import TENANT
from tests.plugins.azure.conftest import SECRET_VARIABLE
from ztscan.cli import main

#: Denied, or retries exhausted by a throttle on every attempt. Each provider's first case runs with both.
DENIED = [pytest.param(faults.DENIED, id="denied")]
BOTH = DENIED + [pytest.param(faults.THROTTLE, id="throttled-always")]


def cases(table: list) -> list:
    """Expand (operation, rules) cases into (operation, rules, kind) cases."""
    expanded = []
    for index, case in enumerate(table):
        for kind in BOTH if index == 0 else DENIED:
            expanded.append(pytest.param(*case.values, *kind.values, id=f"{case.id}-{kind.id}"))
    return expanded


def _by_key(report) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.resource_id): f.status.value for f in report.findings}


def assert_scoped(clean, faulty, expected_rules: set[str]) -> None:
    """Check that only ``expected_rules`` changed, that every change is to ERROR, and nothing else moved."""
    before, after = _by_key(clean), _by_key(faulty)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed, "the fault changed no finding"
    assert {rule for rule, _ in changed} == expected_rules
    assert all(after[key] == "ERROR" for key in changed if key in after)
    for rule, resource in changed - after.keys():
        # A resource finding that disappeared was replaced by a scope-wide ERROR of the same rule.
        assert any(key[0] == rule and status == "ERROR" for key, status in after.items())
    unchanged = {key: status for key, status in before.items() if key[0] not in expected_rules}
    assert {key: after.get(key) for key in unchanged} == unchanged
    assert faulty.incomplete


def _pattern(operation: str) -> str:
    return "^" + re.escape(operation) + "$"


AWS_CASES = [
    pytest.param("s3.GetBucketVersioning", {"ZT-BAK-002"}, id="bucket-versioning"),
    pytest.param("ec2.DescribeVolumes", {"ZT-DAT-002"}, id="volume-listing"),
    pytest.param("kms.GetKeyRotationStatus", {"ZT-DAT-007"}, id="key-rotation"),
    pytest.param("cloudtrail.DescribeTrails", {"ZT-LOG-001", "ZT-LOG-003"}, id="trail-listing"),
]


@pytest.mark.parametrize(("operation", "rules", "kind"), cases(AWS_CASES))
def test_aws_fault_scoped(aws_scanned, operation, rules, kind):
    aws, clean = aws_scanned
    aws.plan = faults.FaultPlan().always(_pattern(operation), kind)
    _, faulty = scan("aws", aws_options(aws))
    assert_scoped(clean, faulty, rules)


AZURE_CASES = [
    pytest.param("graph.userRegistrationDetails.list", {"ZT-IAM-001"}, id="mfa-registration"),
    pytest.param("keyvault.keys.get", {"ZT-DAT-007"}, id="key-rotation"),
]


@pytest.mark.parametrize(("operation", "rules", "kind"), cases(AZURE_CASES))
def test_azure_fault_scoped(azure_scanned, operation, rules, kind):
    azure, clean = azure_scanned
    azure.plan = faults.FaultPlan().always(_pattern(operation), kind)
    _, faulty = scan("azure", azure_options(azure))
    assert_scoped(clean, faulty, rules)


GCP_CASES = [
    pytest.param("storage.buckets.getIamPolicy", {"ZT-DAT-009"}, id="bucket-policy"),
    pytest.param("iam.serviceAccounts.keys.list", {"ZT-IAM-010"}, id="service-account-keys"),
]


@pytest.mark.parametrize(("operation", "rules", "kind"), cases(GCP_CASES))
def test_gcp_fault_scoped(gcp_scanned, operation, rules, kind):
    gcp, clean = gcp_scanned
    gcp.plan = faults.FaultPlan().always(_pattern(operation), kind)
    _, faulty = scan("gcp", gcp_options(gcp))
    assert_scoped(clean, faulty, rules)


def test_gcp_denied_in_one_project_only(gcp_scanned):
    gcp, clean = gcp_scanned
    gcp.fail("/storage/v1/b/clinic-lab-records/iam", 403, times=1)
    _, faulty = scan("gcp", gcp_options(gcp))
    before, after = _by_key(clean), _by_key(faulty)
    changed = {key for key in before if before[key] != after.get(key)}
    assert changed == {("ZT-DAT-009", "//storage.googleapis.com/projects/_/buckets/clinic-lab-records")}
    assert after[next(iter(changed))] == "ERROR"


# -- the command line: exit code 3 and a report marked incomplete ---------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _report(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_aws_cli_denied_exit_incomplete(aws_scanned, tmp_path):
    aws, _ = aws_scanned
    aws.plan = faults.FaultPlan().always(r"^s3\.GetBucketVersioning$", faults.DENIED)
    output = tmp_path / "report.json"
    code, _, err = run_cli("scan", "aws", "--regions", "us-east-1", "--format", "json", "--output", str(output))
    report = _report(output)
    assert code == 3
    assert report["complete"] is False
    assert "Traceback" not in err


def azure_cli_arguments(server) -> list[str]:
    return ["scan", "azure", "--tenant-id", TENANT, "--client-id", "11111111-2222-3333-4444-555555555555",
            "--client-secret-env", SECRET_VARIABLE, "--arm-endpoint", server.url, "--graph-endpoint", server.url,
            "--authority-host", server.url, "--ca-bundle", server.ca_path, "--max-retries", "1",
            "--max-retry-wait", "0.05"]


def test_azure_cli_denied_exit_incomplete(azure_scanned, tmp_path):
    azure, _ = azure_scanned
    azure.plan = faults.FaultPlan().always(r"^keyvault\.keys\.get$", faults.DENIED)
    output = tmp_path / "report.json"
    code, _, err = run_cli(*azure_cli_arguments(azure), "--subscriptions", AZURE_SUBSCRIPTIONS[0],
                           "--format", "json", "--output", str(output))
    report = _report(output)
    assert code == 3
    assert report["complete"] is False
    assert "Traceback" not in err


def test_azure_cli_clean_not_incomplete(azure_scanned, tmp_path):
    azure, _ = azure_scanned
    output = tmp_path / "report.json"
    code, _, err = run_cli(*azure_cli_arguments(azure), "--format", "json", "--output", str(output))
    assert code == 1, err
    assert _report(output)["complete"] is True
