"""Tests of ztscan.rollup and the exit-code policy across tenants (ztscan.tenant_output)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from ztscan.model import Severity
from ztscan.report import ExitCode
from ztscan.rollup import build_rollup, count_noun, render_csv, render_json, render_table
from ztscan.tenant_output import exit_code

RULES = {
    "ZT-NET-001": {"name": "no-internet-admin-ports", "title": "No admin ports open", "severity": "critical",
                   "pillar": "networks", "hipaa": ["164.312(e)(1)"], "nprm": ["164.312(e)(1)"]},
    "ZT-BAK-002": {"name": "bucket-versioning", "title": "Buckets keep versions", "severity": "medium",
                   "pillar": "data", "hipaa": ["164.308(a)(7)(ii)(A)"], "nprm": []},
    "ZT-IAM-002": {"name": "root-mfa", "title": "Root has MFA", "severity": "critical",
                   "pillar": "identity", "hipaa": ["164.312(d)"], "nprm": ["164.312(d)"]},
}


def control(control_id: str, status: str, assessable: bool = True, proposed: bool = False,
            fail: int = 0, error: int = 0) -> dict[str, Any]:
    return {"id": control_id, "name": f"control {control_id}", "type": "standard", "assessable": assessable,
            "proposed": proposed, "label": "PROPOSED" if proposed else "", "status": status,
            "resources": {"pass": 0, "fail": fail, "error": error, "not_applicable": 0}}


def report(findings: list[tuple[str, str]], hipaa: dict[str, str], nprm: dict[str, str],
           complete: bool = True) -> dict[str, Any]:
    statuses = {"PASS": 0, "FAIL": 0, "ERROR": 0, "NOT_APPLICABLE": 0, "MUTED": 0}
    severities = {"critical": 0, "high": 0, "medium": 0, "low": 0}
    rendered = []
    for rule_id, status in findings:
        severity = RULES[rule_id]["severity"]
        statuses[status] += 1
        if status == "FAIL":
            severities[severity] += 1
        rendered.append({"rule_id": rule_id, "status": status, "severity": severity})
    return {
        "complete": complete,
        "summary": {"status": statuses, "fail_by_severity": severities},
        "rules": RULES,
        "findings": rendered,
        "matrix": {
            "hipaa": {"id": "hipaa", "title": "HIPAA Security Rule", "status": "in force", "proposed": False,
                      "label": "", "controls": [control(key, value, assessable=key != "manual",
                                                        fail=int(value == "FAIL"))
                                                for key, value in hipaa.items()]},
            "nprm": {"id": "nprm", "title": "HIPAA NPRM", "status": "proposed, not final", "proposed": True,
                     "label": "PROPOSED", "controls": [control(key, value, proposed=True) for key, value in nprm.items()]},
        },
    }


def tenants() -> list[dict[str, Any]]:
    return [
        {"name": "alpha", "status": "complete", "errors": [],
         "report": report([("ZT-BAK-002", "FAIL"), ("ZT-NET-001", "PASS")],
                          {"c1": "PASS", "c2": "FAIL", "manual": "MANUAL"}, {"p1": "PASS"})},
        {"name": "bravo", "status": "complete", "errors": [],
         "report": report([("ZT-NET-001", "FAIL"), ("ZT-BAK-002", "FAIL")],
                          {"c1": "FAIL", "c2": "FAIL", "manual": "MANUAL"}, {"p1": "FAIL"})},
        {"name": "charlie", "status": "error", "errors": ["sts:AssumeRole failed: AccessDenied"],
         "report": report([("ZT-NET-001", "ERROR"), ("ZT-IAM-002", "ERROR")],
                          {"c1": "INCOMPLETE", "c2": "INCOMPLETE", "manual": "MANUAL"}, {"p1": "INCOMPLETE"},
                          complete=False)},
    ]


def test_rollup_summary() -> None:
    assert build_rollup(tenants())["summary"] == {"tenants": 3, "error": 1, "incomplete": 0, "complete": 2}


def test_tenants_worst_first() -> None:
    rows = build_rollup(tenants())["tenants"]
    assert [row["name"] for row in rows] == ["charlie", "bravo", "alpha"]
    assert rows[0]["errors"] == ["sts:AssumeRole failed: AccessDenied"]


def test_gaps_failing_before_errors() -> None:
    gaps = build_rollup(tenants())["gaps"]
    assert [gap["rule_id"] for gap in gaps] == ["ZT-NET-001", "ZT-BAK-002", "ZT-IAM-002"]
    assert gaps[0]["tenants_failing"] == ["bravo"]
    assert gaps[0]["tenants_error"] == ["charlie"]
    assert gaps[1]["tenants_failing"] == ["alpha", "bravo"]
    assert gaps[2]["tenants_failing"] == []


def test_muted_gap_still_counts() -> None:
    items = tenants()
    items[0]["report"]["findings"][0] = {"rule_id": "ZT-BAK-002", "status": "MUTED", "original_status": "FAIL",
                                         "severity": "medium"}
    gaps = {gap["rule_id"]: gap for gap in build_rollup(items)["gaps"]}
    assert gaps["ZT-BAK-002"]["tenants_failing"] == ["alpha", "bravo"]


def test_controls_worst_first() -> None:
    hipaa = build_rollup(tenants())["catalogues"][0]
    assert [entry["id"] for entry in hipaa["controls"]] == ["c2", "c1", "manual"]
    assert hipaa["controls"][0]["tenants"]["FAIL"] == ["alpha", "bravo"]
    assert hipaa["controls"][0]["tenants"]["INCOMPLETE"] == ["charlie"]
    assert hipaa["controls"][1]["counts"] == {"FAIL": 1, "INCOMPLETE": 1, "PASS": 1, "NOT_ASSESSED": 0, "MANUAL": 0}


def test_proposed_catalogue_marked() -> None:
    catalogues = {entry["id"]: entry for entry in build_rollup(tenants())["catalogues"]}
    assert catalogues["nprm"]["proposed"] is True
    assert catalogues["nprm"]["in_force"] is False
    assert catalogues["hipaa"]["in_force"] is True
    assert catalogues["nprm"]["controls"][0]["label"] == "PROPOSED"


def test_rollup_ignores_input_order() -> None:
    assert build_rollup(tenants()) == build_rollup(list(reversed(tenants())))


def test_csv_rows() -> None:
    items = tenants()
    rollup = build_rollup(items)
    rows = list(csv.DictReader(io.StringIO(render_csv(rollup, {item["name"]: item["report"] for item in items}))))
    assert len(rows) == 3 * 3 + 3
    first = rows[0]
    assert (first["catalogue"], first["control_id"], first["status"]) == ("hipaa", "c2", "FAIL")
    assert first["resources_fail"] == "1"
    proposed = [row for row in rows if row["catalogue"] == "nprm"]
    assert {row["legal_status"] for row in proposed} == {"PROPOSED"}
    assert {row["legal_status"] for row in rows if row["catalogue"] == "hipaa"} == {"in force"}


def test_table_text() -> None:
    text = render_table(build_rollup(tenants()))
    assert "ztscan rollup of 3 tenants: 2 complete, 0 incomplete, 1 failed" in text
    assert "HIPAA NPRM: PROPOSED, NOT IN FORCE" in text
    assert "p1 [PROPOSED]" in text
    assert "error: sts:AssumeRole failed: AccessDenied" in text
    assert "1 manual control needs organisational evidence" in text


@pytest.mark.parametrize(("count", "expected"), [(0, "0 tenants"), (1, "1 tenant"), (2, "2 tenants")])
def test_count_noun_plural(count: int, expected: str) -> None:
    assert count_noun(count, "tenant") == expected


def test_table_more_errors_counted() -> None:
    rollup = build_rollup(tenants())
    rollup["tenants"][0]["errors"] = [f"target {index} failed" for index in range(5)]
    text = render_table(rollup)
    assert "error: target 2 failed" in text
    assert "error: target 3 failed" not in text
    assert "... 2 more errors in run.json and rollup.json" in text


def test_table_long_labels_aligned() -> None:
    """A label longer than the first column widens it for the whole table instead of shifting its row."""
    rollup = build_rollup(tenants())
    rollup["tenants"][0]["name"] = "clinic-" + "x" * 40
    nprm = next(catalogue for catalogue in rollup["catalogues"] if catalogue["id"] == "nprm")
    nprm["controls"][0]["id"] = "164.312(a)(2)(vii)"
    lines = render_table(rollup).splitlines()
    for header, label in (("TENANT", "clinic-xxx"), ("CONTROL", "164.312(a)(2)(vii) [PROPOSED]")):
        at = next(index for index, line in enumerate(lines) if line.strip().startswith(label))
        row = lines[at]
        # The header of the row's own table: the nearest one above it.
        header_line = next(line for line in reversed(lines[:at]) if line.strip().startswith(header))
        column = header_line.index(" FAIL") + 1
        assert row[column - 1] == " "
        assert row[column] != " "


def test_json_round_trip() -> None:
    import json

    rollup = build_rollup(tenants())
    assert json.loads(render_json(rollup)) == rollup


@pytest.mark.parametrize(("fail_on", "allow_incomplete", "expected"), [
    pytest.param(Severity.LOW, False, ExitCode.INCOMPLETE, id="incomplete-wins"),
    pytest.param(Severity.LOW, True, ExitCode.GAPS, id="allow-incomplete"),
    pytest.param(Severity.CRITICAL, True, ExitCode.GAPS, id="critical-gap"),
    pytest.param(None, True, ExitCode.OK, id="fail-on-none"),
])
def test_exit_code_policy(fail_on: Severity | None, allow_incomplete: bool, expected: ExitCode) -> None:
    assert exit_code(tenants(), fail_on, allow_incomplete) is expected


def test_exit_code_below_threshold() -> None:
    only_alpha = tenants()[:1]
    assert exit_code(only_alpha, Severity.HIGH, False) is ExitCode.OK
    assert exit_code(only_alpha, Severity.MEDIUM, False) is ExitCode.GAPS
