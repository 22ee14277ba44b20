"""The table reporter's list of gaps: resource labels stay text, whatever they look like."""

from __future__ import annotations

from ci_report_data import ACCOUNT, RULES, finding

from ztscan.report import Report
from ztscan.reporters.table import TableReporter


def test_numeric_resource_left_aligned() -> None:
    """An account id as a rule's only resource label is left-aligned under its header, not as a number."""
    findings = [finding("ZT-IAM-001", resource=ACCOUNT, kind="identity.account", region="global",
                        message="root has no MFA")]
    text = TableReporter().render(Report(findings=findings, rules=dict(RULES)))
    lines = text.splitlines()
    header = next(line for line in lines if line.strip().startswith("Status") and "Resource" in line)
    row = next(line for line in lines if f" {ACCOUNT} " in line and "FAIL" in line)
    assert row.index(ACCOUNT) == header.index("Resource")
