"""``ztscan inventory``: the asset inventory and network map files written from a snapshot."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from ztscan.cli import main
from ztscan.snapshot import save_snapshot

from ..evidence_inventory import PRIVATE_BUCKET, WEB, clinic_inventory

FILES = {"assets.csv", "assets.json", "network.dot", "network.mmd"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.gz"
    save_snapshot(clinic_inventory(), path, provider="aws")
    return path


def test_files_written_without_graphviz(snapshot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    output = tmp_path / "out"
    code, _, err = run("inventory", str(snapshot), "--output-dir", str(output))
    assert code == 0, err
    assert {path.name for path in output.iterdir()} == FILES
    assert "Graphviz" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_svg_rendered_with_graphviz(snapshot: Path, tmp_path: Path):
    output = tmp_path / "out"
    code, _, err = run("inventory", str(snapshot), "--output-dir", str(output))
    assert code == 0, err
    svg = (output / "network.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:500]
    classes = {html.unescape(value) for value in re.findall(r'class="([^"]*)"', svg)}
    assert "node instance ephi exposure-internet" in classes


def test_csv_lists_assets(snapshot: Path, tmp_path: Path):
    output = tmp_path / "out"
    run("inventory", str(snapshot), "--output-dir", str(output))
    rows = list(csv.DictReader((output / "assets.csv").open(encoding="utf-8")))
    web = next(row for row in rows if row["id"] == WEB)
    assert web["exposure"] == "internet"
    assert web["ephi"] == "yes"


def test_custom_ephi_tag_case_insensitive(snapshot: Path, tmp_path: Path):
    output = tmp_path / "out"
    code, _, err = run("inventory", str(snapshot), "--output-dir", str(output), "--ephi-tag", "OWNER")
    assert code == 0, err
    document = json.loads((output / "assets.json").read_text(encoding="utf-8"))
    marked = {asset["id"] for asset in document["assets"] if asset["ephi"]}
    assert document["ephi_tag"] == "OWNER"
    assert marked == {WEB, PRIVATE_BUCKET}


def test_damaged_snapshot_writes_nothing(tmp_path: Path):
    snapshot, output = tmp_path / "bad.gz", tmp_path / "out"
    snapshot.write_bytes(b"not a snapshot")
    code, _, err = run("inventory", str(snapshot), "--output-dir", str(output))
    assert code == 2
    assert str(snapshot) in err
    assert not output.exists()
