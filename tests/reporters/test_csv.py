"""CSV output: one row per finding, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from ci_report_data import RULES, finding, mixed_report
from ztscan.report import Report
from ztscan.reporters.csv_report import COLUMNS, CsvReporter, neutralize


def rows(report: Report) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(CsvReporter().render(report), newline="")))


def test_header_columns():
    header = next(csv.reader(io.StringIO(CsvReporter().render(mixed_report()))))
    assert tuple(header) == COLUMNS
    for column in ("rule_id", "title", "severity", "status", "original_status", "provider", "account",
                   "region", "resource_kind", "resource_id", "resource_name", "message", "hipaa",
                   "nprm_proposed", "pillar"):
        assert column in header


def test_one_row_per_finding():
    report = mixed_report()
    assert len(rows(report)) == len(report.findings)


def test_row_values():
    row = next(r for r in rows(mixed_report()) if r["resource_name"] == "alice")
    assert row["rule_id"] == "ZT-IAM-001"
    assert row["title"] == "Console users have MFA"
    assert row["severity"] == "critical"
    assert row["status"] == "FAIL"
    assert row["region"] == "global"
    assert row["hipaa"] == "164.312(d)"
    assert row["nprm_proposed"] == "164.312(f) (proposed)"
    assert row["pillar"] == "identity"


def test_muted_row():
    row = next(r for r in rows(mixed_report()) if r["resource_name"] == "public-site")
    assert row["status"] == "MUTED"
    assert row["original_status"] == "FAIL"
    assert row["suppression_reason"] == "static website, no PHI"
    assert row["suppression_owner"] == "web-team"
    assert row["suppression_expires"] == "2026-12-31"


@pytest.mark.parametrize("value", [
    pytest.param("=HYPERLINK(\"https://example.invalid\")", id="equals"),
    pytest.param("+1+1", id="plus"),
    pytest.param("-2+3", id="minus"),
    pytest.param("@SUM(A1)", id="at"),
    pytest.param("\t=1", id="tab"),
    pytest.param("\r=1", id="carriage-return"),
])
def test_formula_neutralized(value):
    row = rows(Report(findings=[finding(message=value, resource="b")], rules=dict(RULES)))[0]
    assert row["message"] == "'" + value


@pytest.mark.parametrize("value", [
    pytest.param("plain text", id="plain"),
    pytest.param("a=b", id="equals-inside"),
    pytest.param("", id="empty"),
])
def test_safe_value_unchanged(value):
    assert neutralize(value) == value


def test_resource_name_neutralized():
    row = rows(Report(findings=[finding(resource="=cmd|' /C calc'!A0")], rules=dict(RULES)))[0]
    assert row["resource_name"].startswith("'=")


def test_multiline_message_round_trips():
    row = rows(Report(findings=[finding(message="first line\nsecond, quoted \"part\"")], rules=dict(RULES)))[0]
    assert row["message"] == "first line\nsecond, quoted \"part\""


def test_unknown_rule_blank_columns():
    row = rows(Report(findings=[finding("ZT-PLUGIN-001")], rules={}))[0]
    assert row["title"] == ""
    assert row["hipaa"] == ""
