"""The one place where ztscan calls AWS: pagination, the deadline, concurrency limits and error capture.

Collectors call :meth:`Target.call` and :meth:`Target.paginate`, which raise
:class:`ApiFailure` for any failed request. A collector catches it where it can tell
which kind and facts the failure leaves uncollected, and turns it into a
``CollectionError`` with :meth:`Target.record`.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from ztscan.model import CollectionError, Inventory, Resource, Scope
from ztscan.provider import CollectContext

from ztscan_aws.session import AwsSession, Identity

log = logging.getLogger(__name__)

PROVIDER = "aws"
DEADLINE_CODE = "DeadlineExceeded"

T = TypeVar("T")
R = TypeVar("R")


class ApiFailure(Exception):
    """An AWS API request that failed after botocore's retries, or was not sent because time ran out."""

    def __init__(self, service: str, operation: str, region: str, code: str, message: str):
        super().__init__(f"{service}.{operation} in {region}: {code}: {message}")
        self.service = service
        self.operation = operation
        self.region = region
        self.code = code
        self.message = message


class Collection:
    """State shared by every task of one collection run: session, limits, and the growing inventory."""

    def __init__(self, session: AwsSession, context: CollectContext, identity: Identity, inventory: Inventory):
        self.session = session
        self.context = context
        self.identity = identity
        self.inventory = inventory
        self._lock = threading.Lock()
        #: Listings that several collectors read, loaded once per key (see :meth:`shared`).
        self._shared: dict[tuple[str, ...], _Shared] = {}
        #: Bounds concurrent API requests across the collector pool and the detail pool together.
        self._requests = threading.BoundedSemaphore(max(1, context.max_workers))
        self.detail_pool = ThreadPoolExecutor(max_workers=max(1, context.max_workers), thread_name_prefix="ztscan-aws-detail")

    def add(self, resource: Resource) -> Resource:
        with self._lock:
            self.inventory.resources.append(resource)
        return resource

    def record(self, error: CollectionError) -> None:
        log.warning("collection error: %s", error.describe())
        with self._lock:
            self.inventory.errors.append(error)

    def target(self, region: str) -> "Target":
        return Target(self, region)

    def shared(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """Return ``load()``, run once per ``key`` for the whole collection run.

        Collectors that need the same listing (flow logs for networks and subnets,
        KMS aliases for keys and volumes, tags per region) share one request this
        way. Concurrent callers of one key wait for the first caller. An ApiFailure
        from ``load`` is kept and raised to every caller, so that each records it
        for its own kind.
        """
        with self._lock:
            entry = self._shared.get(key)
            if entry is None:
                entry = self._shared[key] = _Shared()
        with entry.lock:
            if not entry.done:
                try:
                    entry.value = load()
                except ApiFailure as failure:
                    entry.failure = failure
                entry.done = True
        if entry.failure is not None:
            raise entry.failure
        return entry.value

    def first(self, key: tuple[str, ...]) -> bool:
        """Return True for the first caller with ``key`` only; used to record a shared failure once."""
        with self._lock:
            if key in self._shared:
                return False
            self._shared[key] = _Shared()
            return True

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold this collection's request bound, then a slot shared with the other collections of a tenant run."""
        with self._requests, self.context.request_slot():
            yield

    def close(self) -> None:
        self.detail_pool.shutdown(wait=True)


class _Shared:
    """One memoized listing of :meth:`Collection.shared`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.value: Any = None
        self.failure: ApiFailure | None = None


@dataclass(frozen=True)
class Target:
    """One account and region as seen by a collector."""

    collection: Collection
    region: str

    @property
    def account(self) -> str:
        return self.collection.identity.account

    @property
    def partition(self) -> str:
        return self.collection.identity.partition

    @property
    def scope(self) -> Scope:
        return Scope(PROVIDER, self.account, self.region)

    def in_region(self, region: str) -> "Target":
        return Target(self.collection, region)

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """Build an ARN in this account; ``region`` defaults to the target's region."""
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{self.account}:{resource}"

    def client(self, service: str) -> Any:
        region = self.region if self.region != "global" else self.collection.session.home_region(self.partition)
        return self.collection.session.client(service, region)

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """Send one request, named by its API operation (``GetLoginProfile``), and return the response."""
        from botocore import xform_name

        method = getattr(self.client(service), xform_name(operation))
        self._check_deadline(service, operation)
        with self._translated(service, operation), self.collection.request():
            return method(**params)

    def paginate(self, service: str, operation: str, result_key: str, **params: Any) -> list[Any]:
        """Fetch every page of a paginated operation and return the items under ``result_key``."""
        from botocore import xform_name

        paginator = self.client(service).get_paginator(xform_name(operation))
        items: list[Any] = []
        with self._translated(service, operation):
            pages = iter(paginator.paginate(**params))
            while True:
                self._check_deadline(service, operation)
                with self.collection.request():
                    page = next(pages, None)
                if page is None:
                    return items
                items.extend(page.get(result_key, []))

    def paginate_keys(self, service: str, operation: str, result_keys: Sequence[str],
                      **params: Any) -> dict[str, list[Any]]:
        """Like :meth:`paginate`, for operations whose pages carry several lists: return each key's items."""
        from botocore import xform_name

        paginator = self.client(service).get_paginator(xform_name(operation))
        items: dict[str, list[Any]] = {key: [] for key in result_keys}
        with self._translated(service, operation):
            pages = iter(paginator.paginate(**params))
            while True:
                self._check_deadline(service, operation)
                with self.collection.request():
                    page = next(pages, None)
                if page is None:
                    return items
                for key in result_keys:
                    items[key].extend(page.get(key, []))

    def shared(self, name: str, load: Callable[[], T]) -> T:
        """Return ``load()`` run once per ``name`` and region for the whole collection (see Collection.shared)."""
        return self.collection.shared((name, self.region), load)

    def record(self, failure: ApiFailure, kind: str, facts: Sequence[str] = (), resource_id: str | None = None) -> None:
        """Record a failed call as the CollectionError for ``kind`` (and ``facts`` of ``resource_id``)."""
        self.collection.record(CollectionError(
            scope=self.scope, service=failure.service, operation=failure.operation, code=failure.code,
            message=failure.message, kind=kind, facts=tuple(facts), resource_id=resource_id,
        ))

    def add(self, kind: str, resource_id: str, name: str, facts: dict[str, Any],
            tags: dict[str, str] | None = None) -> Resource:
        return self.collection.add(Resource(kind=kind, id=resource_id, scope=self.scope, name=name,
                                            facts=facts, tags=tags or {}))

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run ``function`` over ``items`` in the shared detail pool and return the results in order.

        Use it for unavoidable per-resource calls. An exception in ``function`` is re-raised here.
        ``function`` must not call ``map`` itself: waiting on the same pool from inside it can deadlock.
        """
        futures = [self.collection.detail_pool.submit(function, item) for item in items]
        return [future.result() for future in futures]

    def _check_deadline(self, service: str, operation: str) -> None:
        if self.collection.context.expired():
            raise ApiFailure(service, operation, self.region, DEADLINE_CODE,
                             "the scan deadline passed before this request was sent")

    def _translated(self, service: str, operation: str) -> "_Translate":
        return _Translate(service, operation, self.region)


class _Translate:
    """Context manager turning botocore exceptions into ApiFailure."""

    def __init__(self, service: str, operation: str, region: str):
        self.service, self.operation, self.region = service, operation, region

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> bool:
        if exc is None or isinstance(exc, ApiFailure):
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "ClientError")
            message = str(error.get("Message") or exc)
        elif isinstance(exc, BotoCoreError):
            code, message = type(exc).__name__, str(exc)
        else:
            return False
        raise ApiFailure(self.service, self.operation, self.region, code, message) from exc
