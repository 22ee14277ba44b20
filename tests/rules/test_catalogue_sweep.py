"""Sweep over every built-in rule and its catalogue entry."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pytest
import yaml

from ztscan.kinds import KINDS, fact_names
from ztscan.model import MissingFact, Outcome, Resource, Scope
from ztscan.rulecatalogue import load_rule_catalogue, mappings_path
from ztscan.rules import all_rules
from ztscan.rules.base import InventoryIndex

RULES = list(all_rules())
CATALOGUE = load_rule_catalogue()
RULE_IDS = [rule.id for rule in RULES]
MODULE_PREFIX = {
    "identity": "ZT-IAM-", "network": "ZT-NET-", "compute": "ZT-CMP-", "data": "ZT-DAT-",
    "audit": "ZT-LOG-", "backup": "ZT-BAK-",
}


@lru_cache(maxsize=None)
def _control_ids(file_name: str) -> set[str]:
    data = yaml.safe_load(mappings_path("catalogues", file_name).read_text(encoding="utf-8"))
    return {str(control["id"]) for control in data["controls"]}


def test_rule_ids_unique():
    duplicates = [rule_id for rule_id, count in Counter(RULE_IDS).items() if count > 1]
    assert duplicates == []


def test_rule_names_unique():
    names = Counter(meta.name for meta in CATALOGUE.rules.values())
    assert [name for name, count in names.items() if count > 1] == []


def test_every_rule_in_catalogue():
    assert sorted(set(RULE_IDS) - set(CATALOGUE.rules)) == []


def test_every_catalogue_entry_has_rule():
    assert sorted(set(CATALOGUE.rules) - set(RULE_IDS)) == []


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_declared_facts_exist(rule):
    for kind, facts in rule.reads.items():
        assert kind in KINDS, f"{rule.id} reads unknown kind {kind}"
        unknown = sorted(set(facts) - fact_names(kind))
        assert unknown == [], f"{rule.id} declares facts {unknown} that {kind} does not have"


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_target_declared(rule):
    assert rule.target in rule.reads
    assert rule.reads[rule.target] or len(rule.reads) > 1, f"{rule.id} reads no facts at all"


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_first_fact_read_is_declared(rule):
    # With no facts collected, the first fact a rule reads must raise MissingFact, and
    # that fact must be one the rule declares for the target kind.
    empty = Resource(rule.target, "r-1", Scope("test", "acct"), facts={})
    try:
        result = rule.check(empty, InventoryIndex([empty]))
    except MissingFact as missing:
        assert missing.fact in rule.reads[rule.target]
    else:
        assert isinstance(result, Outcome)


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_id_matches_module(rule):
    module = rule.check.__module__.rsplit(".", 1)[-1]
    assert rule.id.startswith(MODULE_PREFIX[module])


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE.rules))
def test_catalogue_entry_complete(rule_id):
    meta = CATALOGUE[rule_id]
    assert re.fullmatch(r"ZT-[A-Z]{3}-\d{3}", rule_id)
    assert meta.severity is not None
    assert meta.hipaa, f"{rule_id} has no HIPAA citation"
    assert meta.nprm, f"{rule_id} has no proposed-rule citation"
    assert meta.remediation["default"]
    assert len(meta.title) < 120


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE.rules))
def test_pillar_known(rule_id):
    assert CATALOGUE[rule_id].pillar in _control_ids("zero-trust.yaml")


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE.rules))
def test_hipaa_citations_in_catalogue(rule_id):
    unknown = sorted(set(CATALOGUE[rule_id].hipaa) - _control_ids("hipaa.yaml"))
    assert unknown == []


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE.rules))
def test_nprm_citations_in_catalogue(rule_id):
    unknown = sorted(set(CATALOGUE[rule_id].nprm) - _control_ids("nprm.yaml"))
    assert unknown == []
