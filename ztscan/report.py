"""The report: findings plus everything needed to judge them (scope, coverage, errors, mappings)."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from ztscan import __version__
from ztscan.model import CollectionError, Finding, Inventory, ScopeRecord, ScopeState, Severity, Status
from ztscan.rulecatalogue import RuleMeta

#: Version of the JSON report layout; bump it on any incompatible change.
REPORT_SCHEMA_VERSION = 1


class ExitCode(enum.IntEnum):
    """Process exit codes. These values are a stable interface for CI pipelines."""

    #: The scan is complete and found no gap at or above the --fail-on threshold.
    OK = 0
    #: At least one FAIL finding at or above the --fail-on threshold.
    GAPS = 1
    #: A usage or configuration error: bad option, unreadable input file, missing credentials.
    USAGE = 2
    #: Some data could not be collected or a rule crashed (ERROR findings), so the result is
    #: incomplete. Takes precedence over GAPS unless --allow-incomplete is given.
    INCOMPLETE = 3


@dataclass
class Report:
    findings: list[Finding]
    rules: dict[str, RuleMeta]
    scopes: list[ScopeRecord] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    resource_counts: dict[str, int] = field(default_factory=dict)
    started_at: str = ""
    finished_at: str = ""
    tool_version: str = __version__
    #: Free-form run facts: target description, options, whether the account is simulated.
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Control matrices keyed by catalogue id, filled by ztscan.controls when catalogues are loaded.
    matrix: dict[str, Any] = field(default_factory=dict)
    #: Comparison with a baseline report (new, fixed, unchanged), when --baseline is used.
    baseline: dict[str, Any] | None = None

    # -- derived views ---------------------------------------------------

    def by_status(self, *statuses: Status) -> list[Finding]:
        selected = set(statuses)
        return [finding for finding in self.findings if finding.status in selected]

    @property
    def gaps(self) -> list[Finding]:
        """FAIL findings that are not muted."""
        return self.by_status(Status.FAIL)

    @property
    def incomplete(self) -> bool:
        """True when any data was missing or a rule crashed, so PASS results do not cover everything."""
        if self.by_status(Status.ERROR):
            return True
        return any(record.state is ScopeState.FAILED for record in self.scopes)

    def status_counts(self) -> dict[str, int]:
        counts = Counter(finding.status.value for finding in self.findings)
        return {status.value: counts.get(status.value, 0) for status in Status}

    def severity_counts(self, statuses: Iterable[Status] = (Status.FAIL,)) -> dict[str, int]:
        selected = set(statuses)
        counts = Counter(finding.severity.value for finding in self.findings if finding.status in selected)
        return {severity.value: counts.get(severity.value, 0) for severity in Severity}

    def coverage(self) -> dict[str, dict[str, int]]:
        """Finding counts per rule and status, with every evaluated rule present (zero counts included)."""
        counts: dict[str, Counter[str]] = {rule_id: Counter() for rule_id in self.rules}
        for finding in self.findings:
            counts.setdefault(finding.rule_id, Counter())[finding.status.value] += 1
        return {rule_id: {status.value: tally.get(status.value, 0) for status in Status}
                for rule_id, tally in sorted(counts.items())}

    def rules_without_findings(self) -> list[str]:
        """Rules that ran but found no resource of their kind, so they checked nothing."""
        return [rule_id for rule_id, tally in self.coverage().items() if not any(tally.values())]

    def skipped_scopes(self) -> list[ScopeRecord]:
        return [record for record in self.scopes if record.state is ScopeState.SKIPPED]

    def exit_code(self, fail_on: Severity | None, allow_incomplete: bool = False,
                  gaps: Iterable[Finding] | None = None) -> ExitCode:
        """Apply the exit-code policy.

        ``fail_on`` None means no severity fails the run (``--fail-on none``).
        ``gaps`` overrides the FAIL findings considered, for baseline mode where
        only new gaps count.
        """
        if self.incomplete and not allow_incomplete:
            return ExitCode.INCOMPLETE
        considered = self.gaps if gaps is None else list(gaps)
        if fail_on is not None and any(finding.severity.at_least(fail_on) for finding in considered):
            return ExitCode.GAPS
        return ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the report (the layout is documented in docs/report-format.md)."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "tool": {"name": "ztscan", "version": self.tool_version},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "metadata": self.metadata,
            "complete": not self.incomplete,
            "summary": {
                "status": self.status_counts(),
                "fail_by_severity": self.severity_counts(),
                "resources": self.resource_counts,
            },
            "coverage": {
                "rules": self.coverage(),
                "rules_without_findings": self.rules_without_findings(),
            },
            "scopes": [record.to_dict() for record in self.scopes],
            "collection_errors": [error.to_dict() for error in self.errors],
            "rules": {rule_id: meta.to_dict() for rule_id, meta in sorted(self.rules.items())},
            "findings": [finding.to_dict() for finding in self.findings],
            "matrix": self.matrix,
            "baseline": self.baseline,
        }


def build_report(inventory: Inventory, findings: list[Finding], rules: dict[str, RuleMeta],
                 metadata: dict[str, Any] | None = None) -> Report:
    counts = Counter(resource.kind for resource in inventory.resources)
    return Report(
        findings=sorted(findings, key=lambda f: (f.rule_id, f.scope, f.resource_id)),
        rules=rules,
        scopes=list(inventory.scopes),
        errors=list(inventory.errors),
        resource_counts=dict(sorted(counts.items())),
        started_at=inventory.started_at,
        finished_at=inventory.finished_at,
        metadata=dict(metadata or {}),
    )
