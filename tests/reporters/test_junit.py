"""JUnit XML output: one test case per rule and resource, valid XML whatever the cloud returns."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ci_report_data import ACCOUNT, RULES, finding, mixed_report
from ztscan.model import Status
from ztscan.report import Report
from ztscan.reporters.junit import JunitReporter, xml_text


def parse(report: Report) -> ET.Element:
    return ET.fromstring(JunitReporter().render(report))


def case_of(root: ET.Element, resource: str) -> ET.Element:
    matches = [case for case in root.iter("testcase") if f"[arn:aws:s3:::{resource}]" in case.get("name")]
    assert len(matches) == 1, [case.get("name") for case in root.iter("testcase")]
    return matches[0]


def test_root_counts():
    root = parse(mixed_report())
    assert root.tag == "testsuites"
    assert root.get("tests") == "9"
    assert root.get("failures") == "3"
    assert root.get("errors") == "2"
    assert root.get("skipped") == "3"


def test_one_suite_per_rule():
    names = [suite.get("name") for suite in parse(mixed_report()).findall("testsuite")]
    assert names == ["ZT-DAT-001 buckets-encrypted", "ZT-IAM-001 console-users-mfa",
                     "ZT-LOG-002 bucket-access-logging", "ZT-NET-004 network-flow-logs", "ztscan scopes"]


def test_suite_counts():
    suite = parse(mixed_report()).find("testsuite")
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "1"
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "0"


def test_testcase_names():
    case = case_of(parse(mixed_report()), "clinic-phi")
    assert case.get("classname") == f"aws.{ACCOUNT}.us-east-1"
    assert case.get("name") == "ZT-DAT-001 clinic-phi [arn:aws:s3:::clinic-phi]"


def test_fail_is_failure():
    failure = case_of(parse(mixed_report()), "clinic-phi").find("failure")
    assert failure is not None
    assert failure.get("message") == "default encryption is off"
    assert failure.get("type") == "high"
    assert "45 CFR 164.312(a)(2)(iv)" in failure.text
    assert "164.312(b) (proposed)" in failure.text
    assert "Enable SSE-KMS" in failure.text


def test_error_is_error():
    error = case_of(parse(mixed_report()), "clinic-archive").find("error")
    assert error is not None
    assert error.get("message").startswith("could not check:")
    assert "AccessDenied" in error.get("message")


def test_pass_has_no_child():
    case = case_of(parse(mixed_report()), "clinic-logs")
    assert list(case) == []


def test_muted_skipped_with_reason():
    skipped = case_of(parse(mixed_report()), "public-site").find("skipped")
    assert skipped is not None
    assert "static website, no PHI" in skipped.get("message")
    assert "web-team" in skipped.get("message")
    assert "original status FAIL" in skipped.get("message")


def test_not_applicable_skipped():
    skipped = case_of(parse(mixed_report()), "vpc-1").find("skipped")
    assert skipped is not None
    assert skipped.get("message").startswith("not applicable")


def test_scope_suite():
    suite = parse(mixed_report()).findall("testsuite")[-1]
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert cases[f"scan aws:{ACCOUNT}:eu-west-3"].find("error") is not None
    assert cases[f"scan aws:{ACCOUNT}:ap-east-1"].find("skipped") is not None


def test_no_scope_suite_when_all_scanned():
    report = Report(findings=[finding()], rules=dict(RULES))
    names = [suite.get("name") for suite in parse(report).findall("testsuite")]
    assert names == ["ZT-DAT-001 buckets-encrypted"]


def test_empty_report():
    root = parse(Report(findings=[], rules={}))
    assert root.get("tests") == "0"
    assert root.findall("testsuite") == []


@pytest.mark.parametrize("message", [
    pytest.param("colour \x1b[31mred\x1b[0m", id="ansi-escape"),
    pytest.param("nul \x00 byte", id="nul"),
    pytest.param("bell \x07 and \ufffe", id="bell-nonchar"),
    pytest.param("<tag attr=\"x\"> & ]]>", id="markup"),
    pytest.param("line one\nline two\ttab", id="whitespace"),
])
def test_message_valid_xml(message):
    root = parse(Report(findings=[finding(message=message, resource="bad\x01name")], rules=dict(RULES)))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert "\x00" not in failure.get("message")
    assert "\x1b" not in failure.get("message")


def test_markup_round_trips():
    message = "<tag attr=\"x\"> & ]]>"
    root = parse(Report(findings=[finding(message=message)], rules=dict(RULES)))
    assert root.find("testsuite/testcase/failure").get("message") == message


def test_xml_text_escapes_control_characters():
    assert xml_text("a\x1bb") == "a\\x1bb"
    assert xml_text("tab\tnewline\n") == "tab\tnewline\n"


def test_error_never_pass():
    report = Report(findings=[finding(status=Status.ERROR)], rules=dict(RULES))
    case = parse(report).find("testsuite/testcase")
    assert case.find("error") is not None
