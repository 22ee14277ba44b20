"""Malformed or hostile inputs are rejected with exit status 2, a message naming the input, and no output file.

Each case runs the command line with ``--output`` pointing at an existing file
and ``--export`` at a missing one: after the rejection the first must be
unchanged, the second absent, and no temporary file may be left behind.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from ztscan.cli import main
from ztscan.model import Inventory

PREVIOUS_REPORT = "the previous report\n"
VALID_SUPPRESSION = "suppressions:\n  - rule: ZT-IAM-001\n    reason: r\n    owner: o\n    expires: 2030-01-01\n"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    from ztscan.snapshot import save_snapshot

    save_snapshot(Inventory(), tmp_path / "good.snapshot", provider="aws")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.json").write_text(PREVIOUS_REPORT, encoding="utf-8")
    return tmp_path


def outputs(workspace: Path) -> list[str]:
    out = workspace / "out"
    return ["--format", "json", "--output", str(out / "report.json"), "--export", f"sarif:{out / 'report.sarif'}"]


def assert_rejected(workspace: Path, code: int, err: str, names: str) -> None:
    out = workspace / "out"
    assert code == 2
    assert "Traceback" not in err
    assert names in err
    assert (out / "report.json").read_text(encoding="utf-8") == PREVIOUS_REPORT
    assert sorted(path.name for path in out.iterdir()) == ["report.json"]


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


DEEP_YAML = "suppressions: " + "[" * 20000 + "]" * 20000
HUGE_YAML = "suppressions:\n" + "".join(
    f"  - {{rule: ZT-IAM-001, reason: r{i}, owner: o, expires: 2030-01-01}}\n" for i in range(40000))

SUPPRESSION_CASES = [
    pytest.param("s.yaml", "suppressions: [\n  - rule: [", id="malformed-yaml"),
    pytest.param("s.yaml", b"\x00\xff\xfe binary \x89PNG\r\n", id="binary-garbage"),
    pytest.param("s.yaml", VALID_SUPPRESSION.replace("reason: r", "reason: caf\xe9").encode("latin-1"),
                 id="latin-1-encoding"),
    pytest.param("s.yaml", "- rule: ZT-IAM-001\n", id="list-at-top"),
    pytest.param("s.yaml", VALID_SUPPRESSION.replace("ZT-IAM-001", "ZT-NOPE-999"), id="unknown-rule-id"),
    pytest.param("s.yaml", VALID_SUPPRESSION.replace("expires: 2030-01-01", "expires: someday"), id="bad-date"),
    pytest.param("s.yaml", DEEP_YAML, id="deeply-nested"),
    pytest.param("s.yaml", HUGE_YAML, id="huge-file"),
    pytest.param("s.yaml", "a: &a [*a, *a]\nsuppressions: *a\n", id="recursive-alias"),
    pytest.param("s.yaml", "suppressions: !!python/object/apply:os.system ['true']\n", id="python-tag"),
    pytest.param("s.toml", "suppressions = [[[", id="malformed-toml"),
    pytest.param("s.toml", "suppressions = " + "[" * 20000 + "]" * 20000, id="deep-toml"),
    pytest.param("s.txt", VALID_SUPPRESSION, id="unknown-extension"),
]


@pytest.mark.parametrize(("name", "content"), SUPPRESSION_CASES)
def test_suppression_file_rejected(workspace, name, content):
    path = _write(workspace / name, content)
    code, _, err = run_cli("evaluate", str(workspace / "good.snapshot"), "--suppressions", str(path),
                           *outputs(workspace))
    assert_rejected(workspace, code, err, name)


BASELINE_CASES = [
    pytest.param("b.json", "{not json", id="not-json"),
    pytest.param("b.json", "[" * 100000 + "]" * 100000, id="deeply-nested"),
    pytest.param("b.json", json.dumps({"version": "2.1.0", "runs": []}), id="sarif-file"),
    pytest.param("b.json", json.dumps({"schema_version": 1, "findings": [42]}), id="damaged-findings"),
    pytest.param("b.json", b"\x1f\x8b\x08\x00garbage", id="binary-garbage"),
    pytest.param("b.json", "", id="empty"),
]


@pytest.mark.parametrize(("name", "content"), BASELINE_CASES)
def test_baseline_rejected(workspace, name, content):
    path = _write(workspace / name, content)
    code, _, err = run_cli("evaluate", str(workspace / "good.snapshot"), "--baseline", str(path),
                           *outputs(workspace))
    assert_rejected(workspace, code, err, name)


CATALOGUE_CASES = [
    pytest.param("c.yaml", "catalogue: {id: x\n", id="malformed-yaml"),
    pytest.param("c.yaml", "catalogue: 42\n", id="schema-invalid"),
    pytest.param("c.yaml", b"\xff\xd8\xff\xe0 jpeg", id="binary-garbage"),
    pytest.param("c.yaml", "catalogue: " + "{a: " * 20000 + "1" + "}" * 20000, id="deeply-nested"),
    pytest.param("missing.yaml", None, id="missing-file"),
]


@pytest.mark.parametrize(("name", "content"), CATALOGUE_CASES)
def test_control_catalogue_rejected(workspace, name, content):
    path = workspace / name if content is None else _write(workspace / name, content)
    code, _, err = run_cli("evaluate", str(workspace / "good.snapshot"), "--controls", str(path),
                           *outputs(workspace))
    assert_rejected(workspace, code, err, name)


def _snapshot_of(document: object) -> bytes:
    return gzip.compress(json.dumps(document).encode())


SNAPSHOT_CASES = [
    pytest.param(b"plain text, not gzip", id="not-gzip"),
    pytest.param(gzip.compress(b'{"format": "ztscan-snapshot"')[:20], id="truncated"),
    pytest.param(_snapshot_of({"format": "ztscan-snapshot", "format_version": 99, "payload": {}}),
                 id="future-version"),
    pytest.param(gzip.compress(b"[" * 200000 + b"]" * 200000), id="deeply-nested"),
    pytest.param(gzip.compress(b"\xff\xfe\x00garbage"), id="binary-inside-gzip"),
    pytest.param(b"", id="empty"),
]


@pytest.mark.parametrize("content", SNAPSHOT_CASES)
def test_snapshot_rejected(workspace, content):
    path = _write(workspace / "bad.snapshot", content)
    code, _, err = run_cli("evaluate", str(path), *outputs(workspace))
    assert_rejected(workspace, code, err, "bad.snapshot")


def test_tampered_snapshot_rejected(workspace):
    data = json.loads(gzip.decompress((workspace / "good.snapshot").read_bytes()))
    data["payload"]["resources"] = [{"kind": "storage.bucket", "id": "planted"}]
    path = _write(workspace / "bad.snapshot", gzip.compress(json.dumps(data).encode()))
    code, _, err = run_cli("evaluate", str(path), *outputs(workspace))
    assert_rejected(workspace, code, err, "bad.snapshot")


OPTION_CASES = [
    pytest.param(["--rules", "ZT-NOPE-*"], "ZT-NOPE-*", id="unknown-rule-pattern"),
    pytest.param(["--format", "xml"], "xml", id="unknown-format"),
    pytest.param(["--export", "xml:report.xml"], "xml", id="unknown-export-format"),
    pytest.param(["--export", "no-colon"], "no-colon", id="export-without-file"),
    pytest.param(["--fail-on", "severe"], "severe", id="unknown-fail-on"),
    pytest.param(["--framework", "iso"], "iso", id="unknown-framework"),
    pytest.param(["--evaluation-time", "tomorrow"], "tomorrow", id="unknown-evaluation-time"),
]


@pytest.mark.parametrize(("arguments", "names"), OPTION_CASES)
def test_option_value_rejected(workspace, arguments, names):
    code, _, err = run_cli("evaluate", str(workspace / "good.snapshot"), *outputs(workspace), *arguments)
    assert_rejected(workspace, code, err, names)


def test_output_directory_missing_rejected(workspace):
    target = workspace / "missing-dir" / "report.json"
    code, _, err = run_cli("evaluate", str(workspace / "good.snapshot"), "--format", "json", "--output", str(target))
    assert code == 2
    assert "missing-dir" in err
    assert not target.parent.exists()


SCAN_OPTION_CASES = [
    pytest.param(["scan", "aws", "--timeout", "-1"], "-1", id="negative-timeout"),
    pytest.param(["scan", "aws", "--max-workers", "0"], "0", id="zero-workers"),
    pytest.param(["scan", "aws", "--regions", ","], "region", id="empty-region-list"),
    pytest.param(["scan", "gcp"], "--projects", id="gcp-without-target"),
    pytest.param(["scan", "azure", "--client-id", "x", "--client-secret-env", "NOT_SET_ZTSCAN_VAR"], "--tenant-id",
                 id="azure-secret-without-tenant"),
    pytest.param(["scan", "nocloud"], "nocloud", id="unknown-provider"),
]


@pytest.mark.parametrize(("arguments", "names"), SCAN_OPTION_CASES)
def test_scan_option_rejected(workspace, monkeypatch, arguments, names):
    from tests.faults.conftest import guard_network

    guard_network(monkeypatch)
    for variable in ("GOOGLE_APPLICATION_CREDENTIALS", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = run_cli(*arguments, *outputs(workspace))
    assert_rejected(workspace, code, err, names)


TENANT_CASES = [
    pytest.param("t.yaml", "tenants: [\n", id="malformed-yaml"),
    pytest.param("t.yaml", b"\x00\x01\x02\xff", id="binary-garbage"),
    pytest.param("t.yaml", "tenants: " + "[" * 20000 + "]" * 20000, id="deeply-nested"),
    pytest.param("t.yaml", "tenants:\n  - name: clinic\n    azure:\n      tenant_id: t\n      client_id: c\n"
                 "      client_secret: hunter2-inline-secret\n", id="inline-secret"),
    pytest.param("t.toml", "tenants = [[[", id="malformed-toml"),
    pytest.param("t.json", "{}", id="unknown-extension"),
]


@pytest.mark.parametrize(("name", "content"), TENANT_CASES)
def test_tenants_file_rejected(workspace, name, content):
    path = _write(workspace / name, content)
    output_dir = workspace / "tenant-reports"
    code, _, err = run_cli("scan", "--tenants", str(path), "--output-dir", str(output_dir))
    assert code == 2
    assert "Traceback" not in err
    assert name in err
    assert "hunter2-inline-secret" not in err
    assert not output_dir.exists() or list(output_dir.iterdir()) == []
