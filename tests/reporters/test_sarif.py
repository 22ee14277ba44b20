"""SARIF output: schema validity, GitHub code scanning constraints and limits."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from ci_report_data import ACCOUNT, OTHER_ACCOUNT, RULES, finding, mixed_report, rule_meta
from ztscan.model import Scope, ScopeRecord, ScopeState, Severity, Status
from ztscan.report import Report
from ztscan.reporters.base import Reporter
from ztscan.reporters.sarif import SarifReporter, artifact_uri, fingerprint, sanitize_segment

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "sarif-schema-2.1.0.json"


def _refuse_download(uri: str):
    raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    """Return a validator for the copied SARIF schema that never fetches anything over the network."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    resource = Resource.from_contents(schema)
    registry = Registry(retrieve=_refuse_download).with_resource(schema["id"], resource)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry)


def render(report: Report, **limits) -> dict:
    return json.loads(SarifReporter(**limits).render(report))


def all_results(document: dict) -> list[dict]:
    return [result for run in document["runs"] for result in run["results"]]


def assert_valid(validator, document: dict) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert errors == [], "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def report_of(*findings, scopes=()) -> Report:
    return Report(findings=list(findings), rules=dict(RULES), scopes=list(scopes))


# -- schema ------------------------------------------------------------------


@pytest.mark.parametrize("report", [
    pytest.param(mixed_report(), id="mixed"),
    pytest.param(Report(findings=[], rules={}), id="empty"),
    pytest.param(report_of(finding(status=Status.PASS)), id="only-pass"),
    pytest.param(report_of(finding(resource="x" * 300 + " /\\:*?\"<>|\x00\x1b")), id="odd-name"),
])
def test_sarif_schema_valid(validator, report):
    assert_valid(validator, render(report))


def test_sarif_schema_valid_truncated(validator):
    report = report_of(*[finding(resource=f"bucket-{n}") for n in range(5)],
                       *[finding(account=f"1000000000{n:02d}") for n in range(4)])
    assert_valid(validator, render(report, max_runs=2, max_results_per_run=2))


def test_reporter_protocol():
    reporter = SarifReporter()
    assert isinstance(reporter, Reporter)
    assert reporter.name == "sarif"
    assert reporter.suffix == ".sarif"


# -- locations and fingerprints ----------------------------------------------


def test_locations_relative_synthetic_paths():
    for result in all_results(render(mixed_report())):
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri.startswith(".ztscan/"), uri
        assert ":" not in uri, uri
        assert "//" not in uri, uri
        assert location["region"]["startLine"] == 1


def test_location_path_layout():
    uri = artifact_uri(finding())
    assert uri == f".ztscan/aws/{ACCOUNT}/us-east-1/storage.bucket/clinic-phi"


def test_location_scope_error_finding():
    scope = Scope("aws", ACCOUNT, "eu-west-3")
    scope_error = finding(status=Status.ERROR, region="eu-west-3")
    scope_error.resource_id = scope.label()
    scope_error.resource_name = "all storage.bucket resources in " + scope.label()
    assert artifact_uri(scope_error) == f".ztscan/aws/{ACCOUNT}/eu-west-3/storage.bucket/_all"


def test_cloud_ids_in_message_and_logical_location():
    result = next(r for r in all_results(render(report_of(finding()))))
    assert "arn:aws:s3:::clinic-phi" in result["message"]["text"]
    assert ACCOUNT in result["message"]["text"]
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "arn:aws:s3:::clinic-phi"
    assert result["properties"]["resource-id"] == "arn:aws:s3:::clinic-phi"
    assert result["properties"]["region"] == "us-east-1"


@pytest.mark.parametrize("value", [
    pytest.param("a b/c", id="space-slash"),
    pytest.param("..", id="dot-dot"),
    pytest.param(".hidden", id="leading-dot"),
    pytest.param("x" * 200, id="long"),
    pytest.param("bücket", id="non-ascii"),
    pytest.param("", id="empty"),
])
def test_sanitize_segment_safe(value):
    segment = sanitize_segment(value)
    assert segment
    assert not segment.startswith(".")
    assert len(segment) <= 80
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in segment), segment


def test_sanitize_segment_keeps_names_apart():
    assert sanitize_segment("a b") != sanitize_segment("a_b")
    assert sanitize_segment("a b") != sanitize_segment("a/b")


def test_sanitize_segment_keeps_safe_name():
    assert sanitize_segment("clinic-phi_2.logs") == "clinic-phi_2.logs"


def test_fingerprint_identical_across_runs():
    first = {r["partialFingerprints"]["primaryLocationLineHash"] for r in all_results(render(mixed_report()))}
    second = {r["partialFingerprints"]["primaryLocationLineHash"] for r in all_results(render(mixed_report()))}
    assert first == second
    assert len(first) == len(all_results(render(mixed_report())))


def test_fingerprint_ignores_message_and_status():
    before = finding(message="default encryption is off")
    after = finding(message="other words", status=Status.ERROR)
    assert fingerprint(before) == fingerprint(after)


@pytest.mark.parametrize("changed", [
    pytest.param(dict(resource="other-bucket"), id="resource"),
    pytest.param(dict(region="eu-west-1"), id="region"),
    pytest.param(dict(account=OTHER_ACCOUNT), id="account"),
    pytest.param(dict(provider="gcp"), id="provider"),
    pytest.param(dict(rule_id="ZT-LOG-002"), id="rule"),
])
def test_fingerprint_differs_by_key(changed):
    assert fingerprint(finding()) != fingerprint(finding(**changed))


# -- runs --------------------------------------------------------------------


def test_one_run_per_account():
    runs = render(mixed_report())["runs"]
    ids = [run["automationDetails"]["id"] for run in runs]
    assert ids == [f"ztscan/aws/{ACCOUNT}/", f"ztscan/aws/{OTHER_ACCOUNT}/"]


def test_run_for_account_without_results():
    report = report_of(finding(status=Status.PASS), finding(account=OTHER_ACCOUNT))
    runs = render(report)["runs"]
    assert [run["automationDetails"]["id"] for run in runs] == [f"ztscan/aws/{ACCOUNT}/", f"ztscan/aws/{OTHER_ACCOUNT}/"]
    assert runs[0]["results"] == []
    assert runs[0]["tool"]["driver"]["rules"] == []


def test_run_for_scope_only_account():
    report = report_of(scopes=[ScopeRecord(Scope("azure", "sub-1"), ScopeState.SCANNED)])
    runs = render(report)["runs"]
    assert [run["automationDetails"]["id"] for run in runs] == ["ztscan/azure/sub-1/"]


def test_empty_report_single_run():
    runs = render(Report(findings=[], rules={}))["runs"]
    assert len(runs) == 1
    assert "automationDetails" not in runs[0]


def test_failed_scope_notification():
    run = render(mixed_report())["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [note["message"]["text"] for note in invocation["toolExecutionNotifications"]]
    assert any("eu-west-3" in text for text in texts)


def test_driver_fields():
    driver = render(mixed_report())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "ztscan"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")


# -- results -----------------------------------------------------------------


def test_statuses_left_out():
    results = all_results(render(mixed_report()))
    statuses = sorted(r["properties"]["ztscan-status"] for r in results)
    assert statuses == ["ERROR", "FAIL", "FAIL", "FAIL"]


def test_muted_result_left_out():
    names = {r["properties"]["resource-name"] for r in all_results(render(mixed_report()))}
    assert "public-site" not in names
    assert "clinic-logs" not in names
    assert "vpc-1" not in names


def test_error_result_shape():
    result = next(r for r in all_results(render(mixed_report())) if r["properties"]["ztscan-status"] == "ERROR")
    assert result["level"] == "warning"
    assert "could not be checked" in result["message"]["text"]
    assert "AccessDenied" in result["message"]["text"]


@pytest.mark.parametrize("rule_id, level", [
    pytest.param("ZT-IAM-001", "error", id="critical"),
    pytest.param("ZT-DAT-001", "error", id="high"),
    pytest.param("ZT-NET-004", "warning", id="medium"),
    pytest.param("ZT-LOG-002", "warning", id="low"),
])
def test_fail_level_by_severity(rule_id, level):
    result = all_results(render(report_of(finding(rule_id))))[0]
    assert result["level"] == level


def test_rule_index_points_at_rule():
    for run in render(mixed_report())["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


# -- rules -------------------------------------------------------------------


def test_rules_only_with_results():
    runs = render(mixed_report())["runs"]
    assert [rule["id"] for rule in runs[0]["tool"]["driver"]["rules"]] == ["ZT-DAT-001", "ZT-IAM-001"]
    assert [rule["id"] for rule in runs[1]["tool"]["driver"]["rules"]] == ["ZT-NET-004"]


@pytest.mark.parametrize("severity, score", [
    pytest.param(Severity.CRITICAL, 9.5, id="critical"),
    pytest.param(Severity.HIGH, 8.0, id="high"),
    pytest.param(Severity.MEDIUM, 5.5, id="medium"),
    pytest.param(Severity.LOW, 3.0, id="low"),
])
def test_security_severity_score(severity, score):
    report = Report(findings=[finding()], rules={"ZT-DAT-001": rule_meta(severity=severity)})
    value = render(report)["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["security-severity"]
    assert isinstance(value, str)
    assert float(value) == score


def test_rule_descriptor_fields():
    rule = render(report_of(finding("ZT-IAM-001", resource="alice")))["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["id"] == "ZT-IAM-001"
    assert rule["name"] == "console-users-mfa"
    assert rule["shortDescription"]["text"] == "Console users have MFA"
    assert rule["fullDescription"]["text"]
    assert "45 CFR 164.312(d)" in rule["help"]["text"]
    assert "164.312(f) (proposed)" in rule["help"]["text"]
    assert "45 CFR 164.312(d)" in rule["help"]["markdown"]
    assert "164.312(f) (proposed)" in rule["help"]["markdown"]
    assert "Enable SSE-KMS" in rule["help"]["markdown"]
    assert "hipaa-164.312(d)" in rule["properties"]["tags"]
    assert "security" in rule["properties"]["tags"]


def test_full_description_truncated():
    meta = rule_meta(rationale="word " * 400)
    report = Report(findings=[finding()], rules={"ZT-DAT-001": meta})
    rule = render(report)["runs"][0]["tool"]["driver"]["rules"][0]
    assert len(rule["fullDescription"]["text"]) <= 1024
    assert rule["help"]["text"].count("word") == 400


def test_tags_at_most_twenty():
    citations = tuple(f"164.312(a)({n})" for n in range(1, 30))
    meta = rule_meta(hipaa=citations, nprm=citations)
    report = Report(findings=[finding()], rules={"ZT-DAT-001": meta})
    tags = render(report)["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"]
    assert len(tags) == 20
    assert len(set(tags)) == 20
    assert tags[0] == "security"


def test_rule_without_catalogue_entry(validator):
    document = render(report_of(finding("ZT-PLUGIN-001")))
    assert_valid(validator, document)
    assert document["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "ZT-PLUGIN-001"


# -- limits ------------------------------------------------------------------


def test_results_truncated_most_severe_first(caplog):
    report = report_of(finding("ZT-LOG-002", resource="low-1"), finding("ZT-IAM-001", resource="alice"),
                       finding("ZT-NET-004", resource="vpc-9"), finding(resource="phi-1"))
    with caplog.at_level(logging.WARNING, logger="ztscan.reporters.sarif"):
        run = render(report, max_results_per_run=2)["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["ZT-IAM-001", "ZT-DAT-001"]
    assert "truncated" in caplog.text
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("exceed the limit of 2" in note["message"]["text"] for note in notes)


def test_runs_limited(caplog):
    report = report_of(*[finding(account=f"1000000000{n:02d}") for n in range(3)])
    with caplog.at_level(logging.WARNING, logger="ztscan.reporters.sarif"):
        runs = render(report, max_runs=2)["runs"]
    assert len(runs) == 2
    assert "100000000002" in caplog.text


def test_default_limits_match_github():
    reporter = SarifReporter()
    assert reporter.max_runs == 20
    assert reporter.max_results_per_run == 25_000


def test_schema_copy_rejects_broken_log(validator):
    document = render(mixed_report())
    del document["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(document))


def test_truncated_errors_keep_run_incomplete():
    report = report_of(finding("ZT-IAM-001", resource="alice"), finding(resource="unreadable", status=Status.ERROR))
    run = render(report, max_results_per_run=1)["runs"][0]
    assert [r["properties"]["ztscan-status"] for r in run["results"]] == ["FAIL"]
    assert run["invocations"][0]["executionSuccessful"] is False
