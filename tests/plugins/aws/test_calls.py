"""Central call handling: throttling retries within bounds, error translation, the deadline."""

from __future__ import annotations

import time

from botocore.awsrequest import AWSResponse

from ztscan_aws.kms import collect_keys

from .hooks import collect_with

THROTTLED = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'


class _Body:
    """A raw HTTP body as botocore reads it."""

    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


def _throttle(sent: list, times: int):
    """Return a before-send handler that throttles the first ``times`` requests and passes the rest to moto."""
    def handler(request, **_):
        sent.append(request)
        if len(sent) > times:
            return None
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, _Body(THROTTLED))
    return handler


def test_throttling_retried_then_succeeds(session):
    key = session.client("kms").create_key()["KeyMetadata"]
    sent: list = []
    session.events.register("before-send.kms.ListKeys", _throttle(sent, times=1))

    inventory = collect_with(session, collect_keys, max_attempts=2)

    assert len(sent) == 2
    assert inventory.errors == []
    assert [r.id for r in inventory.resources] == [key["Arn"]]


def test_throttling_bounded_then_recorded(session):
    sent: list = []
    session.events.register("before-send.kms.ListKeys", _throttle(sent, times=10))

    inventory = collect_with(session, collect_keys, max_attempts=2)

    assert len(sent) == 2
    assert len(inventory.errors) == 1
    error = inventory.errors[0]
    assert error.code == "ThrottlingException"
    assert error.service == "kms"
    assert error.operation == "ListKeys"
    assert error.kind == "crypto.key"
    assert error.facts == ()
    assert error.scope.region == "us-east-1"


def test_expired_deadline_sends_nothing(session):
    sent: list = []
    session.events.register("before-send.kms", lambda request, **_: sent.append(request))

    inventory = collect_with(session, collect_keys, deadline=time.monotonic() - 1)

    assert sent == []
    assert [e.code for e in inventory.errors] == ["DeadlineExceeded"]
