"""Baselines: compare a scan with a previous JSON report, so a pipeline fails only on new gaps.

A gap is a finding whose effective status is FAIL, muted or not. A gap that a
suppression hides is still a gap, so muting it does not make it "fixed". A
previous gap that this scan could not check again (an ERROR finding, a failed
scope, an account or rule that was not part of this scan) is listed as
unverified, never as fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from ztscan.model import Finding, Scope, ScopeState, Status
from ztscan.provider import ConfigurationError
from ztscan.report import REPORT_SCHEMA_VERSION, Report

FindingKey = tuple[str, str, str, str, str]
KEY_FIELDS = ("rule_id", "provider", "account", "region", "resource_id")


class Baseline(set):
    """The finding keys of the gaps in a previous report, with the file they came from."""

    def __init__(self, keys: Iterable[FindingKey] = (), source: str = ""):
        super().__init__(keys)
        self.source = source


def load_baseline(path: str | Path) -> Baseline:
    """Read a JSON report written by ``ztscan ... --format json`` and return the keys of its gaps.

    Raises ConfigurationError naming the file and the problem when the file is
    missing, not JSON, not a ztscan report, or of an unsupported schema version.
    """
    path = Path(path)
    source = str(path)
    hint = "pass a report written with --format json (or --export json:FILE)"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{source}: baseline report not found; {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not valid UTF-8"
        raise ConfigurationError(f"{source}: cannot read baseline report: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; {hint}") from None
    except RecursionError:
        raise ConfigurationError(f"{source}: invalid JSON: the document is nested too deeply; {hint}") from None

    if not isinstance(data, dict):
        raise ConfigurationError(f"{source}: not a ztscan JSON report (expected an object at the top level); {hint}")
    if "runs" in data and "schema_version" not in data:
        raise ConfigurationError(f"{source}: this is a SARIF file, not a ztscan JSON report; {hint}")
    version = data.get("schema_version")
    if version is None:
        raise ConfigurationError(f"{source}: not a ztscan JSON report (no schema_version); {hint}")
    if version != REPORT_SCHEMA_VERSION or isinstance(version, bool):
        raise ConfigurationError(
            f"{source}: report schema_version {version!r} is not supported; this ztscan reads version "
            f"{REPORT_SCHEMA_VERSION}, so write the baseline again with this ztscan version")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise ConfigurationError(f"{source}: the report has no 'findings' list; {hint}")

    keys = Baseline(source=source)
    for index, item in enumerate(findings):
        finding = _parse_finding(item, index, source)
        if finding.effective_status is Status.FAIL:
            keys.add(finding.key)
    return keys


def _parse_finding(item: Any, index: int, source: str) -> Finding:
    if not isinstance(item, dict):
        raise ConfigurationError(f"{source}: findings[{index}] is not an object; the report is damaged")
    try:
        return Finding.from_dict(item)
    except KeyError as exc:
        problem = f"missing key {exc.args[0]!r}"
    except (TypeError, ValueError, AttributeError) as exc:
        problem = str(exc)
    raise ConfigurationError(f"{source}: findings[{index}] is invalid: {problem}; the report is damaged")


def compare(report: Report, baseline: set[FindingKey]) -> dict[str, Any]:
    """Sort the gaps of ``report`` and ``baseline`` into new, fixed, unchanged and unverified.

    Returns a JSON-ready dict for ``Report.baseline``: one list of items per
    category, ``counts``, and ``new_keys`` (the finding keys of the new gaps,
    each as a list) for the exit-code policy, which counts only new gaps.
    """
    by_key = {finding.key: finding for finding in report.findings}
    current_gaps = [finding for finding in report.findings if finding.effective_status is Status.FAIL]
    current_keys = {finding.key for finding in current_gaps}

    new = [_item(finding.key, finding) for finding in current_gaps if finding.key not in baseline]
    unchanged = [_item(finding.key, finding) for finding in current_gaps if finding.key in baseline]
    fixed, unverified = [], []
    for key in sorted(baseline - current_keys):
        reason = _unverified_reason(report, key, by_key.get(key))
        if reason:
            unverified.append({**_item(key, by_key.get(key)), "reason": reason})
        else:
            fixed.append(_item(key, by_key.get(key)))

    return {
        "source": getattr(baseline, "source", ""),
        "counts": {"new": len(new), "fixed": len(fixed), "unchanged": len(unchanged),
                   "unverified": len(unverified)},
        "new": new,
        "fixed": fixed,
        "unchanged": unchanged,
        "unverified": unverified,
        "new_keys": [list(finding.key) for finding in current_gaps if finding.key not in baseline],
    }


def new_gaps(report: Report, comparison: dict[str, Any]) -> list[Finding]:
    """Return the unmuted FAIL findings of ``report`` that ``comparison`` lists as new."""
    keys = {tuple(key) for key in comparison.get("new_keys", [])}
    return [finding for finding in report.gaps if finding.key in keys]


def _item(key: FindingKey, finding: Finding | None) -> dict[str, Any]:
    item: dict[str, Any] = dict(zip(KEY_FIELDS, key))
    if finding is not None:
        item.update(status=finding.status.value, severity=finding.severity.value,
                    resource_name=finding.resource_name)
    return item


def _unverified_reason(report: Report, key: FindingKey, finding: Finding | None) -> str:
    """Explain why a previous gap that is absent now cannot count as fixed, or return ''."""
    rule_id, provider, account, region, _ = key
    if finding is not None:
        if finding.effective_status is Status.ERROR:
            return "the check could not run in this scan"
        return ""
    scope = Scope(provider, account, region)
    if rule_id not in report.rules:
        return "the rule was not evaluated in this scan"
    accounts = {(f.scope.provider, f.scope.account) for f in report.findings}
    accounts.update((record.scope.provider, record.scope.account) for record in report.scopes)
    if (provider, account) not in accounts:
        return "the account was not scanned"
    for record in report.scopes:
        if record.state is not ScopeState.SCANNED and record.scope.covers(scope):
            return f"the scope {record.scope.label()} was {record.state.value}"
    for other in report.findings:
        if other.rule_id == rule_id and other.status is Status.ERROR and other.resource_id == other.scope.label() \
                and other.scope.covers(scope):
            return "the resources of this rule could not be listed in this scan"
    return ""
