"""JSON output: the whole report, layout documented in docs/report-format.md."""

from __future__ import annotations

import json

from ztscan.report import Report


class JsonReporter:
    name = "json"
    suffix = ".json"
    description = "every finding with its mappings, the scan's scope, coverage and errors"

    def render(self, report: Report) -> str:
        return json.dumps(report.to_dict(), indent=2, sort_keys=False, default=str) + "\n"
