"""Compute rules: metadata tokens, OS Login, serial console, Shielded VM, default service account scope."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import Inventory, Resource, Scope, Severity, Status
from ztscan.rules import compute

SCOPE = Scope("test", "acct", "region-1")


def instance(**facts):
    return Resource("compute.instance", "vm-1", SCOPE, name="vm-1", facts=facts)


CASES = [
    pytest.param(compute.instance_metadata_token, "metadata_token_required", True, Status.PASS, id="imdsv2-required"),
    pytest.param(compute.instance_metadata_token, "metadata_token_required", False, Status.FAIL, id="imdsv1-allowed"),
    pytest.param(compute.instance_metadata_token, "metadata_token_required", None, Status.NOT_APPLICABLE,
                 id="imds-no-setting"),
    pytest.param(compute.instance_os_login, "os_login", True, Status.PASS, id="os-login-on"),
    pytest.param(compute.instance_os_login, "os_login", False, Status.FAIL, id="os-login-off"),
    pytest.param(compute.instance_os_login, "os_login", None, Status.NOT_APPLICABLE, id="os-login-no-setting"),
    pytest.param(compute.instance_serial_port_disabled, "serial_port_enabled", False, Status.PASS, id="serial-off"),
    pytest.param(compute.instance_serial_port_disabled, "serial_port_enabled", True, Status.FAIL, id="serial-on"),
    pytest.param(compute.instance_serial_port_disabled, "serial_port_enabled", None, Status.NOT_APPLICABLE,
                 id="serial-no-setting"),
    pytest.param(compute.instance_shielded_vm, "shielded_vm", True, Status.PASS, id="shielded"),
    pytest.param(compute.instance_shielded_vm, "shielded_vm", False, Status.FAIL, id="not-shielded"),
    pytest.param(compute.instance_shielded_vm, "shielded_vm", None, Status.NOT_APPLICABLE, id="shielded-no-setting"),
    pytest.param(compute.instance_no_default_service_account_full_scope, "default_service_account_full_scope",
                 False, Status.PASS, id="dedicated-service-account"),
    pytest.param(compute.instance_no_default_service_account_full_scope, "default_service_account_full_scope",
                 True, Status.FAIL, id="default-sa-full-scope"),
    pytest.param(compute.instance_no_default_service_account_full_scope, "default_service_account_full_scope",
                 None, Status.NOT_APPLICABLE, id="no-service-accounts"),
]


@pytest.mark.parametrize(("rule", "fact", "value", "expected"), CASES)
def test_instance_rules(rule, fact, value, expected):
    outcome = rule.check(instance(**{fact: value}), None)
    assert outcome.status is expected


def test_imdsv1_message():
    outcome = compute.instance_metadata_token.check(instance(metadata_token_required=False), None)
    assert "IMDSv1 allowed" in outcome.message


def test_missing_metadata_fact_is_error():
    inventory = Inventory(resources=[instance()])
    [finding] = evaluate(inventory, [compute.instance_metadata_token], {"ZT-CMP-001": Severity.HIGH})
    assert finding.status is Status.ERROR
    assert "metadata_token_required" in finding.message
