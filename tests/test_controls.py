"""Tests of ztscan.controls: loading, cross-validation and the control matrix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ztscan.controls import (
    Catalogue,
    Control,
    build_matrix,
    load_catalogues,
    read_builtin_catalogues,
    select_catalogues,
)
from ztscan.model import Finding, Scope, Severity, Status
from ztscan.provider import ConfigurationError
from ztscan.report import Report
from ztscan.rulecatalogue import RuleMeta, mappings_path

SCOPE = Scope("aws", "111122223333", "us-east-1")


def make_meta(rule_id: str, hipaa=(), nprm=(), pillar="identity", coverage="partial") -> RuleMeta:
    return RuleMeta(id=rule_id, name="test-rule", title="A test rule", severity=Severity.HIGH, pillar=pillar,
                    rationale="Because.", remediation={"default": "Fix it."}, hipaa=tuple(hipaa),
                    nprm=tuple(nprm), coverage=coverage, source="mappings/rules.yaml")


@pytest.fixture(scope="module")
def covering_rules() -> dict[str, RuleMeta]:
    """One synthetic rule per assessable built-in control, so every built-in control is backed."""
    rules: dict[str, RuleMeta] = {}
    catalogues = {catalogue.id: catalogue for catalogue in read_builtin_catalogues()}
    pillars = [c.id for c in catalogues["zero-trust"].controls if c.assessable]
    hipaa = [c.id for c in catalogues["hipaa"].controls if c.assessable]
    nprm = [c.id for c in catalogues["nprm"].controls if c.assessable]
    for number in range(max(len(hipaa), len(nprm), len(pillars))):
        rule_id = f"ZT-TST-{number:03d}"
        rules[rule_id] = make_meta(rule_id, hipaa=[hipaa[number % len(hipaa)]], nprm=[nprm[number % len(nprm)]],
                                   pillar=pillars[number % len(pillars)])
    return rules


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


USER_CATALOGUE = """\
    version: 1
    catalogue:
      id: acme-policy
      title: ACME cloud policy
      status: internal policy
    controls:
      - id: ACME-ID-1
        name: Console users use MFA
        type: control
        assessable: true
        rules: [ZT-TST-000]
      - id: ACME-HR-2
        name: Staff sign the acceptable use policy
        type: control
        assessable: false
        evidence: [Signed acceptable use forms]
"""


# -- loading ----------------------------------------------------------------


def test_builtin_order(covering_rules):
    catalogues = load_catalogues(rule_catalogue=covering_rules)
    assert [c.id for c in catalogues] == ["hipaa", "nprm", "zero-trust"]


def test_builtin_rules_resolved(covering_rules):
    hipaa = load_catalogues(rule_catalogue=covering_rules)[0]
    first = covering_rules["ZT-TST-000"].hipaa[0]
    assert "ZT-TST-000" in hipaa.get(first).rules


def test_nprm_controls_proposed(covering_rules):
    nprm = load_catalogues(rule_catalogue=covering_rules)[1]
    assert all(control.proposed for control in nprm.controls)
    assert all(control.label == "PROPOSED" for control in nprm.controls)


def test_user_catalogue_loads(tmp_path, covering_rules):
    path = write(tmp_path, USER_CATALOGUE)
    user = load_catalogues([path], covering_rules)[-1]
    assert user.id == "acme-policy"
    assert user.get("ACME-ID-1").rules == ("ZT-TST-000",)


BROKEN_CASES = {
    "unknown-rule": (USER_CATALOGUE.replace("ZT-TST-000", "ZT-NOPE-999"),
                     ["mine.yaml", "controls/0 (control ACME-ID-1)", "unknown rule id 'ZT-NOPE-999'", "ztscan rules"]),
    "duplicate-id": (USER_CATALOGUE.replace("ACME-HR-2", "ACME-ID-1"),
                     ["mine.yaml", "controls/1 (control ACME-ID-1)", "duplicate control id", "unique id"]),
    "missing-field": (USER_CATALOGUE.replace("        name: Console users use MFA\n", ""),
                      ["mine.yaml", "controls/0 (control ACME-ID-1)", "'name' is a required property",
                       "add the missing field"]),
    "invalid-yaml": ("version: 1\ncatalogue: [unclosed\n", ["mine.yaml", "invalid YAML", "line"]),
    "wrong-type": (USER_CATALOGUE.replace("assessable: true", "assessable: yes please"),
                   ["mine.yaml", "controls/0/assessable (control ACME-ID-1)", "is not of type 'boolean'",
                    "change the value to true or false"]),
    "manual-no-evidence": (USER_CATALOGUE.replace("        evidence: [Signed acceptable use forms]\n", ""),
                           ["mine.yaml", "controls/1 (control ACME-HR-2)", "'evidence' is a required property"]),
    "assessable-no-rule": (USER_CATALOGUE.replace("        rules: [ZT-TST-000]\n", ""),
                           ["mine.yaml", "controls/0 (control ACME-ID-1)", "has no rule", "not_covered"]),
    "unknown-parent": (USER_CATALOGUE.replace("        type: control\n        assessable: false",
                                              "        type: control\n        parent: ACME-X\n        assessable: false"),
                       ["mine.yaml", "controls/1 (control ACME-HR-2)", "parent 'ACME-X'"]),
    "builtin-id-clash": (USER_CATALOGUE.replace("id: acme-policy", "id: hipaa"),
                         ["mine.yaml", "catalogue/id", "'hipaa' is already used", "choose another id"]),
    "rule-field": (USER_CATALOGUE.replace("status: internal policy", "status: internal policy\n      rule_field: hipaa"),
                   ["mine.yaml", "catalogue/rule_field", "rules:"]),
    "unknown-field": (USER_CATALOGUE.replace("type: control\n        assessable: true",
                                             "type: control\n        colour: red\n        assessable: true"),
                      ["mine.yaml", "control ACME-ID-1", "'colour' was unexpected", "remove or rename"]),
}


@pytest.mark.parametrize("text, expected", BROKEN_CASES.values(), ids=BROKEN_CASES.keys())
def test_broken_catalogue(tmp_path, covering_rules, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as info:
        load_catalogues([path], covering_rules)
    for part in expected:
        assert part in str(info.value)


def test_empty_file(tmp_path, covering_rules):
    path = write(tmp_path, "")
    with pytest.raises(ConfigurationError, match="must be a YAML mapping"):
        load_catalogues([path], covering_rules)


def test_unreadable_file(tmp_path, covering_rules):
    with pytest.raises(ConfigurationError, match="cannot read control catalogue"):
        load_catalogues([tmp_path / "absent.yaml"], covering_rules)


def test_rule_unknown_citation(covering_rules):
    rules = dict(covering_rules)
    rules["ZT-BAD-001"] = make_meta("ZT-BAD-001", hipaa=["164.312(z)"], nprm=["164.312(b)"])
    with pytest.raises(ConfigurationError) as info:
        load_catalogues(rule_catalogue=rules)
    message = str(info.value)
    assert "mappings/rules.yaml" in message
    assert "rules/ZT-BAD-001/hipaa" in message
    assert "'164.312(z)'" in message
    assert "add the control" in message


def test_rule_unknown_pillar(covering_rules):
    rules = dict(covering_rules)
    rules["ZT-BAD-002"] = make_meta("ZT-BAD-002", hipaa=["164.312(d)"], pillar="endpoints")
    with pytest.raises(ConfigurationError, match="rules/ZT-BAD-002/pillar: 'endpoints'"):
        load_catalogues(rule_catalogue=rules)


def test_uncovered_builtin_reported():
    with pytest.raises(ConfigurationError) as info:
        load_catalogues(rule_catalogue={})
    assert "mappings/catalogues/hipaa.yaml" in str(info.value)
    assert "assessable control has no rule" in str(info.value)


def test_select_unknown_framework(covering_rules):
    catalogues = load_catalogues(rule_catalogue=covering_rules)
    with pytest.raises(ConfigurationError, match="choose one of: all, hipaa, nprm, zero-trust"):
        select_catalogues(catalogues, "hitrust")


def test_select_one_framework(covering_rules):
    chosen = select_catalogues(load_catalogues(rule_catalogue=covering_rules), "nprm")
    assert [c.id for c in chosen] == ["nprm"]


# -- the matrix -------------------------------------------------------------


def finding(rule_id: str, status: Status, resource: str = "r1", original: Status | None = None) -> Finding:
    return Finding(rule_id=rule_id, status=status, severity=Severity.HIGH, scope=SCOPE, resource_id=resource,
                   resource_kind="identity.user", resource_name=resource, message="m", original_status=original)


def matrix_catalogue(proposed: bool = False) -> Catalogue:
    controls = [
        Control(id="C-1", name="Assessed", type="control", assessable=True, rules=("ZT-A-001", "ZT-A-002"),
                proposed=proposed),
        Control(id="C-2", name="Manual", type="control", assessable=False, evidence=("A signed form",),
                rules=("ZT-A-001",), proposed=proposed),
        Control(id="C-3", name="Uncovered", type="control", assessable=True, not_covered="no data yet",
                proposed=proposed),
    ]
    return Catalogue(id="t", title="Test", status="test", source_file="t.yaml", controls=controls,
                     proposed=proposed, label="PROPOSED" if proposed else "")


def control_status(findings, control_id="C-1", proposed=False, rules=("ZT-A-001", "ZT-A-002")):
    report = Report(findings=list(findings), rules={rule_id: make_meta(rule_id) for rule_id in rules})
    matrix = build_matrix(report, [matrix_catalogue(proposed)])
    assert report.matrix is matrix
    return next(entry for entry in matrix["t"]["controls"] if entry["id"] == control_id)


MATRIX_CASES = {
    "one-fail": ([finding("ZT-A-001", Status.PASS), finding("ZT-A-002", Status.FAIL, "r2"),
                  finding("ZT-A-002", Status.ERROR, "r3")], "FAIL"),
    "error-no-fail": ([finding("ZT-A-001", Status.PASS), finding("ZT-A-002", Status.ERROR, "r2")], "INCOMPLETE"),
    "all-pass": ([finding("ZT-A-001", Status.PASS), finding("ZT-A-002", Status.PASS, "r2")], "PASS"),
    "no-findings": ([], "NOT_ASSESSED"),
    "only-not-applicable": ([finding("ZT-A-001", Status.NOT_APPLICABLE)], "NOT_ASSESSED"),
    "muted-fail": ([finding("ZT-A-001", Status.PASS),
                    finding("ZT-A-002", Status.MUTED, "r2", original=Status.FAIL)], "FAIL"),
    "muted-error": ([finding("ZT-A-001", Status.PASS),
                     finding("ZT-A-002", Status.MUTED, "r2", original=Status.ERROR)], "INCOMPLETE"),
    "unmapped-fail": ([finding("ZT-A-001", Status.PASS), finding("ZT-OTHER-001", Status.FAIL)], "PASS"),
}


@pytest.mark.parametrize("findings, expected", MATRIX_CASES.values(), ids=MATRIX_CASES.keys())
def test_matrix_status(findings, expected):
    assert control_status(findings)["status"] == expected


@pytest.mark.parametrize("findings", [[], [finding("ZT-A-001", Status.FAIL)], [finding("ZT-A-001", Status.ERROR)],
                                      [finding("ZT-A-001", Status.PASS)]], ids=["none", "fail", "error", "pass"])
def test_matrix_manual_stays_manual(findings):
    entry = control_status(findings, "C-2")
    assert entry["status"] == "MANUAL"
    assert entry["evidence"] == ["A signed form"]


def test_matrix_uncovered_reason():
    entry = control_status([finding("ZT-A-001", Status.PASS)], "C-3")
    assert entry["status"] == "NOT_ASSESSED"
    assert entry["not_covered"] == "no data yet"
    assert "no data yet" in entry["reason"]


def test_matrix_rule_not_evaluated():
    entry = control_status([finding("ZT-A-001", Status.FAIL)], rules=())
    assert entry["status"] == "NOT_ASSESSED"
    assert entry["rules_evaluated"] == []


def test_matrix_resource_counts():
    entry = control_status([
        finding("ZT-A-001", Status.PASS, "r1"), finding("ZT-A-002", Status.FAIL, "r1"),
        finding("ZT-A-001", Status.PASS, "r2"), finding("ZT-A-001", Status.ERROR, "r3"),
        finding("ZT-A-002", Status.NOT_APPLICABLE, "r4"),
        finding("ZT-A-002", Status.MUTED, "r5", original=Status.FAIL),
    ])
    assert entry["resources"] == {"pass": 1, "fail": 2, "error": 1, "not_applicable": 1}
    assert entry["muted"] == 1


def test_matrix_proposed_flag():
    entry = control_status([finding("ZT-A-001", Status.PASS)], proposed=True)
    assert entry["proposed"] is True
    assert entry["label"] == "PROPOSED"


def test_matrix_catalogue_header():
    report = Report(findings=[], rules={})
    matrix = build_matrix(report, [matrix_catalogue(proposed=True)])
    assert matrix["t"]["proposed"] is True
    assert matrix["t"]["summary"] == {"PASS": 0, "FAIL": 0, "INCOMPLETE": 0, "MANUAL": 1, "NOT_ASSESSED": 2}


def test_matrix_coverage_partial():
    entry = control_status([finding("ZT-A-001", Status.PASS)], rules=("ZT-A-001",))
    assert entry["coverage"] == "partial"
    assert "not evaluated" in entry["reason"]


# -- the ztscan controls command --------------------------------------------


def run_command(argv: list[str], plugin: object | None = None) -> tuple[int, str]:
    import argparse
    import io

    from ztscan.app import App
    from ztscan.commands import controls as command
    from ztscan.plugins import PluginManager

    if not mappings_path("rules.yaml").is_file():
        pytest.skip("mappings/rules.yaml is not written yet")
    parser = argparse.ArgumentParser(prog="ztscan")
    parser.add_argument("--controls", action="append", default=[])
    command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    plugins = PluginManager()
    if plugin is not None:
        plugins.register(plugin, "catalogue-plugin")
    app = App(plugins=plugins, out=out, err=io.StringIO())
    code = args.handler(args, app)
    return code, out.getvalue()


def test_command_table_marks_proposed():
    code, text = run_command(["controls", "--framework", "nprm"])
    assert code == 0
    assert "PROPOSED: HIPAA Security Rule proposed update" in text
    assert "[PROPOSED] Multi-factor authentication" in text
    assert "07/2027" in text


def test_command_json_all():
    import json

    code, text = run_command(["controls", "--format", "json"])
    data = json.loads(text)
    assert code == 0
    assert [catalogue["id"] for catalogue in data] == ["hipaa", "nprm", "zero-trust"]
    assert all(control["proposed"] for control in data[1]["controls"])


def test_command_user_catalogue(tmp_path):
    path = write(tmp_path, USER_CATALOGUE.replace("ZT-TST-000", "ZT-IAM-001"))
    code, text = run_command(["--controls", str(path), "controls", "--framework", "acme-policy"])
    assert code == 0
    assert "ACME-ID-1" in text
    assert "ZT-IAM-001" in text


def test_command_own_option(tmp_path):
    path = write(tmp_path, USER_CATALOGUE.replace("ZT-TST-000", "ZT-IAM-001"))
    code, text = run_command(["controls", "--controls", str(path), "--framework", "acme-policy"])
    assert code == 0
    assert "ACME-HR-2" in text


def test_command_plugin_catalogue(tmp_path):
    from ztscan.hookspecs import hookimpl

    path = write(tmp_path, USER_CATALOGUE.replace("ZT-TST-000", "ZT-IAM-001"))

    class CataloguePlugin:
        @hookimpl
        def ztscan_control_catalogues(self):
            return [path]

    code, text = run_command(["controls", "--framework", "acme-policy"], plugin=CataloguePlugin())
    assert code == 0
    assert "ACME-ID-1" in text


def test_crashing_catalogue_plugin_isolated():
    import io

    from ztscan.app import App
    from ztscan.hookspecs import hookimpl
    from ztscan.plugins import PluginManager

    class BrokenPlugin:
        @hookimpl
        def ztscan_control_catalogues(self):
            raise RuntimeError("catalogue plugin broke")

    plugins = PluginManager()
    plugins.load_entry_points()
    plugins.register(BrokenPlugin(), "broken-catalogues")
    app = App(plugins=plugins, out=io.StringIO(), err=io.StringIO())
    ids = [catalogue.id for catalogue in app.control_catalogues()]
    assert ids[:3] == ["hipaa", "nprm", "zero-trust"]
    assert [(f.plugin, f.hook) for f in app.hook_failures] == [("broken-catalogues", "ztscan_control_catalogues")]


def test_command_unknown_framework():
    with pytest.raises(ConfigurationError, match="unknown framework 'hitrust'"):
        run_command(["controls", "--framework", "hitrust"])
