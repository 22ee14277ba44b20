"""The scan pipeline shared by ``ztscan scan``, ``ztscan demo`` and later ``evaluate``: collect, evaluate, report."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from ztscan import kinds
from ztscan.app import App
from ztscan.engine import evaluate
from ztscan.model import CollectionError, Inventory, Scope, ScopeRecord, ScopeState
from ztscan.provider import CollectContext, ConfigurationError, Provider
from ztscan.report import Report, build_report
from ztscan.rules.base import Rule

log = logging.getLogger(__name__)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class ScanSettings:
    """Options of the evaluate-and-report half of a scan, independent of the provider."""

    rule_patterns: list[str] | None = None
    timeout: float | None = None
    max_workers: int = 8
    strict: bool = False


def collect(provider: Provider, options: Mapping[str, Any], context: CollectContext) -> Inventory:
    """Run one provider's collection and make sure a crash becomes data, not a traceback.

    ConfigurationError (the user must fix something) propagates. Any other
    exception escaping the provider is turned into one failed scope whose
    collection errors cover every kind, so every rule reports ERROR.
    """
    started = utc_now()
    try:
        inventory = provider.collect(options, context)
    except ConfigurationError:
        raise
    except Exception as exc:
        if context.strict:
            raise
        log.error("provider %s crashed during collection: %s: %s", provider.name, type(exc).__name__, exc)
        scope = Scope(provider.name, str(options.get("account") or "unknown"))
        inventory = Inventory(
            errors=[
                CollectionError(scope, provider.name, "collect", "ProviderCrashed",
                                f"{type(exc).__name__}: {exc}", kind)
                for kind in kinds.KINDS
            ],
            scopes=[ScopeRecord(scope, ScopeState.FAILED, f"provider crashed: {type(exc).__name__}: {exc}")],
        )
    inventory.started_at = inventory.started_at or started
    inventory.finished_at = inventory.finished_at or utc_now()
    return inventory


def evaluate_inventory(app: App, inventory: Inventory, rules: Sequence[Rule],
                       metadata: Mapping[str, Any] | None = None, strict: bool = False) -> Report:
    """Evaluate rules over an inventory and build the report, control matrix included."""
    severities = {rule.id: app.catalogue[rule.id].severity for rule in rules}
    findings = evaluate(inventory, rules, severities, strict=strict)
    for failure in app.hook_failures:
        # A plugin whose hook raised may have lost rules or providers, so the result is incomplete.
        reason = f"plugin {failure.plugin} failed in {failure.hook}: {failure.error}"
        inventory.scopes.append(ScopeRecord(Scope("ztscan", f"plugin:{failure.plugin}"), ScopeState.FAILED, reason))
    used = {rule.id: app.catalogue[rule.id] for rule in rules}
    run_metadata = {"rules_evaluated": len(rules), "rules_installed": len(app.rules),
                    **inventory.metadata, **(metadata or {})}
    return build_report(inventory, findings, used, run_metadata)


def run_scan(app: App, provider: Provider, options: Mapping[str, Any], settings: ScanSettings,
             metadata: Mapping[str, Any] | None = None) -> tuple[Inventory, Report]:
    """Collect one target with ``provider`` and evaluate the selected rules over it."""
    rules = app.select_rules(settings.rule_patterns)
    deadline = time.monotonic() + settings.timeout if settings.timeout else None
    context = CollectContext(deadline=deadline, max_workers=settings.max_workers, strict=settings.strict)
    log.info("collecting %s inventory", provider.name)
    began = time.monotonic()
    inventory = collect(provider, options, context)
    log.info("collected %d resources and %d collection errors in %.1f s",
             len(inventory.resources), len(inventory.errors), time.monotonic() - began)
    report = evaluate_inventory(app, inventory, rules, {"provider": provider.name, **(metadata or {})},
                                strict=settings.strict)
    return inventory, report
