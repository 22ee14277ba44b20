"""Tests of ztscan.docgen: generated docs are current and the --check mode reports drift."""

from __future__ import annotations

import pytest

from ztscan import docgen
from ztscan.rulecatalogue import mappings_path

pytestmark = pytest.mark.skipif(not mappings_path("rules.yaml").is_file(),
                                reason="mappings/rules.yaml is not written yet")


def test_docs_up_to_date():
    assert docgen.stale_files(docgen.DEFAULT_DOCS_DIR) == [], "run: python -m ztscan.docgen"


def test_check_reports_drift(tmp_path, capsys):
    assert docgen.main(["--docs-dir", str(tmp_path)]) == 0
    (tmp_path / "controls.md").write_text("edited by hand\n", encoding="utf-8")
    assert docgen.main(["--check", "--docs-dir", str(tmp_path)]) == 1
    assert "controls.md is out of date" in capsys.readouterr().err


def test_check_passes_after_write(tmp_path):
    assert docgen.main(["--docs-dir", str(tmp_path)]) == 0
    assert docgen.main(["--check", "--docs-dir", str(tmp_path)]) == 0


def test_proposed_marked(tmp_path):
    text = docgen.generate()["controls.md"]
    assert "**Status: proposed, not final.** Every control below is marked PROPOSED." in text
    assert "PROPOSED: Multi-factor authentication" in text


def test_manual_evidence_listed():
    text = docgen.generate()["controls.md"]
    assert "Manual controls: evidence to collect" in text
