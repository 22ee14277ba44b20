"""Sweep over the shipped catalogues and every rule mapping in mappings/rules.yaml."""

from __future__ import annotations

import re

import pytest

from ztscan.controls import load_catalogues, read_builtin_catalogues
from ztscan.rulecatalogue import load_rule_catalogue, mappings_path

CITATION = re.compile(r"^164\.3[0-9]{2}(\([0-9a-zA-Z]+\))+$")
PILLARS = ["identity", "devices", "networks", "applications-workloads", "data",
           "visibility-analytics", "automation-orchestration", "governance"]


@pytest.fixture(scope="module")
def rules():
    if not mappings_path("rules.yaml").is_file():
        pytest.skip("mappings/rules.yaml is not written yet")
    return load_rule_catalogue().rules


@pytest.fixture(scope="module")
def catalogues(rules):
    return {catalogue.id: catalogue for catalogue in load_catalogues(rule_catalogue=rules)}


@pytest.fixture(scope="module")
def raw():
    return {catalogue.id: catalogue for catalogue in read_builtin_catalogues()}


def test_citation_ids_valid(raw):
    for catalogue_id in ("hipaa", "nprm"):
        for control in raw[catalogue_id].controls:
            assert CITATION.match(control.id), f"{catalogue_id}: {control.id}"


def test_hipaa_types(raw):
    for control in raw["hipaa"].controls:
        assert control.type in ("standard", "required", "addressable"), control.id


def test_hipaa_no_ranges(raw):
    for control in raw["hipaa"].controls:
        assert "-" not in control.id, control.id
        assert "," not in control.id, control.id


EXPANDED = {
    "164.310(a)(2)(i)": "Contingency operations",
    "164.310(a)(2)(ii)": "Facility security plan",
    "164.310(a)(2)(iii)": "Access control and validation procedures",
    "164.310(a)(2)(iv)": "Maintenance records",
    "164.310(d)(2)(i)": "Disposal",
    "164.310(d)(2)(ii)": "Media re-use",
    "164.310(d)(2)(iii)": "Accountability",
    "164.310(d)(2)(iv)": "Data backup and storage",
}


@pytest.mark.parametrize("citation, name", EXPANDED.items(), ids=EXPANDED.keys())
def test_hipaa_range_expanded(raw, citation, name):
    assert raw["hipaa"].get(citation).name == name


def test_hipaa_addressable_types(raw):
    assert raw["hipaa"].get("164.310(d)(2)(iv)").type == "addressable"
    assert raw["hipaa"].get("164.310(d)(2)(i)").type == "required"
    assert raw["hipaa"].get("164.312(a)(2)(iv)").type == "addressable"


def test_hipaa_sections_present(raw):
    sections = {control.id.split("(")[0] for control in raw["hipaa"].controls}
    assert sections == {"164.308", "164.310", "164.312", "164.314", "164.316"}


def test_manual_controls_have_evidence(raw):
    for catalogue in raw.values():
        for control in catalogue.controls:
            if not control.assessable:
                assert control.evidence, f"{catalogue.id}: {control.id}"


def test_nprm_catalogue_status(raw):
    nprm = raw["nprm"]
    assert nprm.proposed is True
    assert nprm.status == "proposed, not final"
    assert "07/2027" in nprm.timeline


def test_nprm_controls_link_in_force(raw):
    in_force = raw["hipaa"].ids()
    for control in raw["nprm"].controls:
        links = control.replaces + control.extends
        assert links, control.id
        assert set(links) <= in_force, control.id
        assert control.requires, control.id


def test_zero_trust_ids(raw):
    assert [control.id for control in raw["zero-trust"].controls] == PILLARS


def test_no_hitrust_identifiers():
    for name in ("hipaa.yaml", "nprm.yaml", "zero-trust.yaml"):
        text = mappings_path("catalogues", name).read_text(encoding="utf-8")
        assert "HITRUST" not in text.upper(), name


def test_real_files_load(catalogues):
    assert set(catalogues) == {"hipaa", "nprm", "zero-trust"}


def test_rules_map_all_three(rules, catalogues):
    for rule_id, meta in rules.items():
        assert meta.hipaa, f"{rule_id} maps no HIPAA citation in force"
        assert meta.nprm, f"{rule_id} maps no proposed control"
        assert meta.pillar in catalogues["zero-trust"].ids(), rule_id


def test_rule_metadata(rules):
    for rule_id, meta in rules.items():
        assert meta.title, rule_id
        assert meta.severity, rule_id
        assert meta.coverage in ("partial", "full"), rule_id


def test_assessable_backed(catalogues):
    for catalogue in catalogues.values():
        for control in catalogue.controls:
            if control.assessable:
                assert control.rules or control.not_covered, f"{catalogue.id}: {control.id}"


def test_no_stale_not_covered(catalogues):
    for catalogue in catalogues.values():
        for control in catalogue.controls:
            assert not (control.rules and control.not_covered), (
                f"{catalogue.id}: {control.id} lists not_covered but rules {control.rules} map to it")


def test_builtin_loader_same_data():
    """The shipped mapping files load with libyaml when available; the data must not change with the loader."""
    import yaml

    from ztscan.controls import BUILTIN_CATALOGUES
    from ztscan.rulecatalogue import BUILTIN_LOADER

    files = [mappings_path("rules.yaml")] + [mappings_path("catalogues", name) for name in BUILTIN_CATALOGUES]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=BUILTIN_LOADER) == yaml.load(text, Loader=yaml.SafeLoader), path.name
