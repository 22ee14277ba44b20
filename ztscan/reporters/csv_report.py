"""CSV output for spreadsheets: one row per finding, every status included.

Cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get
a leading apostrophe, so a spreadsheet shows them as text instead of running
them as a formula. Resource names and messages come from the cloud account, so
anyone who can name a resource controls them.
"""

from __future__ import annotations

import csv
import io

from ztscan.model import Finding
from ztscan.report import Report
from ztscan.reporters.citations import nprm_citation

COLUMNS = (
    "rule_id", "title", "severity", "status", "original_status", "provider", "account", "region",
    "resource_kind", "resource_id", "resource_name", "message", "hipaa", "nprm_proposed", "pillar",
    "suppression_reason", "suppression_owner", "suppression_expires",
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


class CsvReporter:
    name = "csv"
    suffix = ".csv"
    description = "one CSV row per finding, for spreadsheets"

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for finding in sorted(report.findings, key=lambda f: f.key):
            writer.writerow([neutralize(cell) for cell in _row(report, finding)])
        return buffer.getvalue()


def _row(report: Report, finding: Finding) -> list[str]:
    meta = report.rules.get(finding.rule_id)
    suppression = finding.suppression or {}
    return [
        finding.rule_id,
        meta.title if meta else "",
        finding.severity.value,
        finding.status.value,
        finding.original_status.value if finding.original_status else "",
        finding.scope.provider,
        finding.scope.account,
        finding.scope.region,
        finding.resource_kind,
        finding.resource_id,
        finding.resource_name,
        finding.message,
        "; ".join(meta.hipaa) if meta else "",
        "; ".join(nprm_citation(c) for c in meta.nprm) if meta else "",
        meta.pillar if meta else "",
        str(suppression.get("reason", "")),
        str(suppression.get("owner", "")),
        str(suppression.get("expires", "")),
    ]
