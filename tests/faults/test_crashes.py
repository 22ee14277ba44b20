"""A crashing collector, provider plugin or rule becomes a visible ERROR finding; --strict re-raises."""

from __future__ import annotations

import io

import pytest

from tests.faults.conftest import azure_options, gcp_options, scan
from tests.faults.estates import AZURE_SUBSCRIPTIONS, GCP_PROJECTS, build_azure, build_gcp
from tests.plugins.azure.azure_estate import Estate
from ztscan.hookspecs import hookimpl
from ztscan.model import Inventory, Status


def _statuses(report, rule_id: str) -> set[str]:
    return {f.status.value for f in report.findings if f.rule_id == rule_id}


def _messages(report, rule_id: str) -> list[str]:
    return [f.message for f in report.findings if f.rule_id == rule_id]


@pytest.fixture
def azure_malformed_storage(azure):
    """An estate whose storage account listing returns an item that is not an object, which crashes the collector."""
    build_azure(Estate(azure))
    azure.list_items(f"/subscriptions/{AZURE_SUBSCRIPTIONS[0]}/providers/Microsoft.Storage/storageAccounts").append(42)
    return azure


def test_azure_collector_crash_is_error(azure_malformed_storage):
    _, report = scan("azure", azure_options(azure_malformed_storage))
    crashed = [f for f in report.findings if f.rule_id == "ZT-DAT-001" and f.status is Status.ERROR]
    assert crashed
    assert all("CollectorCrashed" in f.message for f in crashed)
    assert "PASS" in _statuses(report, "ZT-DAT-007")
    assert report.incomplete


def test_azure_collector_crash_strict_raises(azure_malformed_storage):
    with pytest.raises(TypeError):
        scan("azure", azure_options(azure_malformed_storage), strict=True)


@pytest.fixture
def gcp_malformed_sql(gcp):
    build_gcp(gcp)
    gcp.set_list(f"/v1/projects/{GCP_PROJECTS[0]}/instances", [42], extra={"kind": "sql#instancesList"})
    return gcp


def test_gcp_collector_crash_is_error(gcp_malformed_sql):
    _, report = scan("gcp", gcp_options(gcp_malformed_sql))
    crashed = [f for f in report.findings if f.rule_id == "ZT-DAT-003" and f.status is Status.ERROR]
    assert crashed
    assert all("CollectorCrashed" in f.message and "AttributeError" in f.message for f in crashed)
    assert "FAIL" in _statuses(report, "ZT-IAM-010")
    assert report.incomplete


def test_gcp_collector_crash_strict_raises(gcp_malformed_sql):
    with pytest.raises(AttributeError):
        scan("gcp", gcp_options(gcp_malformed_sql), strict=True)


# -- third-party plugins -----------------------------------------------------------


class CrashingCloud:
    """A third-party provider whose collection raises."""

    name = "crashcloud"
    extra = "crashcloud"
    description = "a provider plugin that crashes"

    def add_arguments(self, parser) -> None:
        return None

    def collect(self, options, context) -> Inventory:
        raise RuntimeError("plugin bug: index out of range in the pager")

    def operations(self):
        return []


class CrashingCloudPlugin:
    @hookimpl
    def ztscan_providers(self):
        return [CrashingCloud()]


def _app_with(*plugins):
    from ztscan.app import App
    from ztscan.plugins import PluginManager

    manager = PluginManager()
    manager.load_entry_points()
    for name, plugin in plugins:
        manager.register(plugin, name)
    return App.create(out=io.StringIO(), err=io.StringIO(), plugins=manager)


def _run(app, provider: str, strict: bool = False):
    from ztscan.scan import ScanSettings, run_scan

    return run_scan(app, app.provider(provider), {}, ScanSettings(strict=strict))


def test_plugin_provider_crash_is_error():
    app = _app_with(("crashcloud", CrashingCloudPlugin()))
    _, report = _run(app, "crashcloud")
    assert report.findings
    assert {f.status for f in report.findings} == {Status.ERROR}
    assert all("plugin bug: index out of range" in f.message for f in report.findings)
    assert report.exit_code(None) == 3


def test_plugin_provider_crash_strict_raises():
    app = _app_with(("crashcloud", CrashingCloudPlugin()))
    with pytest.raises(RuntimeError, match="plugin bug"):
        _run(app, "crashcloud", strict=True)


def _crashing_rule():
    import dataclasses

    from ztscan.rules import all_rules

    def check(resource, index):
        raise KeyError("volume_type")

    template = next(rule for rule in all_rules() if rule.id == "ZT-DAT-002")
    return dataclasses.replace(template, check=check)


def test_rule_crash_is_error_and_strict_raises():
    from ztscan.engine import RuleCrash, evaluate
    from ztscan.model import Resource, Scope, Severity

    rule = _crashing_rule()
    inventory = Inventory(resources=[Resource("storage.volume", "vol-1", Scope("aws", "1", "us-east-1"), "vol-1",
                                              {"encrypted": True})])
    findings = evaluate(inventory, [rule], {rule.id: Severity.HIGH})
    assert [f.status for f in findings] == [Status.ERROR]
    assert "rule crashed: KeyError" in findings[0].message
    with pytest.raises(RuleCrash):
        evaluate(inventory, [rule], {rule.id: Severity.HIGH}, strict=True)


class EmptyCloud(CrashingCloud):
    """A third-party provider that collects nothing and succeeds."""

    name = "emptycloud"

    def collect(self, options, context) -> Inventory:
        return Inventory()


class BrokenRulesPlugin:
    """A third-party plugin that provides a working provider but whose rule hook raises."""

    @hookimpl
    def ztscan_providers(self):
        return [EmptyCloud()]

    @hookimpl
    def ztscan_rules(self):
        raise ImportError("cannot import name 'helper' from 'vendor_rules'")


def test_plugin_hook_crash_marks_incomplete():
    app = _app_with(("vendor", BrokenRulesPlugin()))
    _, report = _run(app, "emptycloud")
    failed = [record for record in report.scopes if record.state.value == "failed"]
    assert report.incomplete
    assert report.exit_code(None) == 3
    assert any("vendor" in record.reason and "cannot import name" in record.reason for record in failed)


def test_plugin_hook_crash_strict_raises():
    app = _app_with(("vendor", BrokenRulesPlugin()))
    app.strict = True
    with pytest.raises(ImportError):
        _run(app, "emptycloud", strict=True)
