"""The application object: loaded plugins, and the providers, rules and reporters they contribute.

Each plugin's hook implementation is called on its own, so one broken plugin is
recorded with its error and the others still contribute.
"""

from __future__ import annotations

import fnmatch
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from ztscan.plugins import PluginManager, load_plugins
from ztscan.provider import ConfigurationError, Provider
from ztscan.reporters.base import Reporter
from ztscan.rulecatalogue import RuleCatalogue, load_rule_catalogue
from ztscan.rules.base import Rule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HookFailure:
    plugin: str
    hook: str
    error: str


@dataclass
class App:
    plugins: PluginManager
    out: TextIO
    err: TextIO
    #: Re-raise exceptions from plugins instead of recording them (``--strict``).
    strict: bool = False
    hook_failures: list[HookFailure] = field(default_factory=list)

    @classmethod
    def create(cls, out: TextIO, err: TextIO, strict: bool = False,
               plugins: PluginManager | None = None) -> "App":
        return cls(plugins=plugins or load_plugins(), out=out, err=err, strict=strict)

    def call_each(self, hook_name: str) -> list[tuple[str, Any]]:
        """Call one hook plugin by plugin and return (plugin name, item) pairs.

        A plugin whose implementation raises is recorded in ``hook_failures``
        (and logged), unless ``strict`` is set.
        """
        caller = getattr(self.plugins.hook, hook_name)
        items: list[tuple[str, Any]] = []
        for impl in caller.get_hookimpls():
            try:
                result = impl.function()
            except Exception as exc:  # isolate third-party plugins from each other
                if self.strict:
                    raise
                error = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %s failed in %s: %s", impl.plugin_name, hook_name, error)
                self.hook_failures.append(HookFailure(impl.plugin_name, hook_name, error))
                continue
            items.extend((impl.plugin_name, item) for item in result or ())
        return items

    # -- providers -------------------------------------------------------

    @cached_property
    def providers(self) -> dict[str, Provider]:
        providers: dict[str, Provider] = {}
        for plugin_name, provider in self.call_each("ztscan_providers"):
            if provider.name in providers:
                raise ConfigurationError(
                    f"plugin {plugin_name} registers provider {provider.name!r}, which another plugin "
                    "already registered; uninstall one of the two"
                )
            providers[provider.name] = provider
        return providers

    def provider(self, name: str) -> Provider:
        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(sorted(self.providers)) or "none"
            raise ConfigurationError(f"unknown provider {name!r}; installed providers: {known}") from None

    # -- rules -----------------------------------------------------------

    @cached_property
    def catalogue(self) -> RuleCatalogue:
        extra = [Path(path) for _, path in self.call_each("ztscan_rule_catalogues")]
        return load_rule_catalogue(extra)

    @cached_property
    def rules(self) -> list[Rule]:
        """Every registered rule, checked for unique ids and a catalogue entry."""
        rules: dict[str, tuple[str, Rule]] = {}
        for plugin_name, rule in self.call_each("ztscan_rules"):
            if rule.id in rules:
                raise ConfigurationError(
                    f"rule {rule.id} is registered by both plugin {rules[rule.id][0]} and plugin {plugin_name}; "
                    "rule ids must be unique"
                )
            if rule.id not in self.catalogue:
                raise ConfigurationError(
                    f"rule {rule.id} from plugin {plugin_name} has no entry in any rule catalogue; "
                    "add its title, severity and mappings to the plugin's catalogue file"
                )
            rules[rule.id] = (plugin_name, rule)
        return [rule for _, rule in rules.values()]

    def select_rules(self, patterns: list[str] | None) -> list[Rule]:
        """Return the rules whose id or name matches one of the glob patterns (all when none given)."""
        if not patterns:
            return self.rules
        selected = []
        for pattern in patterns:
            matches = [
                rule for rule in self.rules
                if fnmatch.fnmatchcase(rule.id, pattern.upper()) or fnmatch.fnmatchcase(self.catalogue[rule.id].name, pattern)
            ]
            if not matches:
                raise ConfigurationError(
                    f"--rules: {pattern!r} matches no rule id or name; run 'ztscan rules' to list them"
                )
            selected.extend(rule for rule in matches if rule not in selected)
        return selected

    def control_catalogues(self, extra_paths: list[str | Path] = ()) -> list[Any]:
        """Load the control catalogues: built-in ones, plugins' (each plugin isolated) and ``extra_paths``.

        Every file is validated against the catalogue schema and against the rule catalogue.
        """
        from ztscan.controls import load_catalogues

        plugin_paths = [Path(path) for _, path in self.call_each("ztscan_control_catalogues")]
        return load_catalogues([*plugin_paths, *extra_paths], rule_catalogue=self.catalogue)

    # -- reporters -------------------------------------------------------

    @cached_property
    def reporters(self) -> dict[str, Reporter]:
        reporters: dict[str, Reporter] = {}
        for plugin_name, reporter in self.call_each("ztscan_reporters"):
            if reporter.name in reporters:
                raise ConfigurationError(
                    f"plugin {plugin_name} registers output format {reporter.name!r} twice or over another plugin's"
                )
            reporters[reporter.name] = reporter
        return reporters

    def reporter(self, name: str) -> Reporter:
        try:
            return self.reporters[name]
        except KeyError:
            known = ", ".join(sorted(self.reporters))
            raise ConfigurationError(f"unknown output format {name!r}; choose one of: {known}") from None

