"""``ztscan collect``: a live collection written as a snapshot, against moto in process."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ztscan.cli import main
from ztscan.snapshot import read_snapshot

from tests.moto_wsgi import fake_aws_environment


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def moto_account(monkeypatch: pytest.MonkeyPatch):
    from moto import mock_aws

    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield


def test_collect_writes_snapshot(moto_account, tmp_path: Path):
    target = tmp_path / "account.gz"
    code, out, err = run("collect", "aws", "--regions", "us-east-1", "--output", str(target), "--allow-incomplete")
    assert code == 0, err
    assert out == ""
    snapshot = read_snapshot(target)
    assert snapshot.provider == "aws"
    assert snapshot.inventory.resources
    assert f"wrote {target}" in err


def test_collect_signed(moto_account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZTSCAN_TEST_KEY", "shared-secret-for-tests")
    target = tmp_path / "account.gz"
    code, _, err = run("collect", "aws", "--regions", "us-east-1", "--output", str(target), "--allow-incomplete",
                       "--signing-key-env", "ZTSCAN_TEST_KEY")
    assert code == 0, err
    assert "shared-secret-for-tests" not in err
    assert read_snapshot(target, signing_key=b"shared-secret-for-tests").signature_verified is True


def test_collect_needs_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run("collect", "aws", "--regions", "us-east-1")
    assert code == 2
    assert list(tmp_path.iterdir()) == []


def test_collect_rejects_save_inventory(tmp_path: Path):
    code, _, err = run("collect", "aws", "--output", str(tmp_path / "a.gz"), "--save-inventory",
                       str(tmp_path / "b.gz"))
    assert code == 2
    assert "--save-inventory" in err
    assert list(tmp_path.iterdir()) == []
