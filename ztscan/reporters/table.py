"""Terminal output: summaries by HIPAA safeguard and severity, then every gap and error with its fix."""

from __future__ import annotations

import re
import textwrap
from collections import Counter, defaultdict
from typing import Any, Iterable

from tabulate import tabulate

from ztscan.model import Finding, ScopeState, Severity, Status
from ztscan.report import Report

_CITATION = re.compile(r"^(164\.\d{3})((?:\([0-9a-zA-Z]+\))*)$")
_PAREN = re.compile(r"\(([0-9a-zA-Z]+)\)")

STATUS_COLUMNS = (Status.FAIL, Status.ERROR, Status.PASS, Status.NOT_APPLICABLE, Status.MUTED)
SEVERITY_ORDER = {severity: index for index, severity in enumerate(Severity)}


def hipaa_standard(citation: str) -> str:
    """Return the standard a citation belongs to: 164.312(a)(2)(iv) -> 164.312(a), 164.308(a)(1)(ii)(D) -> 164.308(a)(1).

    In 164.312 the standards are the lettered paragraphs; in 164.308 and 164.310 they
    are the numbered paragraphs under (a) and (b).
    """
    match = _CITATION.match(citation)
    if not match:
        return citation
    section, rest = match.groups()
    parts = _PAREN.findall(rest)
    depth = 1 if section in ("164.312", "164.314", "164.316") else 2
    return section + "".join(f"({part})" for part in parts[:depth])


class TableReporter:
    name = "table"
    suffix = ".txt"
    description = "human-readable summary and the list of gaps and errors with their remediation"

    def render(self, report: Report) -> str:
        sections = [
            self._header(report),
            self._by_safeguard(report),
            self._by_severity(report),
            self._matrix(report),
            self._gaps(report),
            self._scopes(report),
            self._footer(report),
        ]
        return "\n\n".join(section for section in sections if section) + "\n"

    # -- sections --------------------------------------------------------

    def _header(self, report: Report) -> str:
        accounts = sorted({(r.scope.provider, r.scope.account) for r in report.scopes})
        scanned = sum(1 for r in report.scopes if r.state is ScopeState.SCANNED)
        skipped = sum(1 for r in report.scopes if r.state is ScopeState.SKIPPED)
        failed = sum(1 for r in report.scopes if r.state is ScopeState.FAILED)
        target = ", ".join(f"{provider} {account}" for provider, account in accounts) or "no target"
        if report.metadata.get("simulated"):
            target += " (SIMULATED)"

        counts = report.status_counts()
        state = ("INCOMPLETE: some data could not be collected; ERROR findings below show what and where"
                 if report.incomplete else "complete: every rule ran on the data it needs")
        lines = [
            f"ztscan {report.tool_version} report for {target}",
            f"Scopes: {scanned} scanned, {skipped} skipped, {failed} failed. "
            f"Started {_time(report.started_at)}, finished {_time(report.finished_at)}.",
            f"Scan {state}.",
        ]

        evaluated = report.metadata.get("rules_evaluated", len(report.rules))
        installed = report.metadata.get("rules_installed", evaluated)
        rules_line = f"Rules: {evaluated} evaluated"
        if installed != evaluated:
            rules_line += f" of {installed} installed (--rules selected a subset; the others were not checked)"
        idle = report.rules_without_findings()
        if idle:
            rules_line += (f"; {len(idle)} found nothing of their kind to check, listed at the end")

        lines += [
            rules_line + ".",
            f"Findings: {counts['FAIL']} FAIL, {counts['ERROR']} ERROR, {counts['PASS']} PASS, "
            f"{counts['NOT_APPLICABLE']} NOT_APPLICABLE, {counts['MUTED']} MUTED "
            f"over {sum(report.resource_counts.values())} resources.",
        ]
        return "\n".join(lines)

    def _by_safeguard(self, report: Report) -> str:
        names = _standard_names(report)
        counts: dict[str, Counter[Status]] = defaultdict(Counter)
        for finding in report.findings:
            meta = report.rules.get(finding.rule_id)
            if meta is None:
                continue
            for standard in sorted({hipaa_standard(citation) for citation in meta.hipaa}):
                counts[standard][finding.status] += 1
        if not counts:
            return ""
        rows = [
            [standard, names.get(standard, ""), *(counts[standard][status] for status in STATUS_COLUMNS)]
            for standard in sorted(counts, key=_citation_sort_key)
        ]
        headers = ["HIPAA standard (in force)", "Name", *(_label(status) for status in STATUS_COLUMNS)]
        return "Summary by HIPAA safeguard (findings per standard)\n" + tabulate(rows, headers=headers)

    def _by_severity(self, report: Report) -> str:
        fail = report.severity_counts((Status.FAIL,))
        error = report.severity_counts((Status.ERROR,))
        rows = [[severity.value, fail[severity.value], error[severity.value]] for severity in Severity]
        return "Summary by severity\n" + tabulate(rows, headers=["Severity", "FAIL", "ERROR"])

    def _matrix(self, report: Report) -> str:
        if not report.matrix:
            return ""
        framework = report.metadata.get("framework", "all")
        attention = {f.rule_id for f in report.findings if f.effective_status in (Status.FAIL, Status.ERROR)}
        blocks = []
        for catalogue_id, catalogue in _matrix_catalogues(report.matrix, framework):
            controls = catalogue.get("controls", [])
            tally = Counter(control.get("status", "") for control in controls)
            title = catalogue.get("title") or catalogue_id
            if catalogue.get("proposed"):
                title += " [PROPOSED, not final]"
            summary = ", ".join(f"{count} {status}" for status, count in sorted(tally.items()))
            failing = [control for control in controls if control.get("status") in ("FAIL", "INCOMPLETE")]
            rows = [
                [control.get("id", ""), control.get("name", ""), control.get("status", ""),
                 ", ".join(rule_id for rule_id in control.get("rules", []) if rule_id in attention)]
                for control in failing
            ]
            block = f"Controls: {title}: {summary}"
            if rows:
                block += "\n" + tabulate(rows, headers=["Control", "Name", "Status", "Rules with FAIL or ERROR"],
                                         maxcolwidths=[None, 40, None, 48])
            blocks.append(block)
        return "\n\n".join(blocks)

    def _gaps(self, report: Report) -> str:
        attention = [f for f in report.findings if f.status in (Status.FAIL, Status.ERROR)]
        if not attention:
            return "No FAIL or ERROR findings."
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in attention:
            by_rule[finding.rule_id].append(finding)

        def rule_order(rule_id: str) -> tuple[int, str]:
            return (SEVERITY_ORDER[by_rule[rule_id][0].severity], rule_id)

        blocks = ["Gaps and errors, most severe first"]
        for rule_id in sorted(by_rule, key=rule_order):
            findings = by_rule[rule_id]
            meta = report.rules.get(rule_id)
            title = meta.title if meta else ""
            head = f"[{findings[0].severity.value.upper()}] {rule_id} {title}"
            lines = [head]
            if meta is not None:
                lines.append(_wrap(f"Why: {_first_sentence(meta.rationale)}"))
                mapping = f"  HIPAA {', '.join(meta.hipaa)}"
                if meta.nprm:
                    mapping += f"; proposed 2025 rule (not final): {', '.join(meta.nprm)}"
                lines.append(mapping)
                providers = sorted({finding.scope.provider for finding in findings})
                for provider in providers:
                    lines.append(_wrap(f"Fix ({provider}): {meta.remediation_for(provider)}"))
            rows = [
                [finding.status.value, _resource_label(finding), finding.scope.region, finding.message]
                for finding in sorted(findings, key=lambda f: (f.status.value, f.scope, f.resource_id))
            ]
            # Resource labels such as account ids look like numbers; parsed, they would be right-aligned.
            table = tabulate(rows, headers=["Status", "Resource", "Region", "Detail"], maxcolwidths=[None, 36, None, 64],
                             disable_numparse=True)
            lines.append(textwrap.indent(table, "  "))
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def _scopes(self, report: Report) -> str:
        lines = []
        skipped = [record for record in report.scopes if record.state is ScopeState.SKIPPED]
        if skipped:
            regions = ", ".join(record.scope.region for record in skipped)
            reasons = sorted({record.reason for record in skipped if record.reason})
            lines.append(f"Skipped {len(skipped)} scopes ({'; '.join(reasons) or 'not scanned'}): {regions}")
        for record in report.scopes:
            if record.state is ScopeState.FAILED:
                lines.append(f"Failed scope {record.scope.label()}: {record.reason}")
        if report.errors:
            codes = Counter(error.code for error in report.errors)
            listed = ", ".join(f"{code} x{count}" for code, count in codes.most_common())
            lines.append(f"Collection errors: {len(report.errors)} ({listed}); see the JSON report for each one.")
        muted = report.by_status(Status.MUTED)
        if muted:
            lines.append(f"Muted by suppressions: {len(muted)} findings (not counted as PASS).")
        idle = report.rules_without_findings()
        if idle:
            lines.append(_wrap("Rules that found nothing of their kind to check (no verdict): "
                               + ", ".join(f"{rule_id} ({report.rules[rule_id].title})" if rule_id in report.rules
                                           else rule_id for rule_id in idle), indent=""))
        lines.extend(self._baseline(report))
        return "\n".join(lines)

    def _baseline(self, report: Report) -> list[str]:
        if not report.baseline:
            return []
        counts = report.baseline.get("counts", {})
        summary = ", ".join(f"{counts.get(key, 0)} {key}" for key in ("new", "fixed", "unchanged", "unverified"))
        lines = [f"Compared with baseline {report.baseline.get('source', '')}: {summary}. "
                 "Only new gaps count for --fail-on."]
        for item in report.baseline.get("new", [])[:50]:
            lines.append(f"  new: {item.get('rule_id', '')} {item.get('resource_name') or item.get('resource_id', '')}"
                         f" ({item.get('region', '')})")
        return lines

    def _footer(self, report: Report) -> str:
        hipaa = report.matrix.get("hipaa") if isinstance(report.matrix, dict) else None
        manual = 0
        if isinstance(hipaa, dict):
            manual = sum(1 for control in hipaa.get("controls", []) if control.get("status") == "MANUAL")
        text = ("A clean scan covers only what cloud configuration can show. Administrative safeguards such as "
                "risk analysis, training, contracts and sanction policy need organisational evidence")
        if manual:
            text += f" ({manual} HIPAA Security Rule controls are listed as MANUAL in the control matrix)"
        return textwrap.fill(text + ".", width=100)


def _wrap(text: str, indent: str = "  ") -> str:
    """Wrap at spaces only, so that CLI commands with hyphenated options stay copyable."""
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False, break_long_words=False)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _time(value: str) -> str:
    """Show an ISO time to the second, without fractions."""
    if not value:
        return "?"
    head, dot, rest = value.partition(".")
    if not dot:
        return value
    offset = rest.lstrip("0123456789")
    return head + offset


def _label(status: Status) -> str:
    return "N/A" if status is Status.NOT_APPLICABLE else status.value


def _resource_label(finding: Finding) -> str:
    return finding.resource_name or finding.resource_id


def _shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _citation_sort_key(citation: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"[().]+", citation) if part]


def _standard_names(report: Report) -> dict[str, str]:
    """Names of HIPAA standards, taken from the in-force catalogue of the control matrix when present.

    A standard's own entry is cited as the standard itself, or with (1) or (i)
    appended: 164.312(a)(1) Access control, 164.308(a)(1)(i) Security management process.
    """
    hipaa = report.matrix.get("hipaa") if isinstance(report.matrix, dict) else None
    if not isinstance(hipaa, dict):
        return {}
    names: dict[str, str] = {}
    for control in hipaa.get("controls", []):
        control_id = control.get("id", "")
        standard = hipaa_standard(control_id)
        if control_id in (standard, standard + "(1)", standard + "(i)"):
            names[standard] = control.get("name", "")
    return names


def _matrix_catalogues(matrix: Any, framework: str) -> Iterable[tuple[str, dict]]:
    """Yield (catalogue id, catalogue) pairs, the one chosen by --framework first."""
    if not isinstance(matrix, dict):
        return []
    items = [(key, value) for key, value in matrix.items() if isinstance(value, dict)]
    if framework not in ("all", ""):
        items = [item for item in items if item[0] == framework] + [item for item in items if item[0] != framework]
    return items
