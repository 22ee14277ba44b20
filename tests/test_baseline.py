"""Baselines: reading a previous JSON report and sorting gaps into new, fixed, unchanged and unverified."""

from __future__ import annotations

import json

import pytest

from ztscan.baseline import compare, load_baseline, new_gaps
from ztscan.model import Finding, Scope, ScopeRecord, ScopeState, Severity, Status
from ztscan.provider import ConfigurationError
from ztscan.report import ExitCode, Report
from ztscan.rulecatalogue import RuleMeta

ACCOUNT = "123456789012"


def meta(rule_id: str) -> RuleMeta:
    return RuleMeta(id=rule_id, name="some-rule", title="Some rule title", severity=Severity.HIGH, pillar="data",
                    rationale="why", remediation={"default": "fix it"}, hipaa=("164.312(b)",), nprm=())


RULES = {rule_id: meta(rule_id) for rule_id in ("ZT-DAT-001", "ZT-IAM-001")}


def make_finding(resource="bucket-a", status=Status.FAIL, rule_id="ZT-DAT-001", account=ACCOUNT,
                 region="us-east-1", severity=Severity.HIGH, **extra) -> Finding:
    return Finding(rule_id=rule_id, status=status, severity=severity, scope=Scope("aws", account, region),
                   resource_id=f"arn:aws:s3:::{resource}", resource_kind="storage.bucket", resource_name=resource,
                   message="message", **extra)


def make_report(*findings, scopes=None) -> Report:
    if scopes is None:
        scopes = [ScopeRecord(Scope("aws", ACCOUNT, "us-east-1"), ScopeState.SCANNED)]
    return Report(findings=list(findings), rules=dict(RULES), scopes=scopes)


def save(tmp_path, report: Report, name="previous.json"):
    path = tmp_path / name
    path.write_text(json.dumps(report.to_dict()), encoding="utf-8")
    return path


def names(items):
    return sorted(item["resource_id"].rsplit(":", 1)[-1] for item in items)


# -- loading -----------------------------------------------------------------


def test_load_gap_keys(tmp_path):
    previous = make_report(make_finding("a"), make_finding("b", Status.PASS), make_finding("c", Status.ERROR))
    keys = load_baseline(save(tmp_path, previous))
    assert keys == {make_finding("a").key}


def test_load_includes_muted_gaps(tmp_path):
    muted = make_finding("m", Status.MUTED, original_status=Status.FAIL,
                         suppression={"reason": "r", "owner": "o", "expires": "2026-12-31"})
    keys = load_baseline(save(tmp_path, make_report(muted)))
    assert keys == {muted.key}


def test_load_records_source(tmp_path):
    path = save(tmp_path, make_report())
    assert load_baseline(path).source == str(path)


@pytest.mark.parametrize("text, expected", [
    pytest.param("{", "invalid JSON at line 1", id="not-json"),
    pytest.param("[]", "expected an object", id="list"),
    pytest.param("{}", "no schema_version", id="no-version"),
    pytest.param('{"schema_version": 99, "findings": []}', "schema_version 99 is not supported", id="new-version"),
    pytest.param('{"schema_version": true, "findings": []}', "is not supported", id="bool-version"),
    pytest.param('{"schema_version": 1}', "no 'findings' list", id="no-findings"),
    pytest.param('{"schema_version": 1, "findings": [7]}', "findings[0] is not an object", id="finding-type"),
    pytest.param('{"schema_version": 1, "findings": [{"rule_id": "X"}]}', "findings[0] is invalid: missing key",
                 id="finding-keys"),
    pytest.param('{"schema_version": 1, "findings": [{"rule_id": "X", "status": "MAYBE", "severity": "high", '
                 '"scope": {"provider": "aws", "account": "1"}, "resource": {"id": "r", "kind": "k"}}]}',
                 "findings[0] is invalid", id="bad-status"),
    pytest.param('{"version": "2.1.0", "runs": []}', "this is a SARIF file", id="sarif"),
])
def test_load_invalid(tmp_path, text, expected):
    path = tmp_path / "previous.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_baseline(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(ConfigurationError, match="baseline report not found"):
        load_baseline(tmp_path / "nope.json")


# -- comparing ---------------------------------------------------------------


def test_compare_categories(tmp_path):
    previous = make_report(make_finding("kept"), make_finding("gone"), make_finding("fixed"))
    current = make_report(make_finding("kept"), make_finding("fresh"), make_finding("fixed", Status.PASS))
    result = compare(current, load_baseline(save(tmp_path, previous)))
    assert names(result["new"]) == ["fresh"]
    assert names(result["unchanged"]) == ["kept"]
    assert names(result["fixed"]) == ["fixed", "gone"]
    assert result["unverified"] == []
    assert result["counts"] == {"new": 1, "fixed": 2, "unchanged": 1, "unverified": 0}


def test_compare_new_keys():
    current = make_report(make_finding("fresh"), make_finding("kept"))
    result = compare(current, {make_finding("kept").key})
    assert result["new_keys"] == [list(make_finding("fresh").key)]


def test_compare_json_ready(tmp_path):
    current = make_report(make_finding("fresh"))
    result = compare(current, load_baseline(save(tmp_path, make_report(make_finding("old")))))
    assert json.loads(json.dumps(result)) == result


def test_muted_gap_not_fixed():
    muted = make_finding("m", Status.MUTED, original_status=Status.FAIL)
    result = compare(make_report(muted), {muted.key})
    assert names(result["unchanged"]) == ["m"]
    assert result["fixed"] == []


@pytest.mark.parametrize("current, reason", [
    pytest.param(make_report(make_finding("x", Status.ERROR)), "could not run", id="error-finding"),
    pytest.param(make_report(make_finding("other", rule_id="ZT-IAM-001")), None, id="resource-removed"),
    pytest.param(make_report(scopes=[]), "account was not scanned", id="other-account"),
    pytest.param(Report(findings=[], rules={"ZT-IAM-001": meta("ZT-IAM-001")},
                        scopes=[ScopeRecord(Scope("aws", ACCOUNT, "us-east-1"), ScopeState.SCANNED)]),
                 "rule was not evaluated", id="rule-not-run"),
    pytest.param(make_report(scopes=[ScopeRecord(Scope("aws", ACCOUNT, "us-east-1"), ScopeState.FAILED, "denied")]),
                 "was failed", id="failed-scope"),
    pytest.param(make_report(Finding(rule_id="ZT-DAT-001", status=Status.ERROR, severity=Severity.HIGH,
                                     scope=Scope("aws", ACCOUNT, "us-east-1"), resource_id=f"aws:{ACCOUNT}:us-east-1",
                                     resource_kind="storage.bucket", resource_name="all", message="listing failed")),
                 "could not be listed", id="listing-failed"),
])
def test_previous_gap_unverified_or_fixed(current, reason):
    result = compare(current, {make_finding("x").key})
    if reason is None:
        assert names(result["fixed"]) == ["x"]
        assert result["unverified"] == []
    else:
        assert result["fixed"] == []
        assert len(result["unverified"]) == 1
        assert reason in result["unverified"][0]["reason"]


def test_new_gaps_only_unmuted():
    fresh = make_finding("fresh")
    muted = make_finding("muted", Status.MUTED, original_status=Status.FAIL)
    report = make_report(fresh, muted, make_finding("kept"))
    result = compare(report, {make_finding("kept").key})
    assert names(result["new"]) == ["fresh", "muted"]
    assert new_gaps(report, result) == [fresh]


@pytest.mark.parametrize("baseline_has_gap, expected", [
    pytest.param(True, ExitCode.OK, id="known-gap"),
    pytest.param(False, ExitCode.GAPS, id="new-gap"),
])
def test_exit_code_counts_new_gaps(baseline_has_gap, expected):
    report = make_report(make_finding("a"))
    baseline = {make_finding("a").key} if baseline_has_gap else set()
    report.baseline = compare(report, baseline)
    assert report.exit_code(Severity.LOW, gaps=new_gaps(report, report.baseline)) is expected


def test_round_trip_with_baseline_field(tmp_path):
    report = make_report(make_finding("a"))
    report.baseline = compare(report, set())
    keys = load_baseline(save(tmp_path, report))
    assert keys == {make_finding("a").key}
