"""Plugin discovery: built-ins come through entry points, and one broken plugin never stops the rest."""

from __future__ import annotations

import io
from importlib import metadata

import pytest

from ztscan.app import App
from ztscan.hookspecs import hookimpl
from ztscan.model import passed
from ztscan.plugins import ENTRY_POINT_GROUP, PluginManager, load_plugins
from ztscan.provider import ConfigurationError
from ztscan.rules.base import rule


def make_app(*plugins: tuple[str, object], entry_points: bool = True) -> App:
    manager = PluginManager()
    if entry_points:
        manager.load_entry_points()
    for name, plugin in plugins:
        manager.register(plugin, name)
    return App.create(out=io.StringIO(), err=io.StringIO(), plugins=manager)


def test_builtins_register_through_entry_points():
    names = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert {"aws", "rules", "reporters"} <= names
    manager = load_plugins()
    loaded = {status.name for status in manager.statuses if status.loaded}
    assert {"aws", "rules", "reporters"} <= loaded


def test_broken_entry_point_is_recorded_and_others_load():
    broken = metadata.EntryPoint(name="broken", value="ztscan_no_such_module.plugin", group=ENTRY_POINT_GROUP)
    good = metadata.EntryPoint(name="rules", value="ztscan.rules.plugin", group=ENTRY_POINT_GROUP)
    manager = PluginManager()
    manager.load_entry_points([broken, good])
    statuses = {status.name: status for status in manager.statuses}
    assert statuses["broken"].loaded is False
    assert "ModuleNotFoundError" in statuses["broken"].error
    assert statuses["rules"].loaded is True


class CrashingProvider:
    @hookimpl
    def ztscan_providers(self):
        raise RuntimeError("cannot start")


def test_crashing_hook_is_isolated():
    app = make_app(("crasher", CrashingProvider()))
    assert "aws" in app.providers
    assert [(f.plugin, f.hook) for f in app.hook_failures] == [("crasher", "ztscan_providers")]


def test_crashing_hook_raises_in_strict_mode():
    app = make_app(("crasher", CrashingProvider()))
    app.strict = True
    with pytest.raises(RuntimeError):
        _ = app.providers


@rule("ZT-NOPE-001", "storage.volume", facts=("encrypted",))
def uncatalogued(resource, index):
    return passed("ok")


class UncataloguedRules:
    @hookimpl
    def ztscan_rules(self):
        return [uncatalogued]


def test_rule_without_catalogue_entry_is_rejected():
    app = make_app(("extra", UncataloguedRules()))
    with pytest.raises(ConfigurationError, match="ZT-NOPE-001 from plugin extra has no entry"):
        _ = app.rules


class DuplicateRules:
    @hookimpl
    def ztscan_rules(self):
        from ztscan.rules import all_rules

        return [next(iter(all_rules()))]


def test_duplicate_rule_id_is_rejected():
    app = make_app(("copycat", DuplicateRules()))
    with pytest.raises(ConfigurationError, match="rule ids must be unique"):
        _ = app.rules


def test_unknown_rule_pattern_is_rejected():
    app = make_app()
    with pytest.raises(ConfigurationError, match="matches no rule"):
        app.select_rules(["ZT-NOTHING-*"])
