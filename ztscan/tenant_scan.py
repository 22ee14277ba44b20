"""Scan one tenant: collect each of its targets within the shared API budget, then evaluate and build its report.

Concurrency model
-----------------
Tenants run in a pool of ``--max-tenants-concurrency`` threads. Each cloud
(aws, azure, gcp) has its own budget of ``--max-api-concurrency`` concurrent
API calls, shared by every tenant through one :class:`RequestSlots` per cloud:
every provider call takes a slot for the time of the call. At most ``slots``
targets of a cloud collect at once (a semaphore per cloud), where ``slots =
min(tenants concurrency, api concurrency)``, and each may use up to the whole
budget (``workers_per_target``). A tenant running alone, or the last tenants
of a run, therefore use the calls the others leave idle, and the calls in
flight against one cloud never exceed the budget. Waiting calls are woken in
about the order they began to wait (see RequestSlots), so every running tenant
keeps getting slots.

A provider takes the slots in its one place of API calls: per request for AWS,
and per call (a whole listing, page after page) for Azure and GCP.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from ztscan.app import App
from ztscan.model import Inventory, ScopeState
from ztscan.provider import CollectContext, ConfigurationError, RequestSlots
from ztscan.report import Report
from ztscan.rules.base import Rule
from ztscan.scan import collect, evaluate_inventory, utc_now
from ztscan.tenant_targets import (
    HubSessions,
    Target,
    TargetFailed,
    expand_targets,
    failed_inventory,
    resolve_options,
)
from ztscan.tenants import CLOUDS, Tenant

log = logging.getLogger(__name__)

#: Tenant status values, worst first.
STATUS_ERROR = "error"
STATUS_INCOMPLETE = "incomplete"
STATUS_COMPLETE = "complete"


class ApiBudget:
    """The per-cloud bound on concurrent API calls across all tenants (see the module documentation)."""

    def __init__(self, max_api_concurrency: int, max_tenants_concurrency: int):
        self.slots = max(1, min(max_tenants_concurrency, max_api_concurrency))
        self.workers_per_target = max(1, max_api_concurrency)
        self._semaphores = {cloud: threading.BoundedSemaphore(self.slots) for cloud in CLOUDS}
        #: The API calls in flight against each cloud, over all tenants.
        self.requests = {cloud: RequestSlots(max_api_concurrency) for cloud in CLOUDS}

    @contextmanager
    def slot(self, cloud: str) -> Iterator[None]:
        semaphore = self._semaphores[cloud]
        with semaphore:
            yield


@dataclass
class TenantPlan:
    """The app, rules, catalogues and limits that every tenant scan of one run shares."""

    app: App
    rules: Sequence[Rule]
    catalogues: Sequence[Any]
    budget: ApiBudget
    tenant_timeout: float
    #: Hub sessions shared by every tenant of the run that is entered with the same AWS profile.
    hubs: HubSessions = field(default_factory=HubSessions)


@dataclass
class TenantOutcome:
    tenant: Tenant
    report: Report
    status: str
    #: One entry per target: cloud, account, state (scanned or failed) and the failure message.
    targets: list[dict[str, Any]] = field(default_factory=list)
    duration: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [target["message"] for target in self.targets if target["state"] == "failed"]


def scan_tenant(tenant: Tenant, plan: TenantPlan) -> TenantOutcome:
    """Collect every target of ``tenant`` and return its evaluated report.

    A failing target (denied role, missing secret, crashed collector) becomes ERROR
    for that target instead of an exception, so one tenant never stops the others.
    """
    began = time.monotonic()
    deadline = began + plan.tenant_timeout
    inventory = Inventory(started_at=utc_now())
    records: list[dict[str, Any]] = []
    targets: list[Target] = []
    for cloud, entry in tenant.entries():
        try:
            targets.extend(expand_targets(tenant, cloud, entry, plan.hubs))
        except TargetFailed as failure:
            _record_failure(inventory, records, cloud, failure)
        except ConfigurationError as exc:  # for example a cloud SDK that is not installed
            _record_failure(inventory, records, cloud, TargetFailed(
                _unknown_scope(cloud), "ztscan", "configure", "ConfigurationError", str(exc)))
        except Exception as exc:  # a bug while entering one entry: that entry's ERROR, the others go on
            log.exception("tenant %s: preparing the %s entry crashed", tenant.name, cloud)
            _record_failure(inventory, records, cloud, TargetFailed(
                _unknown_scope(cloud), "ztscan", "configure", type(exc).__name__, f"ztscan crashed: {exc}"))

    if targets:
        workers = max(1, min(len(targets), plan.budget.slots))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ztscan-{tenant.name}") as pool:
            results = list(pool.map(lambda target: _collect_target(target, plan, deadline), targets))
        for part, record in results:
            inventory.extend(part)
            records.append(record)
    inventory.finished_at = utc_now()

    metadata = {"tenant": tenant.name, "tenant_description": tenant.description,
                "provider": "+".join(sorted({record["cloud"] for record in records})) or "none",
                "targets": records}
    report = evaluate_inventory(plan.app, inventory, plan.rules, metadata)
    if plan.catalogues:
        from ztscan.controls import build_matrix

        build_matrix(report, plan.catalogues)
    scanned = any(record.state is ScopeState.SCANNED for record in inventory.scopes)
    if not scanned:
        status = STATUS_ERROR
    elif report.incomplete:
        status = STATUS_INCOMPLETE
    else:
        status = STATUS_COMPLETE
    outcome = TenantOutcome(tenant, report, status, records, time.monotonic() - began)
    label = f"tenant {tenant.name!r}"
    for message in outcome.errors:
        # Quoted: a name ending in "secret" or "token", then a colon, would look like a leak to redact().
        # Messages about the tenants file already start with the same label.
        log.warning("%s", message if message.startswith(label) else f"{label}: {message}")
    return outcome


def crashed_outcome(tenant: Tenant, plan: TenantPlan, exc: BaseException) -> TenantOutcome:
    """Return the outcome of a tenant whose scan crashed outside any target: every rule ERROR, status error."""
    message = f"ztscan crashed while scanning this tenant: {type(exc).__name__}: {exc}"
    cloud = tenant.entries()[0][0] if tenant.entries() else "aws"
    failure = TargetFailed(_unknown_scope(cloud), "ztscan", "scan", type(exc).__name__, message)
    inventory = failed_inventory(failure)
    inventory.started_at = inventory.finished_at = utc_now()
    records = [{"cloud": failure.scope.provider, "account": failure.scope.account, "state": "failed",
                "code": failure.code, "message": message}]
    metadata = {"tenant": tenant.name, "tenant_description": tenant.description, "provider": failure.scope.provider,
                "targets": records}
    report = evaluate_inventory(plan.app, inventory, plan.rules, metadata)
    if plan.catalogues:
        from ztscan.controls import build_matrix

        build_matrix(report, plan.catalogues)
    return TenantOutcome(tenant, report, STATUS_ERROR, records)


def _unknown_scope(cloud: str) -> Any:
    from ztscan.model import GLOBAL, Scope

    return Scope(cloud, "unknown", GLOBAL)


def _record_failure(inventory: Inventory, records: list[dict[str, Any]], cloud: str, failure: TargetFailed) -> None:
    inventory.extend(failed_inventory(failure))
    records.append({"cloud": cloud, "account": failure.scope.account, "state": "failed",
                    "code": failure.code, "message": failure.message})


def _collect_target(target: Target, plan: TenantPlan, deadline: float) -> tuple[Inventory, dict[str, Any]]:
    """Collect one target inside its cloud's budget; return its inventory and a record of how it went."""
    record: dict[str, Any] = {"cloud": target.cloud, "account": target.account, "state": "scanned",
                              "code": "", "message": ""}
    with plan.budget.slot(target.cloud):
        try:
            if time.monotonic() >= deadline:
                raise TargetFailed(target.scope(), "ztscan", "collect", "DeadlineExceeded",
                                   "the tenant's time limit (--tenant-timeout) passed before this target started")
            options = resolve_options(target)
            provider = plan.app.provider(target.cloud)
            context = CollectContext(deadline=deadline, max_workers=plan.budget.workers_per_target,
                                     request_slots=plan.budget.requests[target.cloud])
            inventory = collect(provider, options, context)
        except TargetFailed as failure:
            record.update(state="failed", code=failure.code, message=failure.message)
            return failed_inventory(failure), record
        except ConfigurationError as exc:
            # Inside one tenant, a configuration problem (expired credential, unknown profile,
            # unreadable key file) concerns that target only.
            failure = TargetFailed(target.scope(), target.cloud, "collect", "ConfigurationError", str(exc))
            record.update(state="failed", code=failure.code, message=failure.message)
            return failed_inventory(failure), record
        except Exception as exc:  # a crash while entering the target (an invalid endpoint, a bug): its ERROR only
            log.exception("entering %s crashed", target.describe())
            failure = TargetFailed(target.scope(), "ztscan", "prepare", type(exc).__name__,
                                   f"entering {target.describe()} failed: {type(exc).__name__}: {exc}")
            record.update(state="failed", code=failure.code, message=failure.message)
            return failed_inventory(failure), record
    account = inventory.metadata.get("account") or inventory.metadata.get("tenant_id")
    if account:
        record["account"] = str(account)
    if any(scope.state is ScopeState.FAILED for scope in inventory.scopes):
        record["state"] = "incomplete"
    return inventory, record
