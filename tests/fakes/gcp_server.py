"""A fake Google Cloud REST API server on 127.0.0.1 for tests.

The real google-cloud client libraries talk to it over plain HTTP when a test
passes ``client_options={"api_endpoint": server.url}``. Responses follow the
shape of Google's JSON REST APIs. Lists carry ``items`` (or a named field such
as ``accounts``) and ``nextPageToken``. Aggregated lists carry ``items`` keyed
by ``zones/...`` and ``regions/...``, with a ``warning`` on empty scopes.
Errors carry the ``{"error": {"code", "message", "status", "errors"}}`` body.

A route maps a method and path to a list of pages. The page token the server
hands out is the index of the next page, so a client that follows
``nextPageToken`` walks the whole list.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_REASONS = {403: "forbidden", 404: "notFound", 429: "rateLimitExceeded", 500: "backendError"}

BAD_GATEWAY_HTML = (
    "<!DOCTYPE html><html><head><title>Error 502 (Server Error)</title></head>"
    "<body><p><b>502.</b> That's an error.</p><p>The server encountered a temporary error.</p></body></html>"
)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return a request header, matching its name case-insensitively."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Failure:
    method: str
    fragment: str
    status: int
    remaining: int
    body: str | None
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    exact: bool = False

    def matches(self, method: str, path: str, target: str) -> bool:
        if self.remaining <= 0 or method != self.method:
            return False
        return path == self.fragment if self.exact else self.fragment in target


def google_error(status: int, message: str) -> str:
    """Return a JSON error body shaped like the ones Google's REST APIs send."""
    reason = _REASONS.get(status, "error")
    return json.dumps({
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    })


class FakeGcpServer:
    """A threaded HTTP server that serves registered routes and records every request."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[tuple[dict[str, str], list[dict[str, Any]]]]] = {}
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeGcpServer":
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> "FakeGcpServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- routes ---------------------------------------------------------------

    def set_pages(self, path: str, pages: list[dict[str, Any]], method: str = "GET",
                  query: dict[str, str] | None = None) -> None:
        """Serve ``pages`` in order at ``path``, linked by ``nextPageToken``.

        With ``query``, the route serves only requests carrying those query
        parameters (``/storage/v1/b`` is one path for every project).
        """
        match = dict(query or {})
        with self._lock:
            routes = [route for route in self._routes.get((method, path), []) if route[0] != match]
            routes.append((match, [dict(page) for page in pages]))
            self._routes[(method, path)] = routes

    def set_json(self, path: str, body: dict[str, Any], method: str = "GET",
                 query: dict[str, str] | None = None) -> None:
        """Serve one JSON document at ``path``."""
        self.set_pages(path, [body], method, query)

    def set_list(self, path: str, items: list[dict[str, Any]], page_size: int = 0,
                 field_name: str = "items", extra: dict[str, Any] | None = None,
                 query: dict[str, str] | None = None) -> None:
        """Serve ``items`` as a list response, split into pages of ``page_size`` (0: one page)."""
        size = page_size or max(len(items), 1)
        pages = []
        for start in range(0, max(len(items), 1), size):
            page: dict[str, Any] = dict(extra or {})
            chunk = items[start:start + size]
            if chunk:
                page[field_name] = chunk
            pages.append(page)
        self.set_pages(path, pages, query=query)

    def set_aggregated(self, path: str, scopes: dict[str, list[dict[str, Any]]], field_name: str,
                       scopes_per_page: int = 0) -> None:
        """Serve a compute aggregated list: ``items`` keyed by ``zones/...`` or ``regions/...``.

        An empty scope carries the ``NO_RESULTS_ON_PAGE`` warning instead of a list,
        as Compute Engine sends it.
        """
        entries = []
        for scope, items in scopes.items():
            if items:
                entries.append((scope, {field_name: items}))
            else:
                entries.append((scope, {"warning": {
                    "code": "NO_RESULTS_ON_PAGE",
                    "message": "There are no results for scope '" + scope + "' on this page.",
                    "data": [{"key": "scope", "value": scope}],
                }}))
        size = scopes_per_page or max(len(entries), 1)
        pages = []
        for start in range(0, max(len(entries), 1), size):
            pages.append({"kind": "compute#aggregatedList", "items": dict(entries[start:start + size])})
        self.set_pages(path, pages)

    def fail(self, fragment: str, status: int, times: int = 1, method: str = "GET",
             body: str | None = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None, exact: bool = False) -> None:
        """Fail the next ``times`` requests whose path and query contain ``fragment`` with ``status``.

        With ``exact``, ``fragment`` must equal the request path instead.
        """
        with self._lock:
            self._failures.append(_Failure(method, fragment, status, times, body, content_type,
                                           dict(headers or {}), exact))

    def requests_to(self, fragment: str, method: str | None = None) -> list[RecordedRequest]:
        """Return the recorded requests whose path contains ``fragment``."""
        with self._lock:
            return [r for r in self.requests if fragment in r.path and (method is None or r.method == method)]

    # -- serving --------------------------------------------------------------

    def _respond(self, method: str, path: str, query: dict[str, list[str]],
                 target: str) -> tuple[int, str, str, dict[str, str]]:
        with self._lock:
            for failure in self._failures:
                if failure.matches(method, path, target):
                    failure.remaining -= 1
                    body = failure.body if failure.body is not None else google_error(
                        failure.status, f"injected failure for {path}")
                    return failure.status, failure.content_type, body, failure.headers
            pages = None
            for match, candidate in self._routes.get((method, path), []):
                if all(query.get(name, [None])[0] == value for name, value in match.items()):
                    pages = candidate
                    break
        if pages is None:
            return 404, "application/json", google_error(404, f"The resource '{path}' was not found"), {}
        token = (query.get("pageToken") or [""])[0]
        index = int(token) if token.isdigit() else 0
        if index >= len(pages):
            return 400, "application/json", google_error(400, f"Invalid page token {token!r}"), {}
        page = dict(pages[index])
        if index + 1 < len(pages):
            page["nextPageToken"] = str(index + 1)
        return 200, "application/json", json.dumps(page), {}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                with server._lock:
                    server.requests.append(RecordedRequest(
                        self.command, parts.path, query, dict(self.headers.items()), body))
                status, content_type, text, headers = server._respond(
                    self.command, parts.path, query, self.path)
                payload = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
                pass

        return Handler
