"""SARIF 2.1.0 output that GitHub code scanning accepts.

GitHub is stricter than the SARIF schema. Every result needs a relative
``artifactLocation.uri``, so a cloud resource gets a stable synthetic path
``.ztscan/<provider>/<account>/<region>/<kind>/<name>``, and the cloud
identifiers go into the message, ``logicalLocations`` and ``properties``.

Layout decisions:

* One run per provider and account, with ``automationDetails.id``
  ``ztscan/<provider>/<account>/``, so uploads for several accounts of one
  commit do not replace each other. A run is written even when the account has
  no results, so that GitHub closes the alerts that were fixed.
* FAIL findings become results with level ``error`` (critical, high) or
  ``warning`` (medium, low). ERROR findings become ``warning`` results whose message
  states that the check could not run, with the property ``ztscan-status: ERROR``, so an
  alert stays open while ztscan cannot check it. PASS, NOT_APPLICABLE and MUTED
  findings are left out, because GitHub ignores SARIF ``suppressions``.
* ``tool.driver.rules`` of a run lists only the rules with results in that run.
* GitHub rejects more than 20 runs per file or 25,000 results per run. Beyond
  that ztscan keeps the most severe results and the first accounts in sorted
  order, and logs a warning. It does not split a run, because GitHub rejects
  two runs of one tool with the same ``automationDetails.id``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import defaultdict
from importlib import metadata
from typing import Any

from ztscan.model import Finding, ScopeState, Severity, Status
from ztscan.report import Report
from ztscan.reporters.citations import NPRM_SOURCE, hipaa_citation, nprm_citation, resource_label
from ztscan.rulecatalogue import RuleMeta

log = logging.getLogger(__name__)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: Used when the installed distribution declares no project URL.
# NOTE: pyproject.toml declares no [project.urls] yet, so every SARIF file carries this fallback.
FALLBACK_INFORMATION_URI = "https://pypi.org/project/ztscan/"

#: GitHub code scanning limits (docs.github.com, "SARIF support for code scanning").
MAX_RUNS_PER_FILE = 20
MAX_RESULTS_PER_RUN = 25_000
MAX_TAGS_PER_RULE = 20
MAX_FULL_DESCRIPTION = 1024

#: GitHub maps security-severity to labels: over 9.0 critical, 7.0 to 8.9 high,
#: 4.0 to 6.9 medium, 0.1 to 3.9 low.
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "warning"}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_SEGMENT = 80


class SarifReporter:
    name = "sarif"
    suffix = ".sarif"
    description = "SARIF 2.1.0 for GitHub code scanning and other SARIF viewers (gaps and errors only)"

    def __init__(self, max_runs: int = MAX_RUNS_PER_FILE, max_results_per_run: int = MAX_RESULTS_PER_RUN):
        self.max_runs = max_runs
        self.max_results_per_run = max_results_per_run

    def render(self, report: Report) -> str:
        return json.dumps(self.build(report), indent=2, ensure_ascii=False) + "\n"

    def build(self, report: Report) -> dict[str, Any]:
        """Return the SARIF log as a dict."""
        accounts = sorted(_accounts(report))
        if len(accounts) > self.max_runs:
            dropped = accounts[self.max_runs:]
            log.warning(
                "SARIF output is limited to %d runs (one per account) but the report has %d accounts; "
                "left out: %s. Scan fewer accounts per SARIF file, for example one job per account",
                self.max_runs, len(accounts), ", ".join(f"{provider}/{account}" for provider, account in dropped))
            accounts = accounts[:self.max_runs]

        findings: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in report.findings:
            if finding.status in (Status.FAIL, Status.ERROR):
                findings[(finding.scope.provider, finding.scope.account)].append(finding)

        runs = [self._run(report, provider, account, findings[(provider, account)])
                for provider, account in accounts]
        if not runs:
            # An empty report still yields one run, without automationDetails, so an upload is valid.
            runs = [{"tool": {"driver": self._driver(report, [])}, "results": []}]
        return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": runs}

    def _run(self, report: Report, provider: str, account: str, findings: list[Finding]) -> dict[str, Any]:
        findings = sorted(findings, key=_result_order)
        complete = not any(finding.status is Status.ERROR for finding in findings)
        notifications = []
        if len(findings) > self.max_results_per_run:
            message = (f"{len(findings)} results for {provider} account {account} exceed the limit of "
                       f"{self.max_results_per_run} per run; only the {self.max_results_per_run} most severe "
                       "are included, see the JSON report for all of them")
            log.warning("SARIF output truncated: %s", message)
            notifications.append({"level": "warning", "message": {"text": message}})
            findings = findings[:self.max_results_per_run]

        for record in report.scopes:
            if record.scope.provider == provider and record.scope.account == account \
                    and record.state is ScopeState.FAILED:
                complete = False
                notifications.append({"level": "error", "message": {
                    "text": f"nothing could be collected in {record.scope.label()}: {record.reason}"}})

        rule_ids = sorted({finding.rule_id for finding in findings})
        rule_index = {rule_id: position for position, rule_id in enumerate(rule_ids)}
        rules = [_rule_descriptor(_meta(report, rule_id, findings), provider) for rule_id in rule_ids]

        return {
            "tool": {"driver": self._driver(report, rules)},
            "automationDetails": {"id": f"ztscan/{provider}/{account}/"},
            "invocations": [{"executionSuccessful": complete, "toolExecutionNotifications": notifications}],
            "results": [_result(finding, rule_index[finding.rule_id], report.rules.get(finding.rule_id))
                        for finding in findings],
            "properties": {"provider": provider, "account": account, "complete": complete},
        }

    def _driver(self, report: Report, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": "ztscan",
            "version": report.tool_version,
            "informationUri": _information_uri(),
            "rules": rules,
        }


def _accounts(report: Report) -> set[tuple[str, str]]:
    accounts = {(finding.scope.provider, finding.scope.account) for finding in report.findings}
    accounts.update((record.scope.provider, record.scope.account) for record in report.scopes)
    return accounts


def _result_order(finding: Finding) -> tuple:
    return (-finding.severity.rank, finding.status is not Status.FAIL, finding.key)


def _information_uri() -> str:
    try:
        urls = metadata.metadata("ztscan").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        _, _, url = entry.partition(",")
        if url.strip().startswith("https://"):
            return url.strip()
    return FALLBACK_INFORMATION_URI


def _meta(report: Report, rule_id: str, findings: list[Finding]) -> RuleMeta:
    """Return the catalogue entry of a rule, or a minimal one when a plugin rule has none."""
    meta = report.rules.get(rule_id)
    if meta is not None:
        return meta
    severity = next(finding.severity for finding in findings if finding.rule_id == rule_id)
    return RuleMeta(id=rule_id, name=rule_id.lower(), title=rule_id, severity=severity, pillar="unknown",
                    rationale="No catalogue entry was found for this rule.",
                    remediation={"default": "See the documentation of the plugin that provides this rule."},
                    hipaa=(), nprm=())


def _rule_descriptor(meta: RuleMeta, provider: str) -> dict[str, Any]:
    full = meta.rationale if len(meta.rationale) <= MAX_FULL_DESCRIPTION \
        else meta.rationale[:MAX_FULL_DESCRIPTION - 1].rstrip() + "\u2026"
    descriptor: dict[str, Any] = {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": full},
        "help": {"text": _help_text(meta, provider), "markdown": _help_markdown(meta, provider)},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "tags": _tags(meta),
            "pillar": meta.pillar,
            "hipaa": [hipaa_citation(c) for c in meta.hipaa],
            "nprm-proposed": [nprm_citation(c) for c in meta.nprm],
        },
    }
    if meta.references:
        descriptor["helpUri"] = meta.references[0]
    return descriptor


def _tags(meta: RuleMeta) -> list[str]:
    """Return at most 20 tags, most useful first, because GitHub shows only the first 10."""
    candidates = ["security", "zero-trust", f"pillar-{meta.pillar}", meta.severity.value]
    candidates += [f"hipaa-{citation}" for citation in meta.hipaa]
    candidates += [f"nprm-proposed-{citation}" for citation in meta.nprm]
    tags: list[str] = []
    for tag in candidates:
        if tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS_PER_RULE]


def _help_text(meta: RuleMeta, provider: str) -> str:
    lines = [meta.title, "", "Why it matters:", meta.rationale, "", f"How to fix ({provider}):",
             meta.remediation_for(provider), ""]
    if meta.hipaa:
        lines.append("HIPAA Security Rule in force: " + ", ".join(hipaa_citation(c) for c in meta.hipaa))
    if meta.nprm:
        lines.append(f"Proposed HIPAA Security Rule update, {NPRM_SOURCE}: "
                     + ", ".join(nprm_citation(c) for c in meta.nprm))
    lines.append(f"Zero-trust pillar: {meta.pillar}")
    return "\n".join(lines)


def _help_markdown(meta: RuleMeta, provider: str) -> str:
    parts = [f"**{meta.title}**", "", "**Why it matters**", "", meta.rationale, "",
             f"**How to fix ({provider})**", "", meta.remediation_for(provider), ""]
    if meta.hipaa:
        parts.append("**HIPAA Security Rule in force:** " + ", ".join(f"`{hipaa_citation(c)}`" for c in meta.hipaa))
        parts.append("")
    if meta.nprm:
        parts.append(f"**Proposed HIPAA Security Rule update** ({NPRM_SOURCE}): "
                     + ", ".join(f"`{nprm_citation(c)}`" for c in meta.nprm))
        parts.append("")
    parts.append(f"**Zero-trust pillar:** {meta.pillar}")
    return "\n".join(parts)


def _result(finding: Finding, rule_index: int, meta: RuleMeta | None) -> dict[str, Any]:
    scope = finding.scope
    where = (f"Resource {resource_label(finding)} ({finding.resource_kind}) in {scope.provider} account "
             f"{scope.account}, region {scope.region}.")
    title = meta.title if meta is not None else finding.rule_id
    if finding.status is Status.ERROR:
        text = f"{finding.rule_id} could not be checked ({title}): {finding.message}. {where}"
        level = "warning"
    else:
        text = f"{finding.rule_id} {title}: {finding.message}. {where}"
        level = LEVEL[finding.severity]
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": artifact_uri(finding)},
                "region": {"startLine": 1},
            },
            "logicalLocations": [{
                "name": finding.resource_name or finding.resource_id,
                "fullyQualifiedName": finding.resource_id,
                "kind": "resource",
            }],
        }],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint(finding)},
        "properties": {
            "ztscan-status": finding.status.value,
            "severity": finding.severity.value,
            "provider": scope.provider,
            "account": scope.account,
            "region": scope.region,
            "resource-id": finding.resource_id,
            "resource-kind": finding.resource_kind,
            "resource-name": finding.resource_name,
        },
    }


def fingerprint(finding: Finding) -> str:
    """Return a hash of rule, provider, account, region and resource id: the same in every scan."""
    digest = hashlib.sha256("\x1f".join(finding.key).encode("utf-8")).hexdigest()
    return f"{digest[:32]}:1"


def artifact_uri(finding: Finding) -> str:
    """Return the synthetic relative path of a finding's resource, stable across scans."""
    scope = finding.scope
    if finding.resource_id == scope.label():
        # The engine's finding for a whole scope whose resources could not be listed.
        leaf = "_all"
    else:
        leaf = sanitize_segment(finding.resource_name or finding.resource_id)
    segments = [sanitize_segment(part) for part in (scope.provider, scope.account, scope.region,
                                                    finding.resource_kind)]
    return "/".join([".ztscan", *segments, leaf])


def sanitize_segment(value: str) -> str:
    """Make one path segment of safe characters; add a hash of the original when anything was changed.

    The hash keeps two names that differ only in replaced characters apart.
    """
    cleaned = _UNSAFE.sub("_", value).lstrip(".") or "_"
    if cleaned == value and len(value) <= MAX_SEGMENT:
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned[:MAX_SEGMENT - 9]}-{digest}"
