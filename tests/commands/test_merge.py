"""Tests of the checks ``ztscan merge`` makes before it combines shard directories."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from ztscan.cli import main
from ztscan.commands.merge import check_compatible
from ztscan.provider import ConfigurationError


def manifest(index: int | None, count: int = 2, names: tuple[str, ...] = (), version: str = "1.0",
             digest: str = "a" * 64) -> dict[str, Any]:
    return {
        "manifest_version": 1,
        "tool": {"name": "ztscan", "version": version},
        "tenants_file": {"path": "tenants.yaml", "sha256": digest, "tenants": 4},
        "shard": None if index is None else {"index": index, "count": count},
        "tenants": [{"name": name, "status": "complete", "files": {"json": f"tenants/{name}/report.json"}}
                    for name in names],
    }


def check(*manifests: dict[str, Any], allow_missing: bool = False) -> None:
    check_compatible([Path(f"shard-{number}") for number in range(1, len(manifests) + 1)], list(manifests),
                     allow_missing)


def test_merge_accepts_complete_shards() -> None:
    check(manifest(1, names=("a",)), manifest(2, names=("b",)))


@pytest.mark.parametrize(("manifests", "message"), [
    pytest.param((manifest(1), manifest(2, version="2.0")), "different ztscan versions", id="version"),
    pytest.param((manifest(1), manifest(2, digest="b" * 64)), "different tenants files", id="tenants-file"),
    pytest.param((manifest(1, names=("a",)), manifest(2, names=("a",))), "tenant 'a' is in both shard-1 and shard-2",
                 id="duplicate-tenant"),
    pytest.param((manifest(1), manifest(2, count=3)), "split the tenants file in different ways", id="counts"),
    pytest.param((manifest(1), manifest(1)), "shard 1/2 is given twice", id="same-shard"),
    pytest.param((manifest(1, count=3), manifest(3, count=3)), "shard 2/3 is missing", id="missing"),
])
def test_merge_rejects(manifests: tuple[dict[str, Any], ...], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check(*manifests)


def test_merge_allows_missing_shard() -> None:
    check(manifest(1, count=3), manifest(3, count=3), allow_missing=True)


def test_merge_unsharded_directories() -> None:
    check(manifest(None, names=("a",)), manifest(None, names=("b",)))


def test_merge_directory_without_manifest(tmp_path: Path) -> None:
    err = io.StringIO()
    code = main(["merge", str(tmp_path), "--output-dir", str(tmp_path / "out")], out=io.StringIO(), err=err)
    assert code == 2
    assert "no run.json found" in err.getvalue()
