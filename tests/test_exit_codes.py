"""The exit-code policy of Report.exit_code, over every combination of its inputs."""

from __future__ import annotations

import itertools

import pytest

from ztscan.model import Finding, Scope, ScopeRecord, ScopeState, Severity, Status
from ztscan.report import ExitCode, Report

SCOPE = Scope("aws", "123456789012", "us-east-1")
THRESHOLDS = [None, *Severity]
GAP_SETS = [(), (Severity.LOW,), (Severity.MEDIUM,), (Severity.HIGH,), (Severity.CRITICAL,),
            (Severity.LOW, Severity.CRITICAL)]
INCOMPLETE = ["complete", "error-finding", "failed-scope"]


def make_finding(severity: Severity, status: Status = Status.FAIL, resource: str = "r", **extra) -> Finding:
    return Finding(rule_id="ZT-DAT-001", status=status, severity=severity, scope=SCOPE, resource_id=resource,
                   resource_kind="storage.bucket", resource_name=resource, message="m", **extra)


def make_report(gaps, incomplete: str) -> Report:
    findings = [make_finding(severity, resource=f"gap-{n}") for n, severity in enumerate(gaps)]
    findings.append(make_finding(Severity.CRITICAL, Status.PASS, "passing"))
    scopes = [ScopeRecord(SCOPE, ScopeState.SCANNED)]
    if incomplete == "error-finding":
        findings.append(make_finding(Severity.LOW, Status.ERROR, "unreadable"))
    elif incomplete == "failed-scope":
        scopes.append(ScopeRecord(Scope("aws", "123456789012", "eu-west-3"), ScopeState.FAILED, "denied"))
    return Report(findings=findings, rules={}, scopes=scopes)


def expected_code(gaps, fail_on, incomplete: str, allow_incomplete: bool) -> ExitCode:
    if incomplete != "complete" and not allow_incomplete:
        return ExitCode.INCOMPLETE
    if fail_on is not None and any(severity.rank >= fail_on.rank for severity in gaps):
        return ExitCode.GAPS
    return ExitCode.OK


CASES = [
    pytest.param(gaps, fail_on, incomplete, allow,
                 id=f"gaps[{'+'.join(s.value for s in gaps) or 'none'}]-fail-on-{fail_on.value if fail_on else 'none'}"
                    f"-{incomplete}-{'allow' if allow else 'strict'}")
    for gaps, fail_on, incomplete, allow in itertools.product(GAP_SETS, THRESHOLDS, INCOMPLETE, (False, True))
]


@pytest.mark.parametrize("gaps, fail_on, incomplete, allow_incomplete", CASES)
def test_exit_code_policy(gaps, fail_on, incomplete, allow_incomplete):
    report = make_report(gaps, incomplete)
    assert report.exit_code(fail_on, allow_incomplete=allow_incomplete) is \
        expected_code(gaps, fail_on, incomplete, allow_incomplete)


@pytest.mark.parametrize("severity, fail_on, expected", [
    pytest.param(Severity.HIGH, Severity.HIGH, ExitCode.GAPS, id="equal-threshold"),
    pytest.param(Severity.MEDIUM, Severity.HIGH, ExitCode.OK, id="below-threshold"),
    pytest.param(Severity.CRITICAL, Severity.LOW, ExitCode.GAPS, id="above-threshold"),
    pytest.param(Severity.CRITICAL, None, ExitCode.OK, id="fail-on-none"),
])
def test_threshold_boundaries(severity, fail_on, expected):
    assert make_report((severity,), "complete").exit_code(fail_on) is expected


def test_incomplete_wins_over_gaps():
    report = make_report((Severity.CRITICAL,), "error-finding")
    assert report.exit_code(Severity.LOW) is ExitCode.INCOMPLETE


def test_allow_incomplete_still_fails_on_gaps():
    report = make_report((Severity.CRITICAL,), "error-finding")
    assert report.exit_code(Severity.LOW, allow_incomplete=True) is ExitCode.GAPS


def test_muted_gap_not_counted():
    muted = make_finding(Severity.CRITICAL, Status.MUTED, original_status=Status.FAIL)
    report = Report(findings=[muted], rules={})
    assert report.exit_code(Severity.LOW) is ExitCode.OK


def test_skipped_scope_not_incomplete():
    report = make_report((), "complete")
    report.scopes.append(ScopeRecord(Scope("aws", "123456789012", "ap-east-1"), ScopeState.SKIPPED, "not enabled"))
    assert report.exit_code(Severity.LOW) is ExitCode.OK


@pytest.mark.parametrize("override, expected", [
    pytest.param([], ExitCode.OK, id="no-new-gaps"),
    pytest.param(None, ExitCode.GAPS, id="all-gaps"),
])
def test_baseline_gaps_override(override, expected):
    report = make_report((Severity.HIGH,), "complete")
    assert report.exit_code(Severity.LOW, gaps=override) is expected


def test_baseline_override_keeps_incomplete():
    report = make_report((Severity.HIGH,), "failed-scope")
    assert report.exit_code(Severity.LOW, gaps=[]) is ExitCode.INCOMPLETE


@pytest.mark.parametrize("code, value", [
    pytest.param(ExitCode.OK, 0, id="ok"),
    pytest.param(ExitCode.GAPS, 1, id="gaps"),
    pytest.param(ExitCode.USAGE, 2, id="usage"),
    pytest.param(ExitCode.INCOMPLETE, 3, id="incomplete"),
])
def test_exit_code_values_stable(code, value):
    assert int(code) == value
