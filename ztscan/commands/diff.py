"""``ztscan diff OLD NEW``: the gaps that are new, fixed, unchanged or unverified between two scans.

OLD and NEW are each a JSON report (``--format json``) or a snapshot file; a
snapshot is evaluated with this ztscan's rules first. A gap of OLD that NEW
could not check again (an ERROR finding, a failed scope, a rule or account that
NEW does not cover) is listed as unverified, never as fixed: the categories come
from :func:`ztscan.baseline.compare`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztscan.app import App
from ztscan.baseline import Baseline, compare, load_baseline
from ztscan.model import Finding, ScopeRecord, Status
from ztscan.output import write_atomic
from ztscan.provider import ConfigurationError
from ztscan.report import Report
from ztscan.reporters.citations import hipaa_citation, nprm_citation

CATEGORIES = ("new", "fixed", "unchanged", "unverified")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Side:
    """One side of the comparison: its file, what kind of file it was, and its report."""

    source: str
    kind: str
    report: Report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff", help="compare two reports or snapshots: new, fixed and unchanged gaps",
        description="Compare two scans and list the gaps that are new, fixed, unchanged, or unverified "
        "(a previous gap that the newer scan could not check), per HIPAA citation, per proposed-rule "
        "control and per rule. OLD and NEW are each a JSON report or a snapshot file; snapshots are "
        "evaluated with this ztscan's rules.",
    )
    parser.add_argument("old", metavar="OLD", help="the earlier JSON report or snapshot")
    parser.add_argument("new", metavar="NEW", help="the later JSON report or snapshot")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table)")
    parser.add_argument("--output", metavar="FILE", help="write the output to FILE (atomically) instead of stdout")
    parser.set_defaults(handler=run)


def is_snapshot(path: str) -> bool:
    """Return True when ``path`` starts with the gzip magic number, as every snapshot does."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == GZIP_MAGIC
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: file not found; pass a JSON report or a snapshot file") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read: {exc.strerror}") from None


def load_side(app: App, path: str) -> Side:
    if is_snapshot(path):
        from ztscan.commands.evaluate import evaluate_snapshot
        from ztscan.snapshot import read_snapshot

        report = evaluate_snapshot(app, read_snapshot(path), None, "collected")
        return Side(path, "snapshot", report)
    return Side(path, "report", _report_from_json(path))


def _report_from_json(path: str) -> Report:
    """Rebuild the parts of a report that the comparison needs from a JSON report file."""
    load_baseline(path)  # checks that the file is a ztscan JSON report of a supported version
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    try:
        findings = [Finding.from_dict(item) for item in data["findings"]]
        scopes = [ScopeRecord.from_dict(item) for item in data.get("scopes", [])]
        rules = dict(data.get("rules") or {})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigurationError(f"{path}: the report is damaged ({type(exc).__name__}: {exc}); "
                                 "write it again with --format json") from None
    # Only membership of report.rules matters to the comparison, so the JSON entries stand in for RuleMeta.
    return Report(findings=findings, rules=rules, scopes=scopes, started_at=str(data.get("started_at", "")),
                  finished_at=str(data.get("finished_at", "")), metadata=dict(data.get("metadata") or {}))


def _rule_info(app: App, rule_id: str, *reports: Report) -> dict[str, Any]:
    """Return title and citations of a rule from today's catalogue, else from the report that mentions it."""
    if rule_id in app.catalogue:
        meta = app.catalogue[rule_id]
        return {"name": meta.name, "title": meta.title, "hipaa": list(meta.hipaa), "nprm": list(meta.nprm)}
    for report in reports:
        entry = report.rules.get(rule_id)
        if isinstance(entry, dict):
            return {"name": entry.get("name", ""), "title": entry.get("title", ""), "hipaa": list(entry.get("hipaa", [])),
                    "nprm": list(entry.get("nprm", []))}
        if entry is not None:
            return {"name": entry.name, "title": entry.title, "hipaa": list(entry.hipaa), "nprm": list(entry.nprm)}
    return {"name": "", "title": "", "hipaa": [], "nprm": []}


def _rule_names(app: App, rule_id: str, *reports: Report) -> dict[str, str]:
    info = _rule_info(app, rule_id, *reports)
    return {"name": info["name"], "title": info["title"]}


def build_diff(app: App, old: Side, new: Side) -> dict[str, Any]:
    """Compare the gaps of ``old`` and ``new`` and group them per control and per rule."""
    old_gaps = {finding.key: finding for finding in old.report.findings if finding.effective_status is Status.FAIL}
    comparison = compare(new.report, Baseline(old_gaps, source=old.source))
    items: dict[str, list[dict[str, Any]]] = {}
    for category in CATEGORIES:
        enriched = []
        for item in comparison[category]:
            key = tuple(item[field] for field in ("rule_id", "provider", "account", "region", "resource_id"))
            earlier = old_gaps.get(key)
            if earlier is not None:
                item.setdefault("severity", earlier.severity.value)
                item.setdefault("resource_name", earlier.resource_name)
                item["previous_message"] = earlier.message
            enriched.append({**item, **_rule_info(app, item["rule_id"], new.report, old.report)})
        items[category] = enriched

    by_rule: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORIES, 0))
    by_hipaa: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORIES, 0))
    by_nprm: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CATEGORIES, 0))
    for category, entries in items.items():
        for item in entries:
            by_rule[item["rule_id"]][category] += 1
            for citation in item["hipaa"]:
                by_hipaa[citation][category] += 1
            for citation in item["nprm"]:
                by_nprm[citation][category] += 1
    return {
        "old": {"file": old.source, "kind": old.kind, "finished_at": old.report.finished_at},
        "new": {"file": new.source, "kind": new.kind, "finished_at": new.report.finished_at},
        "counts": {category: len(items[category]) for category in CATEGORIES},
        "by_control": {
            "hipaa": {citation: by_hipaa[citation] for citation in sorted(by_hipaa)},
            "nprm": {citation: {**by_nprm[citation], "proposed": True} for citation in sorted(by_nprm)},
        },
        "by_rule": {rule_id: {**_rule_names(app, rule_id, new.report, old.report), **by_rule[rule_id]}
                    for rule_id in sorted(by_rule)},
        "gaps": items,
    }


def render_table(diff: dict[str, Any]) -> str:
    counts = diff["counts"]
    lines = [f"ztscan diff: {diff['old']['file']} ({diff['old']['kind']}) -> {diff['new']['file']} "
             f"({diff['new']['kind']})",
             f"gaps: {counts['new']} new, {counts['fixed']} fixed, {counts['unchanged']} unchanged, "
             f"{counts['unverified']} unverified (not checked again, so not counted as fixed)", ""]
    header = f"{'':40} {'new':>5} {'fixed':>5} {'same':>5} {'unver.':>6}"

    def section(title: str, rows: dict[str, dict[str, int]], label) -> None:
        if not rows:
            return
        lines.append(title)
        lines.append(header)
        for name, row in rows.items():
            lines.append(f"{label(name)[:40]:40} {row['new']:>5} {row['fixed']:>5} {row['unchanged']:>5} "
                         f"{row['unverified']:>6}")
        lines.append("")

    section("per HIPAA Security Rule citation (in force)", diff["by_control"]["hipaa"], hipaa_citation)
    section("per control of the proposed rule (NPRM of January 2025, not final)", diff["by_control"]["nprm"],
            nprm_citation)
    section("per rule", diff["by_rule"], lambda rule_id: f"{rule_id} {diff['by_rule'][rule_id]['name']}")
    for category in CATEGORIES:
        entries = diff["gaps"][category]
        if not entries:
            continue
        lines.append(f"{category} gaps:")
        for item in entries:
            name = item.get("resource_name") or ""
            where = f"{item['provider']}:{item['account']}:{item['region']}"
            reason = f" ({item['reason']})" if item.get("reason") else ""
            lines.append(f"  {item['rule_id']} {item.get('severity', ''):8} {where} "
                         f"{name + ' ' if name and name != item['resource_id'] else ''}[{item['resource_id']}]{reason}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def run(args: argparse.Namespace, app: App) -> int:
    diff = build_diff(app, load_side(app, args.old), load_side(app, args.new))
    text = json.dumps(diff, indent=2, ensure_ascii=False) + "\n" if args.format == "json" else render_table(diff)
    if args.output:
        write_atomic(args.output, text)
    else:
        app.out.write(text)
    return 0
