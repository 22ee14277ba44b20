"""The output directory of a tenants run, shared by ``ztscan scan --tenants`` and ``ztscan merge``.

Layout::

    OUT/run.json                       manifest: tool version, tenants file digest, shard, tenants and their files
    OUT/rollup.txt, rollup.json, rollup.csv
    OUT/tenants/NAME/report.json       always written (merge and rescans read it)
    OUT/tenants/NAME/report.EXT        one file per other requested format (the reporter's suffix)

Every file is written atomically, so an interrupted run leaves the previous
version of a file, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from ztscan import __version__
from ztscan.app import App
from ztscan.model import Severity
from ztscan.output import write_atomic
from ztscan.provider import ConfigurationError
from ztscan.report import ExitCode
from ztscan.rollup import build_rollup, count_noun, render_csv, render_json, render_table

MANIFEST = "run.json"
MANIFEST_VERSION = 1
TENANTS_DIR = "tenants"
ROLLUP_FILES = {"table": "rollup.txt", "json": "rollup.json", "csv": "rollup.csv"}


def prepare_directory(path: str | Path) -> Path:
    """Create the output directory (and its tenants/ folder) when missing; reject a path that is a file."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ConfigurationError(f"--output-dir {out} exists and is not a directory; give a directory path")
    (out / TENANTS_DIR).mkdir(parents=True, exist_ok=True)
    return out


def report_files(app: App, formats: Iterable[str]) -> dict[str, str]:
    """Return the file name of each format's tenant report; JSON is always included."""
    names: dict[str, str] = {}
    for name in dict.fromkeys(["json", *formats]):
        reporter = app.reporter(name)
        filename = f"report{reporter.suffix}"
        if filename in names.values():
            filename = f"report-{name}{reporter.suffix}"
        names[name] = filename
    return names


def write_tenant_reports(app: App, out: Path, tenant: str, report: Any, files: Mapping[str, str]) -> dict[str, str]:
    """Render the tenant's report in every format and return format -> path relative to ``out``."""
    directory = out / TENANTS_DIR / tenant
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, filename in files.items():
        write_atomic(directory / filename, app.reporter(name).render(report))
        written[name] = f"{TENANTS_DIR}/{tenant}/{filename}"
    return written


def write_manifest(out: Path, manifest: Mapping[str, Any]) -> None:
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Read a run's manifest; raise ConfigurationError naming the directory when it is missing or invalid."""
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{directory}: no {MANIFEST} found; give the --output-dir of a "
                                 "'ztscan scan --tenants' run") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the run manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("manifest_version") != MANIFEST_VERSION:
        raise ConfigurationError(f"{path}: unsupported manifest layout; rerun the shard with this ztscan version")
    return manifest


def load_tenant_entries(directory: str | Path, manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return rollup inputs (name, status, errors, report) for every tenant in a manifest."""
    entries = []
    for tenant in manifest.get("tenants", ()):
        path = Path(directory) / tenant["files"]["json"]
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"{directory}: the JSON report of tenant {tenant['name']!r} "
                                     f"({path}) cannot be read: {exc}") from None
        entries.append({"name": tenant["name"], "status": tenant["status"], "errors": tenant.get("errors", []),
                        "report": report})
    return entries


def write_rollup(out: Path, entries: list[dict[str, Any]], tool_version: str = __version__) -> dict[str, Any]:
    """Build the rollup of ``entries`` and write it as table, JSON and CSV."""
    rollup = build_rollup(entries, tool_version)
    reports = {entry["name"]: entry["report"] for entry in entries}
    write_atomic(out / ROLLUP_FILES["json"], render_json(rollup))
    write_atomic(out / ROLLUP_FILES["csv"], render_csv(rollup, reports))
    write_atomic(out / ROLLUP_FILES["table"], render_table(rollup))
    return rollup


def exit_code(entries: Iterable[Mapping[str, Any]], fail_on: Severity | None, allow_incomplete: bool) -> ExitCode:
    """Apply the single-scan exit-code policy across tenants: incomplete if any tenant is incomplete."""
    incomplete = False
    gaps = False
    for entry in entries:
        report = entry["report"]
        if entry["status"] != "complete" or not report.get("complete", False):
            incomplete = True
        for finding in report.get("findings", ()):
            if finding["status"] == "FAIL" and fail_on is not None and Severity(finding["severity"]).at_least(fail_on):
                gaps = True
    if incomplete and not allow_incomplete:
        return ExitCode.INCOMPLETE
    return ExitCode.GAPS if gaps else ExitCode.OK


def summary_line(entries: list[Mapping[str, Any]], code: ExitCode) -> str:
    counts = {"complete": 0, "incomplete": 0, "error": 0}
    for entry in entries:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    return (f"ztscan: {count_noun(len(entries), 'tenant')}: {counts['complete']} complete, {counts['incomplete']} incomplete, "
            f"{counts['error']} failed; exit code {int(code)}")
