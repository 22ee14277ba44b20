"""The control matrix: the status of every control of every catalogue, computed from a report's findings.

:func:`build_matrix` fills ``Report.matrix`` with one entry per catalogue, keyed
by catalogue id in load order (``hipaa``, ``nprm``, ``zero-trust``, then extra
files)::

    {"hipaa": {
        "id", "title", "status", "proposed", "label", "timeline", "source", "url",
        "summary": {"PASS": n, "FAIL": n, "INCOMPLETE": n, "MANUAL": n, "NOT_ASSESSED": n},
        "controls": [
            {"id", "name", "type", "parent", "assessable", "proposed", "label",
             "status",            # PASS | FAIL | INCOMPLETE | MANUAL | NOT_ASSESSED
             "reason",            # one sentence explaining the status
             "rules",             # every rule id mapped to the control
             "rules_evaluated",   # the mapped rules that ran in this scan
             "coverage",          # "full", "partial", or None when no rule is mapped
             "resources": {"pass": n, "fail": n, "error": n, "not_applicable": n},
             "muted",             # resources whose findings include a muted one
             "evidence",          # manual controls: what an auditor asks for; [] otherwise
             "not_covered",       # why no rule backs an assessable control yet, or None
             "requires", "replaces", "extends"},   # proposed controls; "" and [] otherwise
            ...]}}

Status of a control, from the findings of its mapped rules (by their status
before muting, :attr:`ztscan.model.Finding.effective_status`): MANUAL for a
manual control whatever the findings; FAIL when any resource fails; INCOMPLETE
when none fails and any errored; PASS when at least one passes and none fails
or errored; NOT_ASSESSED otherwise (no mapped rule, no mapped rule ran, or only
NOT_APPLICABLE results). A resource counts once per control: failing if any
mapped finding on it fails, else erroring if any errored, else passing if any
passed. Muted findings keep their original status here, because a suppression
hides a finding, not a gap; ``muted`` shows how many resources carry one.
Proposed controls carry ``proposed: true`` and ``label: "PROPOSED"``.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ztscan.model import Finding, Status

if TYPE_CHECKING:  # pragma: no cover - imports for type checkers only
    from ztscan.controls import Catalogue, Control
    from ztscan.rulecatalogue import RuleMeta


class ControlStatus(str, enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCOMPLETE = "INCOMPLETE"
    MANUAL = "MANUAL"
    NOT_ASSESSED = "NOT_ASSESSED"

    def __str__(self) -> str:
        return self.value


_RESOURCE_KEYS = {Status.PASS: "pass", Status.FAIL: "fail", Status.ERROR: "error",
                  Status.NOT_APPLICABLE: "not_applicable"}


def _resource_status(statuses: set[Status]) -> Status:
    for status in (Status.FAIL, Status.ERROR, Status.PASS):
        if status in statuses:
            return status
    return Status.NOT_APPLICABLE


def _control_entry(control: Control, by_rule: Mapping[str, list[Finding]],
                   evaluated: set[str], rules: Mapping[str, RuleMeta]) -> dict[str, Any]:
    ran = [rule_id for rule_id in control.rules if rule_id in evaluated]
    per_resource: dict[tuple[str, str, str, str], set[Status]] = defaultdict(set)
    muted: set[tuple[str, str, str, str]] = set()
    for rule_id in ran:
        for finding in by_rule.get(rule_id, ()):
            key = (finding.scope.provider, finding.scope.account, finding.scope.region, finding.resource_id)
            per_resource[key].add(finding.effective_status)
            if finding.status is Status.MUTED:
                muted.add(key)
    counts = Counter(_RESOURCE_KEYS[_resource_status(statuses)] for statuses in per_resource.values())
    resources = {name: counts.get(name, 0) for name in _RESOURCE_KEYS.values()}
    status, reason = _control_status(control, ran, resources)

    coverage = None
    if control.rules:
        full = any(rules[rule_id].coverage == "full" for rule_id in ran if rule_id in rules)
        coverage = "full" if full and len(ran) == len(control.rules) else "partial"
    return {
        "id": control.id, "name": control.name, "type": control.type, "parent": control.parent,
        "assessable": control.assessable, "proposed": control.proposed, "label": control.label,
        "status": status.value, "reason": reason,
        "rules": list(control.rules), "rules_evaluated": ran, "coverage": coverage,
        "resources": resources, "muted": len(muted),
        "evidence": list(control.evidence) if not control.assessable else [],
        "not_covered": control.not_covered if control.assessable and not control.rules else None,
        "requires": control.requires, "replaces": list(control.replaces), "extends": list(control.extends),
    }


def _control_status(control: Control, ran: list[str], resources: Mapping[str, int]) -> tuple[ControlStatus, str]:
    if not control.assessable:
        return ControlStatus.MANUAL, "needs organisational evidence; a configuration scan cannot show it"
    if not control.rules:
        return ControlStatus.NOT_ASSESSED, f"no ztscan rule covers this control yet: {control.not_covered}"
    if not ran:
        return ControlStatus.NOT_ASSESSED, "none of the mapped rules was evaluated in this scan"
    if resources["fail"]:
        return ControlStatus.FAIL, f"{resources['fail']} resource(s) fail a mapped rule"
    if resources["error"]:
        return ControlStatus.INCOMPLETE, f"data for {resources['error']} resource(s) could not be collected or a rule failed"
    if resources["pass"]:
        skipped = len(control.rules) - len(ran)
        tail = f"; {skipped} mapped rule(s) were not evaluated" if skipped else ""
        return ControlStatus.PASS, f"every evaluated resource passes the mapped rules{tail}"
    if resources["not_applicable"]:
        return ControlStatus.NOT_ASSESSED, "the mapped rules do not apply to any resource in scope"
    return ControlStatus.NOT_ASSESSED, "the mapped rules found no resource in scope"


def build_matrix(report: Any, catalogues: Sequence[Catalogue]) -> dict[str, Any]:
    """Compute the control matrix of ``report`` for ``catalogues``, store it in ``report.matrix`` and return it.

    ``report`` is a :class:`ztscan.report.Report`; its ``rules`` are the rules evaluated in the scan.
    """
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_rule[finding.rule_id].append(finding)
    evaluated = set(report.rules)
    matrix: dict[str, Any] = {}
    for catalogue in catalogues:
        entries = [_control_entry(control, by_rule, evaluated, report.rules) for control in catalogue.controls]
        summary = Counter(entry["status"] for entry in entries)
        matrix[catalogue.id] = {
            **catalogue.header(),
            "summary": {status.value: summary.get(status.value, 0) for status in ControlStatus},
            "controls": entries,
        }
    report.matrix = matrix
    return matrix
