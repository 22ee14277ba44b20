"""A moto server on 127.0.0.1 that counts the AWS API requests it serves.

Run as a child process by the AWS benchmarks: ``python benchmarks/moto_server.py
[--latency-ms N]``. With ``--latency-ms``, every API request waits N milliseconds
before moto handles it, without using CPU (``time.sleep``), as a stand-in for the
network and service time of a real cloud API.
It prints ``PORT <number>`` once it listens and serves until its standard input
closes. Set ``MOTO_EC2_LOAD_DEFAULT_AMIS=false`` in its environment to skip the
default AMIs.

Two extra paths, which the counter handles itself and never passes to moto:

* ``GET /_benchmark/calls`` returns ``{"total": n, "calls": {"service operation": n},
  "regions": {...}, "server_errors": {"service operation": n}}`` for every request
  since the last reset; ``server_errors`` counts the HTTP 5xx responses.
  ``first_request_at`` and ``last_response_at`` are the wall-clock times
  (``time.time()``) of the first request received and the last response built,
  or null before any request. ``server_cpu_ms`` gives the CPU milliseconds the serving thread spent in moto
  per operation (``time.thread_time``, the same names as ``calls``).
* ``POST /_benchmark/calls/reset`` sets the counts back to zero.

A request is named by the service in its SigV4 credential scope and by its
operation: the ``X-Amz-Target`` header (JSON protocols), the ``Action`` parameter
(query protocols), or for S3 the method, whether a bucket is named, and the
sub-resource query keys (``GET bucket?encryption``).
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_CONTROL_PREFIX = "/_benchmark/calls"


class CountingApp:
    """WSGI middleware that counts requests by service and operation before moto handles them."""

    def __init__(self, app: Callable[..., Iterable[bytes]], latency: float = 0.0):
        self.app = app
        #: Seconds each API request waits before moto handles it.
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self.regions: Counter[str] = Counter()
        #: Requests that got an HTTP 5xx response, mostly operations moto does not implement.
        self.server_errors: Counter[str] = Counter()
        #: CPU seconds the serving thread spent in moto per operation.
        self.cpu: Counter[str] = Counter()
        self.first_request_at: float | None = None
        self.last_response_at: float | None = None
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(_CONTROL_PREFIX):
            return self._control(environ, start_response)
        body = b""
        length = environ.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > 0:
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
        service, region = self._scope(environ)
        operation = self._operation(environ, service, path, body)
        name = f"{service} {operation}"
        with self.lock:
            self.counts[name] += 1
            self.regions[region] += 1
            if self.first_request_at is None:
                self.first_request_at = time.time()

        def counting_start_response(status: str, headers: Any, *args: Any) -> Any:
            if status.startswith("5"):
                with self.lock:
                    self.server_errors[name] += 1
            return start_response(status, headers, *args)

        if self.latency:
            time.sleep(self.latency)
        started = time.thread_time()
        try:
            # moto builds the whole response body inside the call, so its CPU time is measured here.
            return list(self.app(environ, counting_start_response))
        except Exception:
            with self.lock:
                self.server_errors[name] += 1
            raise
        finally:
            spent = time.thread_time() - started
            with self.lock:
                self.cpu[name] += spent
                self.last_response_at = time.time()

    @staticmethod
    def _scope(environ: dict[str, Any]) -> tuple[str, str]:
        match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return "unsigned", "none"
        return match.group(2), match.group(1)

    @staticmethod
    def _operation(environ: dict[str, Any], service: str, path: str, body: bytes) -> str:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return target.rsplit(".", 1)[-1]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "Action" in query:
            return query["Action"][0]
        if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8", "replace"))
            if "Action" in form:
                return form["Action"][0]
        method = environ.get("REQUEST_METHOD", "GET")
        if service == "s3":
            if path.startswith("/v20180820/"):
                return f"{method} control{path[len('/v20180820'):]}"
            parts = [part for part in path.split("/") if part]
            if not parts:
                where = "service"
            elif len(parts) == 1:
                where = "bucket"
            else:
                where = "object"
            keys = ",".join(sorted(key for key in query if key not in ("x-id",)))
            return f"{method} {where}" + (f"?{keys}" if keys else "")
        return f"{method} {re.sub(r'[0-9a-f-]{16,}', '{id}', path)}"

    def _control(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.lock:
            if environ.get("REQUEST_METHOD") == "POST":
                self.counts.clear()
                self.regions.clear()
                self.server_errors.clear()
                self.cpu.clear()
                self.first_request_at = self.last_response_at = None
            payload = {"total": sum(self.counts.values()), "calls": dict(sorted(self.counts.items())),
                       "regions": dict(sorted(self.regions.items())),
                       "server_errors": dict(sorted(self.server_errors.items())),
                       "first_request_at": self.first_request_at, "last_response_at": self.last_response_at,
                       "server_cpu_ms": {name: round(seconds * 1000, 1) for name, seconds in sorted(self.cpu.items())}}
        data = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def main() -> int:
    import argparse

    from moto.server import ThreadedMotoServer

    parser = argparse.ArgumentParser(description="moto on 127.0.0.1 with a request counter")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="milliseconds each API request waits before moto handles it (default: 0)")
    args = parser.parse_args()

    # werkzeug logs a traceback for every request moto cannot serve; the counter records those as server_errors.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # werkzeug's request handler reads server.app on every request, so wrapping it here counts everything.
    server._server.app = CountingApp(server._server.app, latency=args.latency_ms / 1000)
    print(f"PORT {server.get_host_and_port()[1]}", flush=True)
    sys.stdin.read()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
