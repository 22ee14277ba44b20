"""A small JSON client on azure-core's pipeline, for Microsoft Graph and for ARM calls no azure-mgmt package covers.

It uses the same credential, retry policy and transport settings as the
azure-mgmt clients, and raises the same azure-core exceptions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin


class JsonClient:
    """GET requests returning JSON, with paging through a next-link property."""

    def __init__(self, endpoint: str, credential: Any, scope: str, next_link: str, *,
                 retry_policy: Any, connection_timeout: float, read_timeout: float,
                 connection_verify: Any = None, per_retry_policies: Any = ()):
        from azure.core import PipelineClient
        from azure.core.pipeline import policies
        from azure.core.pipeline.transport import RequestsTransport

        transport_kwargs: dict[str, Any] = {
            "connection_timeout": connection_timeout,
            "read_timeout": read_timeout,
        }
        if connection_verify is not None:
            transport_kwargs["connection_verify"] = connection_verify
        self.endpoint = endpoint.rstrip("/") + "/"
        self.next_link = next_link
        self._client = PipelineClient(
            base_url=self.endpoint,
            policies=[
                policies.RequestIdPolicy(),
                policies.HeadersPolicy({"Accept": "application/json"}),
                policies.UserAgentPolicy(sdk_moniker="ztscan"),
                retry_policy,
                *per_retry_policies,
                policies.BearerTokenCredentialPolicy(credential, scope),
                policies.HttpLoggingPolicy(),
            ],
            transport=RequestsTransport(**transport_kwargs),
        )

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET ``path`` (relative to the endpoint, or an absolute next link) and return the JSON body."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            HttpResponseError,
            ResourceNotFoundError,
            map_error,
        )
        from azure.core.rest import HttpRequest

        url = path if path.startswith("https://") else urljoin(self.endpoint, path.lstrip("/"))
        request = HttpRequest("GET", url, params=params)
        response = self._client.send_request(request)
        if response.status_code >= 400:
            error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError}
            map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise HttpResponseError(response=response)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise DecodeError(f"the response to GET {url} is not JSON", response=response) from None

    def list(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """GET every page of a ``value`` collection, following the next link exactly as given."""
        items: list[dict[str, Any]] = []
        body = self.get(path, params)
        items.extend(body.get("value") or [])
        seen = set()
        while body.get(self.next_link):
            link = body[self.next_link]
            if link in seen:
                from azure.core.exceptions import AzureError

                raise AzureError(f"paging loop: the next link {link} was returned twice")
            seen.add(link)
            body = self.get(link)
            items.extend(body.get("value") or [])
        return items
