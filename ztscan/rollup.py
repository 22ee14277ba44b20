"""The rollup across tenants: each control and each zero-trust pillar with the tenants that pass or fail it.

The rollup is computed only from the JSON form of each tenant's report (its
findings, rule metadata and control matrix), so a rollup built right after a
scan and one rebuilt by ``ztscan merge`` from shard directories are identical.

Ordering puts the worst gaps first. Tenants are sorted by status (error,
incomplete, complete), then by failing findings of the highest severity. Rules
that fail in some tenant come before rules that only errored, and each group
is sorted by severity, then by the number of tenants failing them. Controls
are sorted by the number of tenants failing, then incomplete. Controls of a proposed catalogue (the 2025 HIPAA Security
Rule NPRM) carry ``proposed: true`` and the label PROPOSED, never mixed with
the rule in force.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any, Iterable, Mapping

from ztscan import __version__

ROLLUP_VERSION = 1
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
STATUS_RANK = {"error": 0, "incomplete": 1, "complete": 2}
CONTROL_STATUSES = ("FAIL", "INCOMPLETE", "PASS", "NOT_ASSESSED", "MANUAL")


def build_rollup(tenants: Iterable[Mapping[str, Any]], tool_version: str = __version__) -> dict[str, Any]:
    """Return the rollup of ``tenants``: mappings with name, status, errors and report (a tenant's JSON report)."""
    tenants = sorted(tenants, key=lambda item: item["name"])
    return {
        "rollup_version": ROLLUP_VERSION,
        "tool": {"name": "ztscan", "version": tool_version},
        "summary": _summary(tenants),
        "tenants": _tenant_rows(tenants),
        "gaps": _rule_gaps(tenants),
        "catalogues": _catalogues(tenants),
    }


def _summary(tenants: list[Mapping[str, Any]]) -> dict[str, int]:
    counts = {status: 0 for status in STATUS_RANK}
    for tenant in tenants:
        counts[tenant["status"]] = counts.get(tenant["status"], 0) + 1
    return {"tenants": len(tenants), **counts}


def _tenant_rows(tenants: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for tenant in tenants:
        summary = tenant["report"].get("summary", {})
        rows.append({
            "name": tenant["name"],
            "status": tenant["status"],
            "findings": dict(summary.get("status", {})),
            "fail_by_severity": dict(summary.get("fail_by_severity", {})),
            "errors": list(tenant.get("errors", ())),
        })

    def badness(row: Mapping[str, Any]) -> tuple[Any, ...]:
        severities = row["fail_by_severity"]
        return (STATUS_RANK.get(row["status"], 0), *(-severities.get(name, 0) for name in SEVERITY_RANK), row["name"])

    return sorted(rows, key=badness)


def _rule_gaps(tenants: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return every rule that fails or errors in at least one tenant.

    Rules that fail somewhere come first, most severe and widespread first; rules
    that only could not be evaluated (ERROR) follow in the same order.
    """
    failing: dict[str, set[str]] = defaultdict(set)
    erroring: dict[str, set[str]] = defaultdict(set)
    resources: dict[str, int] = defaultdict(int)
    metas: dict[str, Mapping[str, Any]] = {}
    for tenant in tenants:
        report = tenant["report"]
        metas.update(report.get("rules", {}))
        for finding in report.get("findings", ()):
            status = finding.get("original_status") or finding["status"]
            if status == "FAIL":
                failing[finding["rule_id"]].add(tenant["name"])
                resources[finding["rule_id"]] += 1
            elif status == "ERROR":
                erroring[finding["rule_id"]].add(tenant["name"])
    rows = []
    for rule_id in sorted(set(failing) | set(erroring)):
        meta = metas.get(rule_id, {})
        rows.append({
            "rule_id": rule_id, "name": meta.get("name", ""), "title": meta.get("title", ""),
            "severity": meta.get("severity", "low"), "pillar": meta.get("pillar", ""),
            "hipaa": list(meta.get("hipaa", ())), "nprm": list(meta.get("nprm", ())),
            "tenants_failing": sorted(failing.get(rule_id, ())),
            "tenants_error": sorted(erroring.get(rule_id, set()) - failing.get(rule_id, set())),
            "resources_failing": resources.get(rule_id, 0),
        })
    rows.sort(key=lambda row: (not row["tenants_failing"], -SEVERITY_RANK.get(row["severity"], 0),
                               -len(row["tenants_failing"]), -row["resources_failing"], -len(row["tenants_error"]),
                               row["rule_id"]))
    return rows


def _catalogues(tenants: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return each catalogue's controls with the tenants in each control status, worst controls first."""
    headers: dict[str, dict[str, Any]] = {}
    controls: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    order: dict[str, list[str]] = defaultdict(list)
    for tenant in tenants:
        for catalogue_id, catalogue in (tenant["report"].get("matrix") or {}).items():
            headers.setdefault(catalogue_id, {key: catalogue.get(key) for key in
                                              ("id", "title", "status", "proposed", "label")})
            for entry in catalogue.get("controls", ()):
                control = controls[catalogue_id].get(entry["id"])
                if control is None:
                    control = controls[catalogue_id][entry["id"]] = {
                        "id": entry["id"], "name": entry.get("name", ""), "type": entry.get("type", ""),
                        "proposed": bool(entry.get("proposed")), "label": entry.get("label", ""),
                        "assessable": bool(entry.get("assessable", True)),
                        "tenants": {status: [] for status in CONTROL_STATUSES},
                        "resources": {"fail": 0, "error": 0},
                    }
                    order[catalogue_id].append(entry["id"])
                control["tenants"].setdefault(entry["status"], []).append(tenant["name"])
                for key in ("fail", "error"):
                    control["resources"][key] += int((entry.get("resources") or {}).get(key, 0))
    result = []
    for catalogue_id, header in headers.items():
        position = {control_id: index for index, control_id in enumerate(order[catalogue_id])}
        entries = list(controls[catalogue_id].values())
        for entry in entries:
            entry["counts"] = {status: len(names) for status, names in entry["tenants"].items()}
        entries.sort(key=lambda entry: (not entry["assessable"], -entry["counts"].get("FAIL", 0),
                                        -entry["counts"].get("INCOMPLETE", 0), position[entry["id"]]))
        result.append({**header, "in_force": not header.get("proposed"), "controls": entries})
    return result


# -- rendering ---------------------------------------------------------------------


def render_json(rollup: Mapping[str, Any]) -> str:
    import json

    return json.dumps(rollup, indent=2) + "\n"


CSV_COLUMNS = ("catalogue", "legal_status", "control_id", "control_name", "tenant", "status",
               "tenant_status", "resources_fail", "resources_error")


def render_csv(rollup: Mapping[str, Any], tenant_reports: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """Return one row per control and tenant, controls in rollup order (worst first)."""
    statuses = {row["name"]: row["status"] for row in rollup["tenants"]}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for catalogue in rollup["catalogues"]:
        legal = "PROPOSED" if catalogue.get("proposed") else (catalogue.get("status") or "")
        for control in catalogue["controls"]:
            for status in CONTROL_STATUSES:
                for tenant in control["tenants"].get(status, ()):
                    resources = _tenant_control_resources(tenant_reports, tenant, catalogue["id"], control["id"])
                    writer.writerow((catalogue["id"], legal, control["id"], control["name"], tenant, status,
                                     statuses.get(tenant, ""), *resources))
    return buffer.getvalue()


def _tenant_control_resources(reports: Mapping[str, Mapping[str, Any]] | None, tenant: str, catalogue: str,
                              control: str) -> tuple[Any, Any]:
    if not reports or tenant not in reports:
        return ("", "")
    for entry in (reports[tenant].get("matrix") or {}).get(catalogue, {}).get("controls", ()):
        if entry["id"] == control:
            resources = entry.get("resources") or {}
            return (resources.get("fail", 0), resources.get("error", 0))
    return ("", "")


#: Errors shown under each tenant in the text rollup; the JSON forms have them all.
MAX_ERRORS_LISTED = 3


def count_noun(count: int, noun: str) -> str:
    """Return ``count`` and ``noun``, with an s for any count but one: "1 tenant", "2 tenants"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def render_table(rollup: Mapping[str, Any], max_rows: int = 25) -> str:
    """Return the rollup as text: tenants, the worst rule gaps, then each catalogue's controls by tenants."""
    summary = rollup["summary"]
    lines = [f"ztscan rollup of {count_noun(summary['tenants'], 'tenant')}: {summary.get('complete', 0)} complete, "
             f"{summary.get('incomplete', 0)} incomplete, {summary.get('error', 0)} failed", ""]
    width = _first_width(row["name"] for row in rollup["tenants"])
    lines += ["Tenants (worst first)",
              _row(("TENANT", "STATUS", "FAIL", "ERROR", "CRIT", "HIGH", "MED", "LOW"), width)]
    for row in rollup["tenants"]:
        severities = row["fail_by_severity"]
        lines.append(_row((row["name"], row["status"].upper(), row["findings"].get("FAIL", 0),
                           row["findings"].get("ERROR", 0), *(severities.get(name, 0) for name in SEVERITY_RANK)),
                          width))
        for message in row["errors"][:MAX_ERRORS_LISTED]:
            lines.append(f"    error: {message}")
        if len(row["errors"]) > MAX_ERRORS_LISTED:
            lines.append(f"    ... {count_noun(len(row['errors']) - MAX_ERRORS_LISTED, 'more error')} "
                         "in run.json and rollup.json")
    lines += ["", "Worst gaps: rules by severity and tenants failing",
              _row(("RULE", "SEVERITY", "TENANTS FAIL", "TENANTS ERROR", "TITLE"))]
    for gap in rollup["gaps"][:max_rows]:
        lines.append(_row((gap["rule_id"], gap["severity"], len(gap["tenants_failing"]), len(gap["tenants_error"]),
                           gap["title"])))
    if len(rollup["gaps"]) > max_rows:
        lines.append(f"  ... {count_noun(len(rollup['gaps']) - max_rows, 'more rule')} in rollup.json")
    for catalogue in rollup["catalogues"]:
        assessable_controls = [control for control in catalogue["controls"] if control["assessable"]]
        listed_controls = assessable_controls[:max_rows]
        labels = [f"{control['id']} [PROPOSED]" if control.get("proposed") else control["id"] for control in listed_controls]
        width = _first_width(labels)
        lines += ["", _catalogue_title(catalogue), _row(("CONTROL", "FAIL", "INCOMPLETE", "PASS", "N/A", "NAME"), width)]
        for label, control in zip(labels, listed_controls):
            counts = control["counts"]
            lines.append(_row((label, counts.get("FAIL", 0), counts.get("INCOMPLETE", 0), counts.get("PASS", 0),
                               counts.get("NOT_ASSESSED", 0), control["name"]), width))
        manual = len(catalogue["controls"]) - len(assessable_controls)
        listed = len(listed_controls)
        assessable = len(assessable_controls)
        if assessable > listed:
            lines.append(f"  ... {count_noun(assessable - listed, 'more control')} in rollup.json")
        if manual:
            need = "needs" if manual == 1 else "need"
            lines.append(f"  {count_noun(manual, 'manual control')} {need} organisational evidence that no scan "
                         "can show")
    return "\n".join(lines) + "\n"


def _catalogue_title(catalogue: Mapping[str, Any]) -> str:
    unit = "pillar" if any(control.get("type") == "pillar" for control in catalogue["controls"]) else "control"
    if catalogue.get("proposed"):
        return f"{catalogue['title']}: PROPOSED, NOT IN FORCE (tenants per {unit})"
    return f"{catalogue['title']}: {catalogue.get('status') or 'published'} (tenants per {unit})"


def _first_width(labels: Iterable[str]) -> int:
    """Return the width of a table's first column: 28, or the longest label, so that no row shifts."""
    return max([28, *(len(label) for label in labels)])


def _row(cells: Iterable[Any], first_width: int = 28) -> str:
    widths = (first_width, 11, 13, 14, 6, 6, 6, 6)
    parts = [str(cell).ljust(widths[index]) if index < len(widths) else str(cell) for index, cell in enumerate(cells)]
    return ("  " + " ".join(parts)).rstrip()
