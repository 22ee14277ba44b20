"""Suppression files: loading, validation errors and applying them to findings."""

from __future__ import annotations

import datetime
import logging
import textwrap

import pytest

from ztscan.model import Finding, Scope, Severity, Status
from ztscan.provider import ConfigurationError
from ztscan.report import Report
from ztscan.suppressions import load_suppressions

TODAY = datetime.date(2026, 6, 1)
KNOWN_RULES = {"ZT-DAT-001", "ZT-DAT-006", "ZT-IAM-001"}

YAML_FILE = """\
version: 1
suppressions:
  - id: public-site
    rule: ZT-DAT-006
    provider: aws
    account: "012345678901"
    region: us-east-1
    resource: "arn:aws:s3:::public-site-*"
    reason: Static website without PHI, reviewed by security
    owner: web-team@example.org
    expires: 2026-12-31
  - rule: ZT-IAM-001
    resource: break-glass
    reason: Break-glass user, hardware key kept in the safe
    owner: security@example.org
    expires: "2026-06-01"
"""

TOML_FILE = """\
version = 1

[[suppressions]]
id = "public-site"
rule = "ZT-DAT-006"
provider = "aws"
account = "012345678901"
region = "us-east-1"
resource = "arn:aws:s3:::public-site-*"
reason = "Static website without PHI, reviewed by security"
owner = "web-team@example.org"
expires = 2026-12-31

[[suppressions]]
rule = "ZT-IAM-001"
resource = "break-glass"
reason = "Break-glass user, hardware key kept in the safe"
owner = "security@example.org"
expires = "2026-06-01"
"""


def make_finding(rule_id="ZT-DAT-006", status=Status.FAIL, resource_id="arn:aws:s3:::public-site-www",
                 name="public-site-www", account="012345678901", region="us-east-1") -> Finding:
    return Finding(rule_id=rule_id, status=status, severity=Severity.HIGH, scope=Scope("aws", account, region),
                   resource_id=resource_id, resource_kind="storage.bucket", resource_name=name,
                   message="public access is not blocked")


def write(tmp_path, text, name="suppressions.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def entry_yaml(**fields) -> str:
    base = {"rule": "ZT-DAT-006", "reason": "accepted", "owner": "team", "expires": "2026-12-31"}
    base.update(fields)
    lines = ["suppressions:", "  - " + "\n    ".join(f"{k}: {v}" for k, v in base.items() if v is not None)]
    return "\n".join(lines) + "\n"


# -- loading -----------------------------------------------------------------


@pytest.mark.parametrize("name, text", [
    pytest.param("s.yaml", YAML_FILE, id="yaml"),
    pytest.param("s.yml", YAML_FILE, id="yml"),
    pytest.param("s.toml", TOML_FILE, id="toml"),
])
def test_load_formats(tmp_path, name, text):
    suppressions = load_suppressions(write(tmp_path, text, name), known_rule_ids=KNOWN_RULES)
    first, second = suppressions.entries
    assert first.id == "public-site"
    assert first.account == "012345678901"
    assert first.expires == datetime.date(2026, 12, 31)
    assert second.id is None
    assert second.provider == "*"
    assert second.expires == datetime.date(2026, 6, 1)


def test_empty_list_allowed(tmp_path):
    assert load_suppressions(write(tmp_path, "suppressions: []\n")).entries == []


@pytest.mark.parametrize("text, expected", [
    pytest.param("", "empty", id="empty-file"),
    pytest.param("suppressions: [\n", "invalid YAML at line", id="bad-yaml"),
    pytest.param("- a\n- b\n", "expected a mapping", id="top-level-list"),
    pytest.param("rules: []\n", "unknown top-level key 'rules'", id="unknown-top-key"),
    pytest.param("version: 2\nsuppressions: []\n", "unsupported suppression file version 2", id="version"),
    pytest.param("version: 1\n", "missing the 'suppressions' list", id="no-list"),
    pytest.param("suppressions: {a: 1}\n", "must be a list", id="list-type"),
    pytest.param("suppressions:\n  - just text\n", "entry 1: expected a mapping", id="entry-type"),
])
def test_malformed_file(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as caught:
        load_suppressions(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_toml_datetime_rejected(tmp_path):
    text = TOML_FILE.replace("expires = 2026-12-31", "expires = 2026-12-31T10:00:00Z")
    with pytest.raises(ConfigurationError, match="entry 1 .*date without a time"):
        load_suppressions(write(tmp_path, text, "s.toml"))


def test_toml_number_account_rejected(tmp_path):
    text = TOML_FILE.replace('account = "012345678901"', "account = 12345678901")
    with pytest.raises(ConfigurationError, match="entry 1 .*account must be a quoted string"):
        load_suppressions(write(tmp_path, text, "s.toml"))


def test_bad_toml(tmp_path):
    path = write(tmp_path, "[[suppressions]\nrule = 1\n", "s.toml")
    with pytest.raises(ConfigurationError, match="invalid TOML"):
        load_suppressions(path)


@pytest.mark.parametrize("fields, expected", [
    pytest.param(dict(reason=None), "missing required key 'reason'", id="no-reason"),
    pytest.param(dict(owner=None), "missing required key 'owner'", id="no-owner"),
    pytest.param(dict(expires=None), "missing required key 'expires'", id="no-expires"),
    pytest.param(dict(rule=None), "missing required key 'rule'", id="no-rule"),
    pytest.param(dict(colour="red"), "unknown key 'colour'", id="unknown-key"),
    pytest.param(dict(expires="2026-13-01"), "is not a valid date", id="bad-month"),
    pytest.param(dict(expires="next year"), "is not a valid date", id="words"),
    pytest.param(dict(expires="20261231"), "is not a valid date", id="compact"),
    pytest.param(dict(expires="2026-12-31T10:00:00"), "is not a valid date", id="datetime"),
    pytest.param(dict(account="012345670123"), "must be a quoted string", id="octal-account"),
    pytest.param(dict(account="123456789012"), "must be a quoted string", id="account-number"),
    pytest.param(dict(reason='""'), "reason must be a non-empty string", id="empty-reason"),
    pytest.param(dict(owner="true"), "owner must be a non-empty string", id="boolean-owner"),
])
def test_bad_entry(tmp_path, fields, expected):
    path = write(tmp_path, entry_yaml(**fields))
    with pytest.raises(ConfigurationError) as caught:
        load_suppressions(path)
    message = str(caught.value)
    assert str(path) in message
    assert "entry 1" in message
    assert expected in message


def test_bad_entry_names_id(tmp_path):
    path = write(tmp_path, entry_yaml(id="legacy", owner=None))
    with pytest.raises(ConfigurationError, match=r"entry 1 \(id 'legacy'\): missing required key 'owner'"):
        load_suppressions(path)


def test_duplicate_id(tmp_path):
    text = entry_yaml(id="same") + entry_yaml(id="same").replace("suppressions:\n", "")
    with pytest.raises(ConfigurationError, match="entry 2 .*already used by entry 1"):
        load_suppressions(write(tmp_path, text))


def test_unknown_rule_id(tmp_path):
    path = write(tmp_path, entry_yaml(rule="ZT-XXX-999"))
    with pytest.raises(ConfigurationError) as caught:
        load_suppressions(path, known_rule_ids=KNOWN_RULES)
    assert "entry 1" in str(caught.value)
    assert "ZT-XXX-999" in str(caught.value)
    assert "ztscan rules" in str(caught.value)


def test_rule_glob_matching_known_rule(tmp_path):
    suppressions = load_suppressions(write(tmp_path, entry_yaml(rule="ZT-DAT-*")), known_rule_ids=KNOWN_RULES)
    assert suppressions.entries[0].rule == "ZT-DAT-*"


def test_check_rule_ids_method(tmp_path):
    suppressions = load_suppressions(write(tmp_path, entry_yaml(rule="ZT-XXX-999")))
    with pytest.raises(ConfigurationError, match="matches no known rule id"):
        suppressions.check_rule_ids(KNOWN_RULES)


@pytest.mark.parametrize("name, expected", [
    pytest.param("missing.yaml", "not found", id="missing"),
    pytest.param("suppressions.json", "unsupported suppression file type '.json'", id="json"),
])
def test_bad_path(tmp_path, name, expected):
    with pytest.raises(ConfigurationError, match=expected):
        load_suppressions(tmp_path / name)


# -- applying ----------------------------------------------------------------


@pytest.fixture
def suppressions(tmp_path):
    return load_suppressions(write(tmp_path, YAML_FILE), known_rule_ids=KNOWN_RULES)


def test_apply_mutes_fail(suppressions):
    finding = make_finding()
    outcome = suppressions.apply([finding], TODAY)
    assert finding.status is Status.MUTED
    assert finding.original_status is Status.FAIL
    assert finding.suppression["reason"] == "Static website without PHI, reviewed by security"
    assert finding.suppression["owner"] == "web-team@example.org"
    assert finding.suppression["expires"] == "2026-12-31"
    assert finding.suppression["id"] == "public-site"
    assert finding.suppression["index"] == 1
    assert outcome.muted == [finding]


def test_apply_matches_resource_name(suppressions):
    finding = make_finding("ZT-IAM-001", resource_id="arn:aws:iam::012345678901:user/break-glass",
                           name="break-glass", region="global")
    suppressions.apply([finding], TODAY)
    assert finding.status is Status.MUTED
    assert finding.suppression["index"] == 2


@pytest.mark.parametrize("changes", [
    pytest.param(dict(account="999999999999"), id="other-account"),
    pytest.param(dict(region="eu-west-1"), id="other-region"),
    pytest.param(dict(resource_id="arn:aws:s3:::private-phi", name="private-phi"), id="other-resource"),
    pytest.param(dict(rule_id="ZT-DAT-001"), id="other-rule"),
])
def test_apply_no_match(suppressions, changes):
    finding = make_finding(**changes)
    suppressions.apply([finding], TODAY)
    assert finding.status is Status.FAIL
    assert finding.suppression is None


@pytest.mark.parametrize("status", [
    pytest.param(Status.ERROR, id="error"),
    pytest.param(Status.PASS, id="pass"),
    pytest.param(Status.NOT_APPLICABLE, id="not-applicable"),
])
def test_apply_only_mutes_fail(suppressions, status):
    finding = make_finding(status=status)
    suppressions.apply([finding], TODAY)
    assert finding.status is status
    assert finding.original_status is None


def test_error_keeps_scan_incomplete(suppressions):
    finding = make_finding(status=Status.ERROR)
    suppressions.apply([finding], TODAY)
    assert Report(findings=[finding], rules={}).incomplete


def test_muted_never_counted_as_pass(suppressions):
    finding = make_finding()
    suppressions.apply([finding], TODAY)
    counts = Report(findings=[finding], rules={}).status_counts()
    assert counts["PASS"] == 0
    assert counts["MUTED"] == 1
    assert finding.effective_status is Status.FAIL


def test_apply_on_expiry_day(suppressions):
    finding = make_finding("ZT-IAM-001", resource_id="break-glass", name="break-glass")
    outcome = suppressions.apply([finding], datetime.date(2026, 6, 1))
    assert finding.status is Status.MUTED
    assert outcome.expired == []


def test_expired_entry_stops_applying(suppressions, caplog):
    finding = make_finding("ZT-IAM-001", resource_id="break-glass", name="break-glass")
    with caplog.at_level(logging.WARNING, logger="ztscan.suppressions"):
        outcome = suppressions.apply([finding], datetime.date(2026, 6, 2))
    assert finding.status is Status.FAIL
    assert [entry.index for entry in outcome.expired] == [2]
    assert "entry 2 expired on 2026-06-01" in caplog.text


def test_unused_entry_warned(suppressions, caplog):
    with caplog.at_level(logging.WARNING, logger="ztscan.suppressions"):
        outcome = suppressions.apply([make_finding()], TODAY)
    assert [entry.index for entry in outcome.unused] == [2]
    assert "entry 2 matched no failing finding" in caplog.text


def test_entry_matching_only_passes_is_unused(suppressions):
    outcome = suppressions.apply([make_finding(status=Status.PASS)], TODAY)
    assert [entry.index for entry in outcome.unused] == [1, 2]


def test_entry_matching_only_errors_not_unused(suppressions):
    outcome = suppressions.apply([make_finding(status=Status.ERROR)], TODAY)
    assert [entry.index for entry in outcome.unused] == [2]


def test_first_matching_entry_recorded(tmp_path):
    text = entry_yaml(id="first") + entry_yaml(id="second").replace("suppressions:\n", "")
    suppressions = load_suppressions(write(tmp_path, text))
    finding = make_finding()
    outcome = suppressions.apply([finding], TODAY)
    assert finding.suppression["id"] == "first"
    assert outcome.unused == []


def test_outcome_to_dict(suppressions):
    outcome = suppressions.apply([make_finding()], datetime.date(2026, 7, 1))
    data = outcome.to_dict()
    assert data["muted"] == 1
    assert [entry["index"] for entry in data["expired"]] == [2]
    assert data["unused"] == []


def test_muted_finding_serializes(suppressions):
    finding = make_finding()
    suppressions.apply([finding], TODAY)
    restored = Finding.from_dict(finding.to_dict())
    assert restored.status is Status.MUTED
    assert restored.original_status is Status.FAIL
    assert restored.suppression == finding.suppression
