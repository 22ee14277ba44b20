"""Client construction, the shared retry policy and error capture for the GCP collectors.

Every API call of the provider goes through :class:`GcpApis`: the google-cloud
clients are built with the REST transport and an optional per-API endpoint, and
each call receives a fresh :class:`google.api_core.retry.Retry` from
:class:`RetryPolicy`. Failures become :class:`ztscan.model.CollectionError`
entries through :meth:`GcpApis.call`, so a collector never turns a failed call
into a verdict.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

from ztscan.model import CollectionError, Scope
from ztscan.provider import CollectContext

log = logging.getLogger(__name__)

T = TypeVar("T")

#: HTTP statuses that are retried: throttling and transient server errors.
#: Compute Engine's generated clients retry only 503 and 504 by default (google-cloud-compute 1.57).
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})

#: API names accepted by ``--endpoint API=URL``, with their public endpoints.
DEFAULT_ENDPOINTS = {
    "compute": "https://compute.googleapis.com",
    "storage": "https://storage.googleapis.com",
    "cloudresourcemanager": "https://cloudresourcemanager.googleapis.com",
    "sqladmin": "https://sqladmin.googleapis.com",
    "iam": "https://iam.googleapis.com",
    "cloudkms": "https://cloudkms.googleapis.com",
    "iamcredentials": "https://iamcredentials.googleapis.com",
}

#: Seconds allowed for one HTTP request.
REQUEST_TIMEOUT = 60.0


def _is_retryable(exc: BaseException) -> bool:
    import requests
    from google.api_core import exceptions as api_exceptions

    if isinstance(exc, api_exceptions.GoogleAPICallError):
        return exc.code in RETRIED_STATUSES
    # A dropped connection or a request that timed out is transient too; the attempt
    # budget and the retry deadline still bound it.
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError))


@dataclass
class RetryPolicy:
    """Exponential backoff for throttled and failing calls, bounded by time and by attempts.

    google-api-core ignores ``Retry-After`` (2.44), so the backoff alone paces retries.
    """

    initial: float = 1.0
    maximum: float = 16.0
    multiplier: float = 2.0
    #: Total seconds one call (all pages of one listing) may spend retrying.
    deadline: float = 120.0
    #: Total failed attempts of one call before giving up, the first one included.
    max_attempts: int = 6

    def retry(self, context: CollectContext | None = None) -> Any:
        """Return a new Retry whose attempt counter starts at zero."""
        from google.api_core.retry import Retry

        failures = {"count": 0}

        def predicate(exc: BaseException) -> bool:
            if not _is_retryable(exc):
                return False
            failures["count"] += 1
            if failures["count"] >= self.max_attempts:
                log.warning("giving up after %d attempts: %s", failures["count"], exc)
                return False
            log.debug("retrying after %s (attempt %d of %d)", type(exc).__name__, failures["count"],
                      self.max_attempts)
            return True

        deadline = self.deadline
        if context is not None and context.remaining() is not None:
            deadline = max(0.0, min(deadline, context.remaining() or 0.0))
        return Retry(predicate=predicate, initial=self.initial, maximum=self.maximum,
                     multiplier=self.multiplier, timeout=deadline)


@dataclass
class GcpApis:
    """Builds clients for one credential and records failed calls as collection errors."""

    credentials: Any
    endpoints: dict[str, str] = field(default_factory=dict)
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    context: CollectContext = field(default_factory=CollectContext)
    _session: Any = None

    # -- clients --------------------------------------------------------------

    def _client_options(self, api: str) -> dict[str, str] | None:
        endpoint = self.endpoints.get(api)
        return {"api_endpoint": endpoint} if endpoint else None

    def compute(self, name: str) -> Any:
        """Return a Compute Engine client such as ``compute("FirewallsClient")``."""
        from google.cloud import compute_v1

        client_class = getattr(compute_v1, name)
        return client_class(credentials=self.credentials, client_options=self._client_options("compute"),
                            transport="rest")

    def storage(self, project: str) -> Any:
        from google.cloud import storage

        client = storage.Client(project=project, credentials=self.credentials,
                                client_options=self._client_options("storage"))
        # google-cloud-storage 3.17 fetches each bucket's metadata (buckets.get) in untracked
        # background threads to label tracing spans: an undeclared API call that can outlive
        # the scan deadline. The library skips the cache when the attribute is falsy.
        if getattr(client, "_bucket_metadata_cache", None) is not None:
            client._bucket_metadata_cache = None
        return client

    def projects_client(self) -> Any:
        from google.cloud import resourcemanager_v3

        return resourcemanager_v3.ProjectsClient(credentials=self.credentials, transport="rest",
                                                 client_options=self._client_options("cloudresourcemanager"))

    def folders_client(self) -> Any:
        from google.cloud import resourcemanager_v3

        return resourcemanager_v3.FoldersClient(credentials=self.credentials, transport="rest",
                                                client_options=self._client_options("cloudresourcemanager"))

    def organizations_client(self) -> Any:
        from google.cloud import resourcemanager_v3

        return resourcemanager_v3.OrganizationsClient(credentials=self.credentials, transport="rest",
                                                      client_options=self._client_options("cloudresourcemanager"))

    def kms(self) -> Any:
        from google.cloud import kms_v1

        return kms_v1.KeyManagementServiceClient(credentials=self.credentials, transport="rest",
                                                 client_options=self._client_options("cloudkms"))

    def retry(self) -> Any:
        return self.retry_policy.retry(self.context)

    def timeout(self) -> float:
        remaining = self.context.remaining()
        return REQUEST_TIMEOUT if remaining is None else max(1.0, min(REQUEST_TIMEOUT, remaining))

    # -- plain REST calls (Cloud SQL Admin, IAM) --------------------------------

    def session(self) -> Any:
        """Return one AuthorizedSession that signs requests with the provider's credential."""
        if self._session is None:
            from google.auth.transport.requests import AuthorizedSession

            self._session = AuthorizedSession(self.credentials)
        return self._session

    def get_json(self, api: str, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET ``path`` of ``api`` with the shared retry policy and return the parsed JSON body.

        A non-2xx response raises the matching google.api_core exception (Forbidden,
        TooManyRequests, BadGateway...), the same types the generated clients raise.
        """
        from google.api_core import exceptions as api_exceptions

        url = self.endpoints.get(api, DEFAULT_ENDPOINTS[api]).rstrip("/") + path

        def call() -> dict[str, Any]:
            response = self.session().get(url, params=params, timeout=self.timeout())
            if response.status_code >= 400:
                raise api_exceptions.from_http_response(response)
            return response.json()

        return self.retry()(call)()

    def list_json(self, api: str, path: str, field_name: str,
                  params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        """Yield the items of a paged REST list, following ``nextPageToken``."""
        query = dict(params or {})
        while True:
            page = self.get_json(api, path, query)
            yield from page.get(field_name, ())
            token = page.get("nextPageToken")
            if not token:
                return
            query["pageToken"] = token

    # -- error capture --------------------------------------------------------

    def call(self, errors: list[CollectionError], scope: Scope, service: str, operation: str, kind: str,
             produce: Callable[[], T], facts: tuple[str, ...] = (),
             resource_id: str | None = None) -> tuple[bool, T | None]:
        """Run ``produce`` and return ``(True, result)``, or record a CollectionError and return ``(False, None)``.

        Only API, transport and credential errors are recorded. A bug in a collector
        propagates to the provider, which records it for the whole collector. A call
        that would start after the scan deadline is recorded as timed out, not made.
        ``produce`` must finish its paging itself (``list(pager)``), so that an error
        on a later page is caught here.
        """
        where = f" on {resource_id}" if resource_id else ""
        if self.context.expired():
            errors.append(CollectionError(scope, service, operation, "Timeout",
                                          "the scan deadline passed before this call started",
                                          kind, facts, resource_id))
            return False, None
        started = time.monotonic()
        try:
            with self.context.request_slot():
                result = produce()
        except _caught_exceptions() as exc:
            code, message = describe_exception(exc)
            log.warning("%s.%s failed in %s%s: %s: %s", service, operation, scope.label(), where, code, message)
            errors.append(CollectionError(scope, service, operation, code, message, kind, facts, resource_id))
            return False, None
        log.debug("%s.%s in %s%s took %.2f s", service, operation, scope.label(), where,
                  time.monotonic() - started)
        return True, result


def _caught_exceptions() -> tuple[type[BaseException], ...]:
    import requests
    from google.api_core import exceptions as api_exceptions
    from google.auth import exceptions as auth_exceptions

    return (api_exceptions.GoogleAPIError, auth_exceptions.GoogleAuthError, requests.RequestException)


def describe_exception(exc: BaseException) -> tuple[str, str]:
    """Return a short error code and a one-line message for a failed call."""
    from google.api_core import exceptions as api_exceptions

    if isinstance(exc, api_exceptions.RetryError) and exc.cause is not None:
        code, message = describe_exception(exc.cause)
        return f"RetryError({code})", f"gave up retrying: {message}"
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        reason = f" {exc.reason}" if getattr(exc, "reason", None) else ""
        code = f"{exc.code} {type(exc).__name__}{reason}"
        message = exc.message or str(exc)
    else:
        code = type(exc).__name__
        message = str(exc)
    from ztscan.redaction import redact

    return code, redact(" ".join(message.split()))[:300]
