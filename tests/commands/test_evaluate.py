"""``ztscan evaluate``: offline evaluation of a snapshot gives the findings of the live scan that wrote it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ztscan.app import App
from ztscan.cli import main
from ztscan.rules import clock
from ztscan.scan import evaluate_inventory
from ztscan.snapshot import save_snapshot

from ..evidence_inventory import clinic_inventory

REGIONS = "us-east-1,us-west-2"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def findings(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["findings"]


@pytest.fixture(scope="module")
def simulated_runs(tmp_path_factory) -> dict[str, Path]:
    """Scan the simulated clinic live (saving the snapshot), collect it separately, then evaluate both offline."""
    from ztscan_aws.demo import simulated_clinic

    directory = tmp_path_factory.mktemp("simulated")
    paths = {name: directory / name for name in ("live.json", "scan.gz", "collect.gz", "from-scan.json",
                                                  "from-collect.json")}
    patch = pytest.MonkeyPatch()
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_CONFIG_FILE", "/nonexistent/ztscan-test-config")
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ztscan-test-credentials")
    patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    patch.delenv("AWS_PROFILE", raising=False)
    try:
        with simulated_clinic():
            code, _, err = run("scan", "aws", "--regions", REGIONS, "--format", "json", "--fail-on", "none",
                               "--allow-incomplete", "--output", str(paths["live.json"]),
                               "--save-inventory", str(paths["scan.gz"]))
            assert code == 0, err
            code, _, err = run("collect", "aws", "--regions", REGIONS, "--output", str(paths["collect.gz"]),
                               "--allow-incomplete")
            assert code == 0, err
    finally:
        patch.undo()
    for snapshot, report in (("scan.gz", "from-scan.json"), ("collect.gz", "from-collect.json")):
        code, _, err = run("evaluate", str(paths[snapshot]), "--format", "json", "--fail-on", "none",
                           "--allow-incomplete", "--output", str(paths[report]))
        assert code == 0, err
    return paths


def test_live_scan_has_findings(simulated_runs):
    assert len(findings(simulated_runs["live.json"])) > 20


def test_saved_snapshot_equals_live_scan(simulated_runs):
    assert findings(simulated_runs["from-scan.json"]) == findings(simulated_runs["live.json"])


def test_collected_snapshot_equals_live_scan(simulated_runs):
    assert findings(simulated_runs["from-collect.json"]) == findings(simulated_runs["live.json"])


def test_evaluate_records_snapshot(simulated_runs):
    metadata = json.loads(simulated_runs["from-scan.json"].read_text())["metadata"]
    assert metadata["snapshot"]["file"] == str(simulated_runs["scan.gz"])
    assert metadata["provider"] == "aws"


def test_hand_made_inventory_equals_direct_evaluation(tmp_path: Path):
    inventory = clinic_inventory()
    snapshot, report_path = tmp_path / "clinic.gz", tmp_path / "report.json"
    save_snapshot(inventory, snapshot, provider="aws")
    code, _, err = run("evaluate", str(snapshot), "--format", "json", "--fail-on", "none", "--allow-incomplete",
                       "--output", str(report_path))
    assert code == 0, err
    app = App.create(out=io.StringIO(), err=io.StringIO())
    with clock.frozen(inventory.finished_at):
        direct = evaluate_inventory(app, inventory, app.rules)
    assert findings(report_path) == [finding.to_dict() for finding in direct.findings]


def test_evaluation_time_now_differs_for_old_keys(tmp_path: Path):
    inventory = clinic_inventory()
    inventory.finished_at = "2020-01-01T00:00:00+00:00"
    inventory.resources.append(_user_with_key("2019-12-01T00:00:00+00:00"))
    snapshot = tmp_path / "old.gz"
    save_snapshot(inventory, snapshot, provider="aws")
    statuses = {}
    for moment in ("collected", "now"):
        output = tmp_path / f"{moment}.json"
        code, _, err = run("evaluate", str(snapshot), "--evaluation-time", moment, "--rules", "ZT-IAM-004",
                           "--format", "json", "--fail-on", "none", "--allow-incomplete", "--output", str(output))
        assert code == 0, err
        statuses[moment] = {item["resource"]["id"]: item["status"] for item in findings(output)}
    assert statuses["collected"]["user-old-key"] == "PASS"
    assert statuses["now"]["user-old-key"] == "FAIL"


def _user_with_key(created: str):
    from ..evidence_inventory import GLOBAL_SCOPE, resource

    return resource("identity.user", "user-old-key", scope=GLOBAL_SCOPE, console_access=False, mfa_enabled=False,
                    password_last_used=None, password_last_changed=None, created=created,
                    access_keys=[{"id": "AKIA1", "active": True, "created": created, "last_used": None}],
                    admin_rights=False, admin_via_direct_policy=False, admin_policies=[])


def test_damaged_snapshot_writes_no_output(tmp_path: Path):
    snapshot, output = tmp_path / "bad.gz", tmp_path / "report.json"
    snapshot.write_bytes(b"\x1f\x8b\x08\x00garbage")
    code, _, err = run("evaluate", str(snapshot), "--format", "json", "--output", str(output))
    assert code == 2
    assert str(snapshot) in err
    assert not output.exists()


def test_missing_signing_key_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    snapshot = tmp_path / "clinic.gz"
    save_snapshot(clinic_inventory(), snapshot, provider="aws")
    monkeypatch.delenv("ZTSCAN_TEST_KEY", raising=False)
    code, _, err = run("evaluate", str(snapshot), "--signing-key-env", "ZTSCAN_TEST_KEY")
    assert code == 2
    assert "ZTSCAN_TEST_KEY" in err
