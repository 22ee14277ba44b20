"""JUnit XML output for the test report views of Jenkins, GitLab CI and Azure DevOps.

One ``testsuite`` per rule, one ``testcase`` per rule and resource. A FAIL
finding is a ``failure``, an ERROR finding an ``error`` (the check could not
run), NOT_APPLICABLE and MUTED findings are ``skipped`` (with the suppression's
reason for MUTED), and PASS is a test case without a child element. Scopes that
could not be scanned at all are listed in a last suite, ``ztscan scopes``, as
errors (failed) or skipped (deliberately not scanned).

The ``classname`` of a test case is ``provider.account.region``, which Jenkins
shows as package ``provider.account`` and class ``region``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from ztscan.model import Finding, ScopeRecord, ScopeState, Status
from ztscan.report import Report
from ztscan.reporters.citations import NPRM_SOURCE, hipaa_citation, nprm_citation, resource_label
from ztscan.rulecatalogue import RuleMeta

#: Characters that XML 1.0 does not allow anywhere, not even escaped.
_XML_ILLEGAL = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: Any) -> str:
    """Return ``value`` as text that XML 1.0 can hold, writing illegal characters as ``\\xNN`` escapes."""
    return _XML_ILLEGAL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(value))


class JunitReporter:
    name = "junit"
    suffix = ".xml"
    description = "JUnit XML for Jenkins, GitLab CI and Azure DevOps test reports"

    def render(self, report: Report) -> str:
        root = ET.Element("testsuites", name="ztscan")
        by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in report.findings:
            by_rule[finding.rule_id].append(finding)
        for rule_id in sorted(by_rule):
            self._rule_suite(root, rule_id, report.rules.get(rule_id), by_rule[rule_id])
        unscanned = [record for record in report.scopes if record.state is not ScopeState.SCANNED]
        if unscanned:
            self._scope_suite(root, unscanned)
        _set_counts(root, root.findall("testsuite"))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    def _rule_suite(self, root: ET.Element, rule_id: str, meta: RuleMeta | None, findings: list[Finding]) -> None:
        name = f"{rule_id} {meta.name}" if meta is not None else rule_id
        suite = ET.SubElement(root, "testsuite", name=xml_text(name))
        if meta is not None:
            properties = ET.SubElement(suite, "properties")
            for key, value in (
                ("title", meta.title),
                ("severity", meta.severity.value),
                ("pillar", meta.pillar),
                ("hipaa", ", ".join(hipaa_citation(c) for c in meta.hipaa)),
                ("nprm", ", ".join(nprm_citation(c) for c in meta.nprm)),
            ):
                ET.SubElement(properties, "property", name=key, value=xml_text(value))
        for finding in sorted(findings, key=lambda f: f.key):
            self._testcase(suite, finding, meta)
        _set_counts(suite, suite.findall("testcase"))

    def _testcase(self, suite: ET.Element, finding: Finding, meta: RuleMeta | None) -> None:
        scope = finding.scope
        case = ET.SubElement(
            suite, "testcase",
            classname=xml_text(f"{scope.provider}.{scope.account}.{scope.region}"),
            name=xml_text(f"{finding.rule_id} {resource_label(finding)}"),
            time="0",
        )
        if finding.status is Status.FAIL:
            element = ET.SubElement(case, "failure", message=xml_text(finding.message),
                                    type=finding.severity.value)
            element.text = xml_text(_details(finding, meta))
        elif finding.status is Status.ERROR:
            element = ET.SubElement(case, "error", message=xml_text(f"could not check: {finding.message}"),
                                    type="ERROR")
            element.text = xml_text(_details(finding, meta))
        elif finding.status is Status.MUTED:
            suppression = finding.suppression or {}
            message = (f"muted: {suppression.get('reason', 'no reason recorded')} "
                       f"(owner {suppression.get('owner', 'unknown')}, expires {suppression.get('expires', 'unknown')}; "
                       f"original status {finding.original_status.value if finding.original_status else 'unknown'})")
            ET.SubElement(case, "skipped", message=xml_text(message))
        elif finding.status is Status.NOT_APPLICABLE:
            ET.SubElement(case, "skipped", message=xml_text(f"not applicable: {finding.message}"))

    def _scope_suite(self, root: ET.Element, records: list[ScopeRecord]) -> None:
        suite = ET.SubElement(root, "testsuite", name="ztscan scopes")
        for record in sorted(records, key=lambda r: r.scope):
            scope = record.scope
            case = ET.SubElement(suite, "testcase", classname=xml_text(f"{scope.provider}.{scope.account}.{scope.region}"),
                                 name=xml_text(f"scan {scope.label()}"), time="0")
            if record.state is ScopeState.FAILED:
                ET.SubElement(case, "error", message=xml_text(f"nothing could be collected: {record.reason}"),
                              type="ERROR")
            else:
                ET.SubElement(case, "skipped", message=xml_text(f"not scanned: {record.reason}"))
        _set_counts(suite, suite.findall("testcase"))


def _set_counts(element: ET.Element, children: list[ET.Element]) -> None:
    """Set tests, failures, errors and skipped on a testsuite (from test cases) or testsuites (from suites)."""
    if element.tag == "testsuites":
        totals = {key: sum(int(child.get(key, "0")) for child in children)
                  for key in ("tests", "failures", "errors", "skipped")}
    else:
        totals = {
            "tests": len(children),
            "failures": sum(1 for case in children if case.find("failure") is not None),
            "errors": sum(1 for case in children if case.find("error") is not None),
            "skipped": sum(1 for case in children if case.find("skipped") is not None),
        }
    for key, value in totals.items():
        element.set(key, str(value))
    element.set("time", "0")


def _details(finding: Finding, meta: RuleMeta | None) -> str:
    scope = finding.scope
    lines = [
        f"{finding.rule_id}: {meta.title if meta else finding.rule_id}",
        f"status: {finding.status.value}, severity: {finding.severity.value}",
        f"resource: {resource_label(finding)} ({finding.resource_kind})",
        f"provider: {scope.provider}, account: {scope.account}, region: {scope.region}",
        f"message: {finding.message}",
    ]
    if meta is not None:
        lines.append(f"remediation: {meta.remediation_for(scope.provider)}")
        if meta.hipaa:
            lines.append("HIPAA Security Rule in force: " + ", ".join(hipaa_citation(c) for c in meta.hipaa))
        if meta.nprm:
            lines.append(f"proposed HIPAA Security Rule update, {NPRM_SOURCE}: "
                         + ", ".join(nprm_citation(c) for c in meta.nprm))
    return "\n".join(lines)
