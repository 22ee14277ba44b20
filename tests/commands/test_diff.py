"""``ztscan diff``: new, fixed, unchanged and unverified gaps between reports and snapshots."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from ztscan.cli import main
from ztscan.model import CollectionError
from ztscan.snapshot import save_snapshot

from ..evidence_inventory import EAST, PUBLIC_DATABASE, VOLUME, clinic_inventory, resource

NEW_VOLUME = "vol-new"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def later_inventory():
    """The clinic a week later: the public database is encrypted, its public flag could not be read, a new volume."""
    inventory = clinic_inventory()
    inventory.finished_at = "2026-12-07T10:05:00+00:00"
    database = next(item for item in inventory.resources if item.id == PUBLIC_DATABASE)
    database.facts["storage_encrypted"] = True
    del database.facts["publicly_accessible"]
    inventory.errors.append(CollectionError(EAST, "rds", "DescribeDBInstances", "Throttling", "rate exceeded",
                                            "database", facts=("publicly_accessible",), resource_id=PUBLIC_DATABASE))
    inventory.resources.append(resource("storage.volume", NEW_VOLUME, "scratch", encrypted=False, key_type=None,
                                        attached_to=[]))
    return inventory


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("diff")
    paths = {"old.gz": directory / "old.gz", "new.gz": directory / "new.gz",
             "old.json": directory / "old.json", "new.json": directory / "new.json"}
    save_snapshot(clinic_inventory(), paths["old.gz"], provider="aws")
    save_snapshot(later_inventory(), paths["new.gz"], provider="aws")
    for name in ("old", "new"):
        code, _, err = run("evaluate", str(paths[f"{name}.gz"]), "--format", "json", "--fail-on", "none",
                           "--allow-incomplete", "--output", str(paths[f"{name}.json"]))
        assert code == 0, err
    return paths


def diff_json(files: dict[str, Path], old: str, new: str) -> dict:
    code, out, err = run("diff", str(files[old]), str(files[new]), "--format", "json")
    assert code == 0, err
    return json.loads(out)


def keys(diff: dict, category: str) -> set[tuple[str, str]]:
    return {(item["rule_id"], item["resource_id"]) for item in diff["gaps"][category]}


PAIRS = {
    "snapshots": ("old.gz", "new.gz"),
    "reports": ("old.json", "new.json"),
    "report-then-snapshot": ("old.json", "new.gz"),
    "snapshot-then-report": ("old.gz", "new.json"),
}


@pytest.mark.parametrize("old,new", PAIRS.values(), ids=PAIRS.keys())
def test_new_gap(files, old: str, new: str):
    assert ("ZT-DAT-002", NEW_VOLUME) in keys(diff_json(files, old, new), "new")


@pytest.mark.parametrize("old,new", PAIRS.values(), ids=PAIRS.keys())
def test_fixed_gap(files, old: str, new: str):
    assert keys(diff_json(files, old, new), "fixed") == {("ZT-DAT-003", PUBLIC_DATABASE)}


@pytest.mark.parametrize("old,new", PAIRS.values(), ids=PAIRS.keys())
def test_unchanged_gap(files, old: str, new: str):
    assert ("ZT-DAT-002", VOLUME) in keys(diff_json(files, old, new), "unchanged")


@pytest.mark.parametrize("old,new", PAIRS.values(), ids=PAIRS.keys())
def test_unreadable_gap_is_unverified(files, old: str, new: str):
    diff = diff_json(files, old, new)
    assert ("ZT-NET-006", PUBLIC_DATABASE) in keys(diff, "unverified")
    assert ("ZT-NET-006", PUBLIC_DATABASE) not in keys(diff, "fixed")


def test_same_input_has_no_changes(files):
    counts = diff_json(files, "old.gz", "old.gz")["counts"]
    assert counts["new"] == 0
    assert counts["fixed"] == 0
    assert counts["unverified"] == 0
    assert counts["unchanged"] > 0


def test_kinds_detected(files):
    diff = diff_json(files, "old.json", "new.gz")
    assert diff["old"]["kind"] == "report"
    assert diff["new"]["kind"] == "snapshot"


def test_per_control_counts(files):
    diff = diff_json(files, "old.gz", "new.gz")
    item = next(entry for entry in diff["gaps"]["fixed"] if entry["rule_id"] == "ZT-DAT-003")
    assert item["hipaa"]
    for citation in item["hipaa"]:
        assert diff["by_control"]["hipaa"][citation]["fixed"] >= 1
    for citation in item["nprm"]:
        assert diff["by_control"]["nprm"][citation]["proposed"] is True


def test_per_rule_counts(files):
    by_rule = diff_json(files, "old.gz", "new.gz")["by_rule"]
    assert by_rule["ZT-DAT-002"]["new"] == 1
    assert by_rule["ZT-DAT-002"]["unchanged"] == 1
    assert by_rule["ZT-DAT-003"]["fixed"] == 1


def test_table_output(files):
    code, out, err = run("diff", str(files["old.gz"]), str(files["new.gz"]))
    assert code == 0, err
    assert "1 fixed" in out
    assert "45 CFR 164." in out
    assert "(proposed)" in out
    assert "unverified gaps:" in out


def test_output_file(files, tmp_path: Path):
    target = tmp_path / "diff.json"
    code, out, err = run("diff", str(files["old.gz"]), str(files["new.gz"]), "--format", "json",
                         "--output", str(target))
    assert code == 0, err
    assert out == ""
    assert json.loads(target.read_text())["counts"]["fixed"] == 1


BAD_INPUTS = {
    "missing": (None, "not found"),
    "sarif": ('{"version": "2.1.0", "runs": []}', "SARIF"),
    "not-json": ("hello", "invalid JSON"),
    "damaged-snapshot": (b"\x1f\x8b\x08\x00broken", "corrupted|truncated"),
}


@pytest.mark.parametrize("content,expected", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_named(files, tmp_path: Path, content, expected: str):
    path = tmp_path / "input"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, _, err = run("diff", str(path), str(files["new.gz"]))
    assert code == 2
    assert str(path) in err
    assert expected.split("|")[0] in err or expected.split("|")[-1] in err
