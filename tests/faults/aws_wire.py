"""moto's threaded server behind a WSGI middleware that injects faults at the HTTP level.

botocore receives real HTTP responses (throttling codes as each service spells
them, 5xx, slow responses, dropped connections, access denied), so its own retry
logic runs exactly as against AWS. The operation name comes from the request
itself: the ``Action`` form field of query-protocol services, the
``X-Amz-Target`` header of JSON services, and the path and sub-resource of S3.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from tests.faults import plan as faults
from tests.moto_wsgi import LayeredMotoServer

#: Services of the AWS provider by wire protocol; the rest (s3, s3control) are REST-XML.
QUERY_SERVICES = {"iam", "sts", "ec2", "rds", "elasticloadbalancing", "autoscaling"}
JSON_SERVICES = {"kms", "cloudtrail"}

#: How each service spells throttling: (HTTP status, error code).
THROTTLE_CODES = {
    "ec2": (503, "RequestLimitExceeded"),
    "kms": (400, "ThrottlingException"),
    "cloudtrail": (429, "TooManyRequestsException"),
    "s3": (503, "SlowDown"),
}
DEFAULT_THROTTLE = (400, "Throttling")
DENIED_CODES = {
    "ec2": (403, "UnauthorizedOperation"),
    "kms": (400, "AccessDeniedException"),
    "cloudtrail": (400, "AccessDeniedException"),
}
DEFAULT_DENIED = (403, "AccessDenied")

_S3_SUBRESOURCES = {
    "location": "GetBucketLocation", "encryption": "GetBucketEncryption", "policy": "GetBucketPolicy",
    "publicAccessBlock": "GetPublicAccessBlock", "policyStatus": "GetBucketPolicyStatus", "acl": "GetBucketAcl",
    "versioning": "GetBucketVersioning", "logging": "GetBucketLogging",
}


def signing_service(environ: dict[str, Any]) -> tuple[str, str]:
    """Return the (service, region) from the SigV4 credential scope of the Authorization header."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    marker = "Credential="
    if marker not in header:
        return "unknown", "unknown"
    scope = header.split(marker, 1)[1].split(",", 1)[0].split("/")
    return (scope[3], scope[2]) if len(scope) >= 5 else ("unknown", "unknown")


def operation_of(environ: dict[str, Any], body: bytes) -> tuple[str, str]:
    """Return (``service.Operation``, a key that identifies this request's parameters)."""
    service, region = signing_service(environ)
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        operation = target.rsplit(".", 1)[-1]
        return f"{service}.{operation}", f"{region}|{target}|{body.decode(errors='replace')}"
    if service in QUERY_SERVICES:
        form = parse_qs(body.decode(errors="replace")) or parse_qs(query)
        action = (form.get("Action") or ["Unknown"])[0]
        params = "&".join(f"{k}={v[0]}" for k, v in sorted(form.items()))
        return f"{service}.{action}", f"{region}|{params}"
    if path.startswith("/v20180820/"):
        return "s3control.GetPublicAccessBlock", f"{region}|{path}"
    names = parse_qs(query, keep_blank_values=True)
    operation = next((name for key, name in _S3_SUBRESOURCES.items() if key in names), None)
    if operation is None:
        operation = "ListBuckets" if path.strip("/") == "" else "HeadOrGetObject"
    return f"s3.{operation}", f"{region}|{environ.get('REQUEST_METHOD')}|{path}|{query}"


def error_response(service: str, status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return (status line, headers, body) of an AWS error in the service's own wire format."""
    if service in JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    elif service == "ec2":
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>fault-1</RequestID></Response>").encode()
        content_type = "text/xml"
    elif service in QUERY_SERVICES:
        body = (f'<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>'
                f"</Error><RequestId>fault-1</RequestId></ErrorResponse>").encode()
        content_type = "text/xml"
    else:
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
                f"<RequestId>fault-1</RequestId></Error>").encode()
        content_type = "application/xml"
    reason = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error",
              503: "Service Unavailable"}.get(status, "Error")
    return f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body)))], body


class FaultMiddleware:
    """WSGI middleware in front of moto's application that applies a :class:`FaultPlan`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], plan: faults.FaultPlan,
                 slow_seconds: float = 2.0, hang_seconds: float = 30.0):
        self.app = app
        self.plan = plan
        self.slow_seconds = slow_seconds
        self.hang_seconds = hang_seconds
        self.stopping = threading.Event()
        #: WSGI names of request headers to quote in injected error messages (an echoing proxy).
        self.echo_headers: tuple[str, ...] = ()
        self.operations: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        operation, key = operation_of(environ, body)
        with self._lock:
            self.operations.append(operation)
        service = operation.split(".", 1)[0]
        kind = self.plan.decide(operation, f"{operation}|{key}")
        if kind is None:
            return self.app(environ, start_response)
        if kind == faults.SLOW:
            time.sleep(self.slow_seconds)
            return self.app(environ, start_response)
        if kind == faults.HANG:
            self.stopping.wait(self.hang_seconds)
            return self.app(environ, start_response)
        if kind == faults.RESET:
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("fault injection dropped the connection")
        status, code = {
            faults.THROTTLE: THROTTLE_CODES.get(service, DEFAULT_THROTTLE),
            faults.DENIED: DENIED_CODES.get(service, DEFAULT_DENIED),
            faults.SERVER_ERROR: (500, "InternalError" if service in QUERY_SERVICES | {"s3"} else "InternalFailure"),
            faults.UNAVAILABLE: (503, "ServiceUnavailable"),
        }[kind]
        message = f"fault injection: {kind} on {operation}"
        for name in self.echo_headers:
            message += f"; request header {name}: {environ.get(name, '')}"
        line, headers, payload = error_response(service, status, code, message)
        start_response(line, headers)
        return [payload]


class FaultyMotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1 with a :class:`FaultMiddleware` in front; call :meth:`start` first."""

    def __init__(self, plan: faults.FaultPlan | None = None, **middleware: Any):
        self._plan = plan or faults.FaultPlan()
        self._options = middleware
        self._server: LayeredMotoServer | None = None

    def _wrap(self, app: Callable[..., Iterable[bytes]]) -> FaultMiddleware:
        self.middleware = FaultMiddleware(app, self._plan, **self._options)
        return self.middleware

    @property
    def plan(self) -> faults.FaultPlan:
        return self.middleware.plan

    @plan.setter
    def plan(self, value: faults.FaultPlan) -> None:
        self.middleware.plan = value

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return self._server.url

    def start(self) -> "FaultyMotoServer":
        self._server = LayeredMotoServer(self._wrap)
        return self

    def stop(self) -> None:
        self.middleware.stopping.set()
        assert self._server is not None
        self._server.stop()

    def reset(self) -> None:
        import urllib.request

        self.plan = faults.FaultPlan()
        self.middleware.operations.clear()
        self.middleware.stopping.clear()
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10).read()
