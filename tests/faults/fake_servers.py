"""The fake Azure and GCP servers with seeded random faults and dropped connections.

Both subclasses keep the parent's routes, request log and fail-next-N
failures, and consult a :class:`FaultPlan` first. A dropped connection raises
inside the request handler: the server closes the socket without sending a
response, which the client sees as a connection reset.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from tests.fakes.azure_server import FakeAzureServer
from tests.fakes.gcp_server import FakeGcpServer, google_error
from tests.faults import plan as faults
from tests.faults.operations import azure_operation, gcp_operation


class DroppedConnection(Exception):
    """Raised in a handler to close the connection without a response."""


def _silence_handler_errors(server: Any) -> None:
    """Stop socketserver from printing a traceback for each deliberately dropped connection."""
    server.handle_error = lambda request, client_address: None


class FaultyAzureServer(FakeAzureServer):
    """FakeAzureServer with a FaultPlan. Throttling is 429 with ``Retry-After``, as ARM sends it."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.plan = faults.FaultPlan()
        self.retry_after = "0.01"
        self.slow_seconds = 1.0
        self.hang_seconds = 30.0
        self.stopping = threading.Event()

    def start(self) -> "FaultyAzureServer":
        super().start()
        _silence_handler_errors(self._server)
        return self

    def stop(self) -> None:
        self.stopping.set()
        super().stop()

    def reset(self) -> None:
        super().reset()
        self.plan = faults.FaultPlan()
        self.retry_after = "0.01"

    def respond(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        operation = azure_operation(method, path, query)
        if operation is not None:
            key = f"{method}|{path.lower()}|{json.dumps(query, sort_keys=True)}"
            kind = self.plan.decide(operation, key)
            if kind is not None:
                fault = self._fault(kind, operation)
                if fault is not None:
                    return fault
        return super().respond(method, path, query)

    def _fault(self, kind: str, operation: str) -> tuple[int, dict[str, str], Any] | None:
        message = f"fault injection: {kind} on {operation}"
        if kind == faults.SLOW:
            time.sleep(self.slow_seconds)
            return None
        if kind == faults.HANG:
            self.stopping.wait(self.hang_seconds)
            return None
        if kind == faults.RESET:
            raise DroppedConnection(message)
        status, code, headers = {
            faults.THROTTLE: (429, "TooManyRequests", {"Retry-After": self.retry_after}),
            faults.DENIED: (403, "AuthorizationFailed", {}),
            faults.SERVER_ERROR: (500, "InternalServerError", {}),
            faults.UNAVAILABLE: (503, "ServiceUnavailable", {}),
        }[kind]
        return status, headers, {"error": {"code": code, "message": message}}


class FaultyGcpServer(FakeGcpServer):
    """FakeGcpServer with a FaultPlan. Throttling is 429 RESOURCE_EXHAUSTED."""

    def __init__(self) -> None:
        super().__init__()
        self.plan = faults.FaultPlan()
        self.slow_seconds = 1.0
        self.hang_seconds = 30.0
        self.stopping = threading.Event()
        _silence_handler_errors(self._httpd)

    def stop(self) -> None:
        self.stopping.set()
        super().stop()

    def _respond(self, method: str, path: str, query: dict[str, list[str]],
                 target: str) -> tuple[int, str, str, dict[str, str]]:
        operation = gcp_operation(method, path)
        if operation is not None:
            kind = self.plan.decide(operation, f"{method}|{target}")
            if kind == faults.SLOW:
                time.sleep(self.slow_seconds)
            elif kind == faults.HANG:
                self.stopping.wait(self.hang_seconds)
            elif kind == faults.RESET:
                raise DroppedConnection(f"fault injection: reset on {operation}")
            elif kind is not None:
                status = {faults.THROTTLE: 429, faults.DENIED: 403, faults.SERVER_ERROR: 500,
                          faults.UNAVAILABLE: 503}[kind]
                return status, "application/json", google_error(status, f"fault injection: {kind} on {operation}"), {}
        return super()._respond(method, path, query, target)
