"""The command line end to end: demo, scan against moto, exit codes and usage errors."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from ztscan.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("demo") / "report.json"
    code, _, err = run("demo", "--format", "json", "--output", str(path))
    assert code == 0, err
    return json.loads(path.read_text())


def statuses(report: dict, rule_id: str) -> dict[str, str]:
    return {f["resource"]["name"]: f["status"] for f in report["findings"] if f["rule_id"] == rule_id}


def test_demo_table_says_simulated():
    code, out, _ = run("demo")
    assert code == 0
    assert "SIMULATED" in out
    assert "ZT-NET-001" in out


def test_demo_is_complete(demo_report):
    errors = [f for f in demo_report["findings"] if f["status"] == "ERROR"]
    assert errors == []
    assert demo_report["complete"] is True
    assert demo_report["metadata"]["simulated"] is True


@pytest.mark.parametrize(
    ("rule_id", "resource", "expected"),
    [
        ("ZT-NET-001", "clinic-bastion", "FAIL"),
        ("ZT-NET-001", "legacy-imaging", "FAIL"),
        ("ZT-NET-001", "clinic-web", "PASS"),
        ("ZT-NET-002", "dr-reporting-db", "FAIL"),
        ("ZT-NET-002", "ehr-database", "PASS"),
        ("ZT-IAM-001", "nurse.jones", "FAIL"),
        ("ZT-IAM-001", "dr.smith", "PASS"),
        ("ZT-IAM-001", "ci-deployer", "NOT_APPLICABLE"),
        ("ZT-IAM-007", "admin.legacy", "FAIL"),
        ("ZT-DAT-002", "imaging-scratch", "FAIL"),
        ("ZT-DAT-002", "ehr-data", "PASS"),
        ("ZT-DAT-005", "clinic-patient-intake", "FAIL"),
        ("ZT-DAT-005", "clinic-ehr-exports", "PASS"),
        ("ZT-NET-006", "billing-reports", "FAIL"),
        ("ZT-NET-006", "ehr-primary", "PASS"),
        ("ZT-DAT-003", "ehr-analytics-1", "PASS"),
        ("ZT-CMP-001", "bastion", "FAIL"),
        ("ZT-CMP-001", "ehr-app", "PASS"),
        ("ZT-BAK-001", "billing-reports", "FAIL"),
        ("ZT-NET-005", "patient-portal", "FAIL"),
        ("ZT-NET-005", "scheduling", "PASS"),
    ],
)
def test_demo_finds_planted_gaps(demo_report, rule_id, resource, expected):
    assert statuses(demo_report, rule_id).get(resource) == expected


def test_demo_covers_two_regions(demo_report):
    scanned = {s["scope"]["region"] for s in demo_report["scopes"] if s["state"] == "scanned"}
    assert {"us-east-1", "us-west-2"} <= scanned


def test_fail_on_threshold_sets_exit_code(tmp_path):
    code, _, err = run("demo", "--fail-on", "high", "--format", "json", "--output", str(tmp_path / "r.json"))
    assert code == 1
    assert "exit code 1" in err


def test_fail_on_none_never_fails_on_gaps(tmp_path):
    code, _, _ = run("demo", "--fail-on", "none", "--format", "json", "--output", str(tmp_path / "r.json"))
    assert code == 0


def test_rule_selection_limits_findings(tmp_path):
    path = tmp_path / "r.json"
    code, _, _ = run("demo", "--rules", "ZT-NET-*", "--format", "json", "--output", str(path))
    assert code == 0
    rule_ids = {f["rule_id"] for f in json.loads(path.read_text())["findings"]}
    assert rule_ids and all(rule_id.startswith("ZT-NET-") for rule_id in rule_ids)


def test_unknown_rule_is_usage_error():
    code, _, err = run("demo", "--rules", "ZT-NOPE-999")
    assert code == 2
    assert "ZT-NOPE-999" in err
    assert "Traceback" not in err


def test_unknown_format_is_usage_error():
    code, _, err = run("demo", "--format", "pdf")
    assert code == 2
    assert "pdf" in err


def test_bad_export_value_is_usage_error():
    code, _, err = run("demo", "--export", "sarif")
    assert code == 2
    assert "FORMAT:FILE" in err


def test_output_into_missing_directory_is_usage_error(tmp_path):
    target = tmp_path / "missing" / "report.json"
    code, _, err = run("demo", "--format", "json", "--output", str(target))
    assert code == 2
    assert "does not exist" in err
    assert not target.exists()


def test_export_writes_second_format(tmp_path):
    json_path, sarif_path = tmp_path / "r.json", tmp_path / "r.sarif"
    code, _, _ = run("demo", "--format", "json", "--output", str(json_path), "--export", f"sarif:{sarif_path}")
    assert code == 0
    assert json.loads(sarif_path.read_text())["version"] == "2.1.0"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_rules_command_lists_every_rule():
    code, out, _ = run("rules", "--format", "json")
    assert code == 0
    ids = {rule["id"] for rule in json.loads(out)}
    assert {"ZT-IAM-001", "ZT-NET-001", "ZT-DAT-001", "ZT-LOG-001", "ZT-BAK-001"} <= ids


def test_plugins_command_shows_builtins():
    code, out, _ = run("plugins")
    assert code == 0
    for name in ("aws", "rules", "reporters"):
        assert name in out
    assert "ok" in out


def test_version_option():
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("ztscan ")


class TestScanAgainstMoto:
    """``ztscan scan aws`` with moto intercepting boto3 in process."""

    @pytest.fixture(autouse=True)
    def aws(self, monkeypatch):
        from moto import mock_aws

        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name, raising=False)
        with mock_aws():
            yield

    def test_scan_one_region(self, tmp_path):
        path = tmp_path / "scan.json"
        code, _, err = run("scan", "aws", "--regions", "eu-west-1", "--format", "json", "--output", str(path))
        report = json.loads(path.read_text())
        assert code in (0, 1), err
        assert report["complete"] is True
        scanned = {s["scope"]["region"] for s in report["scopes"] if s["state"] == "scanned"}
        assert scanned - {"global"} == {"eu-west-1"}

    def test_option_before_provider_is_rejected(self):
        code, _, err = run("scan", "--fail-on", "high", "aws", "--regions", "eu-west-1")
        assert code == 2
        assert "--fail-on" in err
        assert "after the provider" in err

    def test_unknown_region_is_usage_error(self):
        code, _, err = run("scan", "aws", "--regions", "xx-nowhere-1")
        assert code == 2
        assert "xx-nowhere-1" in err

    def test_expired_deadline_makes_scan_incomplete(self, tmp_path):
        path = tmp_path / "scan.json"
        code, _, _ = run("scan", "aws", "--regions", "eu-west-1", "--timeout", "0.000001",
                         "--format", "json", "--output", str(path))
        report = json.loads(path.read_text())
        assert code == 3
        assert report["complete"] is False
        assert any(f["status"] == "ERROR" for f in report["findings"])

    def test_allow_incomplete_downgrades_exit_code(self, tmp_path):
        code, _, _ = run("scan", "aws", "--regions", "eu-west-1", "--timeout", "0.000001", "--allow-incomplete",
                         "--fail-on", "none", "--format", "json", "--output", str(tmp_path / "scan.json"))
        assert code == 0


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "ztscan", "--version"], capture_output=True, text=True,
                            timeout=120, env={**os.environ}, cwd=Path(__file__).parent)
    assert result.returncode == 0
    assert "ztscan" in result.stdout
