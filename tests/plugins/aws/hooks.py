"""Helpers for the AWS provider tests: running a scan and botocore event hooks.

The hooks use botocore's ``before-call`` event, the mechanism botocore's Stubber
is built on: a handler that returns ``(http_response, parsed)`` replaces the HTTP
request, so one operation can return a recorded AWS response or error while
every other call still reaches moto.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

ACCOUNT = "123456789012"
REGION = "us-east-1"


def scan(session: Any, regions: Iterable[str] | None = (REGION,), **context: Any):
    """Collect with the AWS provider through ``session`` and return the inventory."""
    from ztscan.provider import CollectContext
    from ztscan_aws.provider import AwsProvider

    options = {"session": session, "profile": None, "regions": list(regions) if regions else None}
    return AwsProvider().collect(options, CollectContext(**context))


def collect_with(session: Any, collector: Callable[..., None], *args: Any, region: str = REGION,
                 max_attempts: int = 4, **context: Any):
    """Run one collector in ``region`` (``global`` for account-wide ones) and return the inventory.

    The account identity is fixed to moto's account, so no STS call is made.
    """
    from ztscan.model import Inventory
    from ztscan.provider import CollectContext
    from ztscan_aws.calls import Collection
    from ztscan_aws.session import AwsSession, Identity

    inventory = Inventory()
    identity = Identity(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/scanner", "aws")
    aws_session = AwsSession(session, max_attempts=max_attempts)
    collection = Collection(aws_session, CollectContext(**context), identity, inventory)
    try:
        collector(collection.target(region), *args)
    finally:
        collection.close()
    return inventory


def response(status: int, parsed: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse

    parsed = {**parsed, "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("https://aws.test/", status, {}, None), parsed


def inject(session: Any, service: str, operation: str, *, code: str | None = None, status: int = 403,
           parsed: dict[str, Any] | None = None,
           when: Callable[[dict[str, Any]], bool] = lambda params: True) -> None:
    """Make ``service.operation`` return an error ``code`` or with the ``parsed`` response.

    ``when`` receives the request's parameters and decides whether this handler replaces the call.
    """
    def handler(params: dict[str, Any], **_: Any):
        if not when(request_parameters(params)):
            return None
        if code is not None:
            return response(status, {"Error": {"Code": code, "Message": f"injected {code}"}})
        return response(200, dict(parsed or {}))

    session.events.register(f"before-call.{service}.{operation}", handler)


def request_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """Return the request parameters from a serialized request dict, for query and JSON protocols."""
    import json
    from urllib.parse import parse_qsl

    body = params.get("body")
    if isinstance(body, dict):
        return body
    if isinstance(body, (bytes, str)) and body:
        text = body.decode() if isinstance(body, bytes) else body
        try:
            return json.loads(text)
        except ValueError:
            return dict(parse_qsl(text))
    return {}


class CallRecorder:
    """Records (service, operation) of every request made through a session.

    botocore runs handlers of the more specific event first, so a call replaced by
    an ``inject`` handler is not recorded here.
    """

    def __init__(self, session: Any):
        self.calls: list[tuple[str, str]] = []
        self.regions: list[str] = []
        session.events.register("before-call", self._record)

    def _record(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))
        self.regions.append(context.get("client_region", ""))

    def count(self, service: str, operation: str) -> int:
        return self.calls.count((service, operation))


def by_id(inventory: Any, kind: str) -> dict[str, Any]:
    return {r.id: r for r in inventory.resources if r.kind == kind}


def by_name(inventory: Any, kind: str) -> dict[str, Any]:
    return {r.name: r for r in inventory.resources if r.kind == kind}
