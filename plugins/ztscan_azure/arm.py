"""Shared plumbing of the Azure collectors: SDK clients, retries, error capture and ARM ids.

Every collector builds its clients through :class:`AzureSession`, so one retry
policy (a bounded number of retries and a capped ``Retry-After`` wait) applies
to every ARM and Graph request, and every failed call goes through
:meth:`Recorder.call`, which turns it into a :class:`CollectionError`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence, TypeVar

from ztscan.model import GLOBAL, CollectionError, Inventory, Resource, Scope
from ztscan.provider import ApiOperation, CollectContext

from ztscan_azure.clouds import AzureCloud

log = logging.getLogger(__name__)

PROVIDER = "azure"

T = TypeVar("T")


@dataclass(frozen=True)
class RetrySettings:
    """Retry limits shared by every ARM and Graph request of a scan."""

    total: int = 4
    backoff_factor: float = 0.8
    backoff_max: float = 30.0
    #: Maximum wait in seconds that a ``Retry-After`` header can impose. azure-core 1.41
    #: obeys the header with no upper limit, so an hour-long value would stall the scan.
    max_retry_after: float = 60.0
    connection_timeout: float = 20.0
    read_timeout: float = 60.0


def build_retry_policy(settings: RetrySettings, context: CollectContext) -> Any:
    """Return an azure-core RetryPolicy that caps ``Retry-After`` at ``settings.max_retry_after``."""
    from azure.core.pipeline.policies import RetryPolicy

    class CappedRetryPolicy(RetryPolicy):
        def get_retry_after(self, response: Any) -> float | None:
            requested = super().get_retry_after(response)
            if requested is None:
                return None
            if requested > settings.max_retry_after:
                log.debug("Retry-After of %.0f s capped at %.1f s", requested, settings.max_retry_after)
            return min(requested, settings.max_retry_after)

    kwargs: dict[str, Any] = {
        "retry_total": settings.total,
        "retry_backoff_factor": settings.backoff_factor,
        "retry_backoff_max": settings.backoff_max,
    }
    remaining = context.remaining()
    if remaining is not None:
        kwargs["timeout"] = max(1, int(remaining))
    return CappedRetryPolicy(**kwargs)


def build_deadline_policy(settings: RetrySettings, context: CollectContext) -> Any:
    """Return a per-attempt policy that shortens each request's timeouts to the time left before the deadline.

    The transport timeouts alone let a server that never responds hold a request
    for ``read_timeout`` seconds on every attempt, past the scan deadline.
    """
    from azure.core.exceptions import ServiceRequestError
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class DeadlinePolicy(SansIOHTTPPolicy):
        def on_request(self, request: Any) -> None:
            remaining = context.remaining()
            if remaining is None:
                return
            if remaining <= 0:
                raise ServiceRequestError("the scan deadline passed before this request was sent")
            request.context.options["connection_timeout"] = max(0.05, min(settings.connection_timeout, remaining))
            request.context.options["read_timeout"] = max(0.05, min(settings.read_timeout, remaining))

    return DeadlinePolicy()


@dataclass
class AzureSession:
    """Credential, endpoints and transport settings of one scan, and the factory of its clients."""

    cloud: AzureCloud
    credential: Any
    retry: RetrySettings
    context: CollectContext
    #: ``connection_verify`` for azure-core: a CA bundle path, or None for the system default.
    connection_verify: str | None = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def transport_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "retry_policy": build_retry_policy(self.retry, self.context),
            "per_retry_policies": [build_deadline_policy(self.retry, self.context)],
            "connection_timeout": self.retry.connection_timeout,
            "read_timeout": self.retry.read_timeout,
        }
        if self.connection_verify is not None:
            kwargs["connection_verify"] = self.connection_verify
        return kwargs

    def client(self, factory: Callable[..., T], subscription_id: str) -> T:
        """Return an azure-mgmt client of class ``factory`` for one subscription, built once per scan."""
        key = (f"{factory.__module__}.{factory.__qualname__}", subscription_id)
        if key not in self._clients:
            self._clients[key] = factory(
                self.credential,
                subscription_id,
                base_url=self.cloud.arm_endpoint,
                credential_scopes=[self.cloud.arm_scope],
                **self.transport_kwargs(),
            )
        return self._clients[key]

    def rest(self, kind: str) -> Any:
        """Return the JSON REST client for ``"arm"`` or ``"graph"`` (calls no azure-mgmt package covers)."""
        from ztscan_azure.rest import JsonClient

        # One client per thread, because a requests.Session is not documented as thread-safe.
        key = (f"rest-{threading.get_ident()}", kind)
        if key not in self._clients:
            if kind == "arm":
                endpoint, scope, link = self.cloud.arm_endpoint, self.cloud.arm_scope, "nextLink"
            else:
                endpoint, scope, link = self.cloud.graph_endpoint, self.cloud.graph_scope, "@odata.nextLink"
            self._clients[key] = JsonClient(endpoint, self.credential, scope, link, **self.transport_kwargs())
        return self._clients[key]


class CallFailed(Exception):
    """Raised inside a collector when a call failed and was recorded; the collector skips that piece."""


class Recorder:
    """The resources and collection errors of one scope being collected.

    ``affects`` arguments are ``(kind, facts)`` pairs: an empty ``facts`` tuple
    means the listing of ``kind`` itself failed.
    """

    def __init__(self, context: CollectContext):
        self.context = context
        self.inventory = Inventory()

    def add(self, kind: str, resource_id: str, scope: Scope, name: str, facts: dict[str, Any],
            tags: dict[str, Any] | None = None) -> Resource:
        clean_tags = {str(key): str(value) for key, value in (tags or {}).items()}
        return self.inventory.add(Resource(kind, resource_id, scope, name, facts, clean_tags))

    def record(self, scope: Scope, operation: ApiOperation, code: str, message: str,
               affects: Sequence[tuple[str, tuple[str, ...]]], resource_id: str | None = None) -> None:
        log.warning("%s.%s failed in %s%s: %s: %s", operation.service, operation.operation, scope.label(),
                    f" on {resource_id}" if resource_id else "", code, message)
        for kind, facts in affects:
            self.inventory.errors.append(CollectionError(
                scope=scope, service=operation.service, operation=operation.operation, code=code,
                message=message, kind=kind, facts=tuple(facts), resource_id=resource_id,
            ))

    def call(self, operation: ApiOperation, function: Callable[[], T], scope: Scope,
             affects: Sequence[tuple[str, tuple[str, ...]]], resource_id: str | None = None,
             not_found: Any = CallFailed) -> T:
        """Run ``function`` (which must finish the request, for example ``list(pager)``).

        A failure is recorded for every ``affects`` pair and raises
        :class:`CallFailed`. When ``not_found`` is given, a 404 returns it instead:
        for settings that simply do not exist on a resource.
        """
        from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

        if self.context.expired():
            self.record(scope, operation, "DeadlineExceeded", "the scan deadline passed before this call",
                        affects, resource_id)
            raise CallFailed(operation.operation)
        try:
            with self.context.request_slot():
                return function()
        except ResourceNotFoundError as exc:
            if not_found is not CallFailed:
                return not_found
            code, message = _describe(exc)
        except HttpResponseError as exc:
            code, message = _describe(exc)
        except AzureError as exc:
            # Connection failures, time-outs and retries exhausted without a response.
            code, message = type(exc).__name__, _first_line(exc)
        self.record(scope, operation, code, message, affects, resource_id)
        raise CallFailed(operation.operation)


def _first_line(exc: BaseException) -> str:
    from ztscan.redaction import redact

    text = redact(str(exc).strip())
    return (text.splitlines()[0] if text else type(exc).__name__)[:500]


def _describe(exc: Any) -> tuple[str, str]:
    """Return the ARM or Graph error code (or the HTTP status) and message of an HttpResponseError."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) if error is not None else None
    message = getattr(error, "message", None) if error is not None else None
    status = getattr(exc, "status_code", None)
    if not code:
        code = f"HTTP{status}" if status else type(exc).__name__
    from ztscan.redaction import redact

    return str(code), redact(str(message) if message else _first_line(exc))[:500]


def as_json(item: Any) -> dict[str, Any]:
    """Return the REST JSON shape of an azure-mgmt model (camelCase keys, nested ``properties``)."""
    if item is None:
        return {}
    if isinstance(item, dict):
        return item
    as_dict = getattr(item, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    return dict(item)


def props(item: dict[str, Any]) -> dict[str, Any]:
    return item.get("properties") or {}


def id_key(resource_id: str | None) -> str:
    """Return the comparison form of an ARM id: ARM ids are case-insensitive."""
    return (resource_id or "").rstrip("/").lower()


def id_part(resource_id: str, segment: str) -> str | None:
    """Return the value after ``segment`` in an ARM id, for example the resource group name."""
    parts = resource_id.strip("/").split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == segment.lower():
            return parts[index + 1]
    return None


def parent_id(resource_id: str, levels: int = 1) -> str:
    """Return the id ``levels`` child levels up: ``.../vnets/v/subnets/s`` gives ``.../vnets/v``."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[: len(parts) - 2 * levels])


def location_scope(subscription_id: str, location: str | None) -> Scope:
    region = (location or GLOBAL).replace(" ", "").lower() or GLOBAL
    return Scope(PROVIDER, subscription_id, region)


def subscription_scope(subscription_id: str) -> Scope:
    return Scope(PROVIDER, subscription_id, GLOBAL)


def each(items: Iterable[Any]) -> list[dict[str, Any]]:
    return [as_json(item) for item in items]
