"""The Azure provider: options, subscription discovery and the collection of one tenant's estate."""

from __future__ import annotations

import argparse
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from ztscan.model import GLOBAL, CollectionError, Inventory, Scope, ScopeRecord, ScopeState
from ztscan.provider import ApiOperation, CollectContext, ConfigurationError, split_list

log = logging.getLogger(__name__)

SUBSCRIPTIONS_API_VERSION = "2022-12-01"

SUBSCRIPTIONS_OPERATION = ApiOperation(
    "resources", "subscriptions.list", "Microsoft.Resources/subscriptions/read",
    "subscriptions the credential can see, with their tenant and state",
)

#: The kinds each collector produces; a collector that crashes leaves these incomplete.
COLLECTOR_KINDS = {
    "network": ("network.firewall", "network", "network.subnet", "network.public_ip"),
    "compute": ("compute.instance", "storage.volume"),
    "storage": ("storage.bucket",),
    "sql": ("database", "network.firewall"),
    "keyvault": ("crypto.vault", "crypto.key"),
    "monitor": ("audit.trail",),
    "identity": ("identity.tenant_policy", "identity.user"),
}
ARM_KINDS = tuple(dict.fromkeys(kind for name, kinds in COLLECTOR_KINDS.items() if name != "identity"
                                for kind in kinds))
#: Facts of other collectors' kinds that a collector supplies, and that a crash of it leaves missing.
COLLECTOR_FACTS = {
    "network": (("compute.instance", ("public_ips", "firewall_ids", "network_id", "subnet_id")),),
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class AzureProvider:
    """Collects an Azure tenant: its subscriptions through ARM and its identities through Microsoft Graph."""

    name = "azure"
    extra = "azure"
    description = "Azure subscriptions (ARM) and the Entra ID tenant (Microsoft Graph)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("Azure options")
        group.add_argument("--tenant-id", help="Entra ID tenant id (default: the tenant of the subscriptions)")
        group.add_argument("--client-id", help="application (client) id of the service principal")
        group.add_argument("--client-secret-env", metavar="VAR",
                           help="name of the environment variable that contains the client secret")
        group.add_argument("--certificate-path", metavar="PATH",
                           help="PEM or PFX certificate of the service principal")
        group.add_argument("--subscriptions", metavar="IDS",
                           help="comma-separated subscription ids (default: every subscription the credential can see)")
        group.add_argument("--cloud", choices=("public", "usgov", "china"), default="public",
                           help="Azure cloud whose endpoints to use (default: public)")
        group.add_argument("--arm-endpoint", metavar="URL", help="Azure Resource Manager endpoint, overriding --cloud")
        group.add_argument("--graph-endpoint", metavar="URL", help="Microsoft Graph endpoint, overriding --cloud")
        group.add_argument("--authority-host", metavar="URL", help="Entra ID sign-in endpoint, overriding --cloud")
        group.add_argument("--ca-bundle", metavar="PATH",
                           help="PEM file of CA certificates to trust for Azure endpoints (for a TLS-inspecting proxy)")
        group.add_argument("--max-retries", type=int, metavar="N", default=4,
                           help="retries of a throttled or failed request (default: 4)")
        group.add_argument("--max-retry-wait", type=float, metavar="SECONDS", default=60.0,
                           help="maximum wait in seconds that a Retry-After header can impose (default: 60)")

    def operations(self) -> list[ApiOperation]:
        from ztscan_azure import compute, graph, keyvault, monitor, network, sql, storage

        result = [SUBSCRIPTIONS_OPERATION]
        for module in (network, compute, storage, sql, keyvault, monitor, graph):
            result.extend(module.OPS.values())
        return result

    def permission_policy(self) -> dict[str, Any]:
        """Return a custom Azure role definition with every ARM action a scan uses, and the Graph permissions.

        The role definition goes to ``az role definition create``; replace the
        placeholder subscription in ``AssignableScopes``. The Graph permissions are
        application permissions to grant to the service principal, with admin consent.
        """
        operations = self.operations()
        return {
            "roleDefinition": {
                "Name": "ztscan reader",
                "IsCustom": True,
                "Description": "Read-only access for ztscan scans of network, compute, storage, SQL, Key Vault "
                               "and Activity Log settings",
                "Actions": sorted({op.permission for op in operations if op.service != "graph"}),
                "NotActions": [],
                "DataActions": [],
                "NotDataActions": [],
                "AssignableScopes": ["/subscriptions/00000000-0000-0000-0000-000000000000"],
            },
            "microsoftGraphApplicationPermissions": sorted({op.permission for op in operations
                                                            if op.service == "graph"}),
        }

    def collect(self, options: Mapping[str, Any], context: CollectContext) -> Inventory:
        """Collect every chosen subscription in parallel and the tenant's identities, and return the inventory.

        Raise ConfigurationError for invalid options, a credential that gets no token,
        or a credential that can see no subscription. Every other failure is recorded
        in the inventory's errors.
        """
        try:
            import azure.core  # noqa: F401
            import azure.mgmt.network  # noqa: F401
        except ImportError as exc:
            from ztscan.provider import MissingDependencyError

            raise MissingDependencyError("azure", "azure", exc.name or "azure-mgmt-network") from None
        from ztscan_azure.arm import AzureSession, RetrySettings
        from ztscan_azure.clouds import resolve_cloud
        from ztscan_azure.credentials import build_credential, check_credential

        started = _now()
        cloud = resolve_cloud(options)
        verify = options.get("ca_bundle") or None
        if verify and not os.path.isfile(verify):
            raise ConfigurationError(f"--ca-bundle {verify!r} was not found; give a PEM file of CA certificates")
        max_retries = options.get("max_retries")
        max_wait = options.get("max_retry_wait")
        retry = options.get("retry") or RetrySettings(
            total=int(max_retries if max_retries is not None else RetrySettings.total),
            max_retry_after=float(max_wait if max_wait is not None else RetrySettings.max_retry_after),
        )
        if retry.total < 0 or retry.max_retry_after < 0:
            raise ConfigurationError("--max-retries and --max-retry-wait must be zero or more")
        credential, source = build_credential(options, cloud, verify)
        check_credential(credential, cloud)
        session = AzureSession(cloud, credential, retry, context, verify)

        inventory = Inventory(started_at=started)
        subscriptions, tenants = self._subscriptions(session, options, inventory)
        tenant_id = options.get("tenant_id") or (next(iter(tenants)) if len(tenants) == 1 else None)

        tasks: list[tuple[str, Callable[[], Inventory]]] = [
            (subscription_id, lambda s=subscription_id, n=display: self._collect_subscription(session, s, n))
            for subscription_id, display in subscriptions
        ]
        if tenant_id:
            tasks.append((f"tenant {tenant_id}", lambda: self._collect_tenant(session, tenant_id)))
        else:
            reason = "the tenant id is unknown (subscriptions of several tenants or none); pass --tenant-id"
            log.warning("identity collection skipped: %s", reason)
            inventory.scopes.append(ScopeRecord(Scope("azure", "unknown-tenant", GLOBAL), ScopeState.SKIPPED, reason))
            for kind in COLLECTOR_KINDS["identity"]:
                inventory.errors.append(CollectionError(Scope("azure", "unknown-tenant", GLOBAL), "graph",
                                                        "tenant", "TenantUnknown", reason, kind))

        workers = max(1, min(context.max_workers, len(tasks)))
        begin = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ztscan-azure") as pool:
            for part in pool.map(lambda task: task[1](), tasks):
                inventory.extend(part)
        log.debug("collected %d Azure resources and %d errors in %.2f s", len(inventory.resources),
                  len(inventory.errors), time.monotonic() - begin)
        inventory.finished_at = _now()
        inventory.metadata.update({
            "provider": "azure",
            "cloud": cloud.name,
            "credential": source,
            "tenant_id": tenant_id,
            "subscriptions": [subscription_id for subscription_id, _ in subscriptions],
        })
        return inventory

    def _subscriptions(self, session: Any, options: Mapping[str, Any],
                       inventory: Inventory) -> tuple[list[tuple[str, str]], set[str]]:
        """Return the (id, display name) pairs to scan and the tenant ids they belong to."""
        from ztscan_azure.arm import CallFailed, Recorder

        explicit = split_list(options.get("subscriptions"))
        tenant_scope = Scope("azure", options.get("tenant_id") or "all-subscriptions", GLOBAL)
        recorder = Recorder(session.context)
        params = {"api-version": SUBSCRIPTIONS_API_VERSION}
        try:
            visible = recorder.call(SUBSCRIPTIONS_OPERATION, lambda: session.rest("arm").list("subscriptions", params),
                                    tenant_scope, [("account", ())] + [(kind, ()) for kind in ARM_KINDS])
        except CallFailed:
            visible = None
        if visible is None:
            if explicit:
                # The named subscriptions are still scanned; their own calls show whether access works.
                return [(subscription_id, subscription_id) for subscription_id in explicit], set()
            inventory.scopes.append(ScopeRecord(tenant_scope, ScopeState.FAILED, "could not list subscriptions"))
            inventory.extend(recorder.inventory)
            return [], set()

        by_id = {str(item.get("subscriptionId", "")).lower(): item for item in visible}
        if not explicit:
            if not visible:
                raise ConfigurationError(
                    "the credential can see no Azure subscription; grant it the Reader role on a subscription "
                    "or pass --subscriptions"
                )
            chosen = []
            for item in visible:
                if str(item.get("state", "Enabled")) in ("Enabled", "PastDue", "Warned"):
                    chosen.append(item["subscriptionId"])
                else:
                    reason = f"subscription state is {item.get('state')}"
                    inventory.scopes.append(ScopeRecord(Scope("azure", item["subscriptionId"], GLOBAL),
                                                        ScopeState.SKIPPED, reason))
            explicit = chosen
        pairs, tenants = [], set()
        for subscription_id in explicit:
            item = by_id.get(subscription_id.lower())
            if item is None:
                scope = Scope("azure", subscription_id, GLOBAL)
                message = "the credential cannot see this subscription"
                recorder.record(scope, SUBSCRIPTIONS_OPERATION, "SubscriptionNotFound", message,
                                [("account", ())] + [(kind, ()) for kind in ARM_KINDS])
                inventory.scopes.append(ScopeRecord(scope, ScopeState.FAILED, message))
                continue
            pairs.append((item["subscriptionId"], item.get("displayName") or item["subscriptionId"]))
            if item.get("tenantId"):
                tenants.add(item["tenantId"])
        inventory.extend(recorder.inventory)
        return pairs, tenants

    def _run(self, name: str, recorder: Any, scope: Scope, collector: Callable[[], Any]) -> Any:
        """Run one collector; a crash becomes listing errors for the kinds it produces (unless strict)."""
        try:
            return collector()
        except Exception as exc:
            if recorder.context.strict:
                raise
            log.error("Azure %s collector crashed in %s: %s: %s", name, scope.label(), type(exc).__name__, exc)
            operation = ApiOperation(name, "collect", "")
            affects = [(kind, ()) for kind in COLLECTOR_KINDS[name]] + list(COLLECTOR_FACTS.get(name, ()))
            recorder.record(scope, operation, "CollectorCrashed", f"{type(exc).__name__}: {exc}", affects)
            return None

    def _collect_subscription(self, session: Any, subscription_id: str, display_name: str) -> Inventory:
        from ztscan_azure import compute, keyvault, monitor, network, sql, storage
        from ztscan_azure.arm import Recorder, subscription_scope
        from ztscan_azure.network import NetworkData

        recorder = Recorder(session.context)
        scope = subscription_scope(subscription_id)
        recorder.add("account", f"/subscriptions/{subscription_id}", scope, display_name,
                     {"display_name": display_name})
        data = self._run("network", recorder, scope, lambda: network.collect(session, recorder, subscription_id))
        self._run("compute", recorder, scope,
                  lambda: compute.collect(session, recorder, subscription_id, data or NetworkData()))
        self._run("storage", recorder, scope, lambda: storage.collect(session, recorder, subscription_id))
        self._run("sql", recorder, scope, lambda: sql.collect(session, recorder, subscription_id))
        self._run("keyvault", recorder, scope, lambda: keyvault.collect(session, recorder, subscription_id))
        self._run("monitor", recorder, scope, lambda: monitor.collect(session, recorder, subscription_id))
        recorder.inventory.scopes.append(ScopeRecord(scope, ScopeState.SCANNED))
        return recorder.inventory

    def _collect_tenant(self, session: Any, tenant_id: str) -> Inventory:
        from ztscan_azure import identity
        from ztscan_azure.arm import Recorder

        recorder = Recorder(session.context)
        scope = identity.tenant_scope(tenant_id)
        self._run("identity", recorder, scope, lambda: identity.collect(session, recorder, tenant_id))
        recorder.inventory.scopes.append(ScopeRecord(scope, ScopeState.SCANNED))
        return recorder.inventory
