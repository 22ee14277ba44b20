"""A fake Azure Resource Manager, Microsoft Graph and Entra ID token server on 127.0.0.1 for tests.

The real azure-identity credentials and azure-mgmt clients talk to it over
HTTPS with a throwaway CA from trustme: azure-core's bearer-token policy sends
no token over plain HTTP. Routes map a path (compared case-insensitively, as
ARM does) to a JSON object or to a list served in pages. ARM pages carry
``nextLink`` and Graph pages ``@odata.nextLink``. Both are absolute URLs that
keep the request's query parameters, ``api-version`` included, because clients
fetch next links exactly as given. Errors use the ``{"error": {"code", "message"}}``
body that ARM and Graph share.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

_ERROR_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Failure:
    pattern: re.Pattern[str]
    status: int
    remaining: int
    headers: dict[str, str]
    code: str
    message: str
    query: dict[str, str]

    def matches(self, path: str, query: dict[str, list[str]]) -> bool:
        if self.remaining <= 0 or not self.pattern.search(path):
            return False
        return all((query.get(name) or [None])[0] == value for name, value in self.query.items())


@dataclass
class _ListRoute:
    items: list[dict[str, Any]]
    page_size: int | None
    link_field: str


@dataclass
class FakeAzureServer:
    """The fake server. Use as a context manager, or call :meth:`start` and :meth:`stop`."""

    tls_dir: Path
    requests: list[RecordedRequest] = field(default_factory=list)
    tokens_issued: int = 0

    def __post_init__(self) -> None:
        self._objects: dict[str, Any] = {}
        self._lists: dict[str, _ListRoute] = {}
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- routes ------------------------------------------------------------

    @staticmethod
    def _key(path: str) -> str:
        return "/" + path.strip("/").lower()

    def reset(self) -> None:
        """Forget every route, pending failure and recorded request."""
        with self._lock:
            self._objects.clear()
            self._lists.clear()
            self._failures.clear()
            self.requests.clear()

    def set_object(self, path: str, body: Any) -> None:
        self._objects[self._key(path)] = body

    def set_list(self, path: str, items: list[dict[str, Any]] | None = None, page_size: int | None = None,
                 graph: bool = False) -> list[dict[str, Any]]:
        """Serve ``items`` at ``path`` and return the list, which a test may append to later."""
        route = _ListRoute(items if items is not None else [], page_size, "@odata.nextLink" if graph else "nextLink")
        self._lists[self._key(path)] = route
        return route.items

    def list_items(self, path: str) -> list[dict[str, Any]]:
        return self._lists[self._key(path)].items

    def set_page_size(self, path: str, page_size: int | None) -> None:
        self._lists[self._key(path)].page_size = page_size

    def fail(self, path_regex: str, status: int, times: int = 1, headers: dict[str, str] | None = None,
             code: str | None = None, message: str = "", query: dict[str, str] | None = None) -> None:
        """Make the next ``times`` requests whose path matches ``path_regex`` return ``status``.

        With ``query``, only requests that carry those query parameter values match,
        for example ``{"$skiptoken": "1"}`` for the second page of a list.
        """
        self._failures.append(_Failure(
            re.compile(path_regex, re.IGNORECASE), status, times, dict(headers or {}),
            code or _ERROR_CODES.get(status, f"Http{status}"),
            message or f"the fake server returns {status} for this test", dict(query or {}),
        ))

    def requests_to(self, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex, re.IGNORECASE)
        with self._lock:
            return [request for request in self.requests if pattern.search(request.path)]

    # -- lifecycle ---------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeAzureServer":
        import ssl

        import trustme

        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        self.tls_dir.mkdir(parents=True, exist_ok=True)
        self.ca_path = str(self.tls_dir / "fake-azure-ca.pem")
        authority.cert_pem.write_to_path(self.ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-azure", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeAzureServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- request handling --------------------------------------------------

    def _take_failure(self, path: str, query: dict[str, list[str]]) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.matches(path, query):
                    failure.remaining -= 1
                    return failure
        return None

    def respond(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        """Return (status, headers, JSON body) for one request."""
        failure = self._take_failure(path, query)
        if failure is not None:
            return failure.status, failure.headers, {"error": {"code": failure.code, "message": failure.message}}
        if path.endswith("/.well-known/openid-configuration"):
            return 200, {}, self._openid_configuration(path)
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            with self._lock:
                self.tokens_issued += 1
            return 200, {}, {"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                             "access_token": "fake-access-token"}
        key = self._key(path)
        if method == "GET" and key in self._objects:
            return 200, {}, self._objects[key]
        if method == "GET" and key in self._lists:
            return 200, {}, self._page(path, query, self._lists[key])
        return 404, {}, {"error": {"code": "ResourceNotFound", "message": f"no fake route for {method} {path}"}}

    def _openid_configuration(self, path: str) -> dict[str, Any]:
        tenant = path.strip("/").split("/")[0]
        base = f"{self.url}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "tenant_region_scope": "NA",
        }

    def _page(self, path: str, query: dict[str, list[str]], route: _ListRoute) -> dict[str, Any]:
        start = int((query.get("$skiptoken") or ["0"])[0])
        size = route.page_size or max(1, len(route.items))
        body: dict[str, Any] = {"value": route.items[start:start + size]}
        if start + size < len(route.items):
            params = {name: values[0] for name, values in query.items() if name != "$skiptoken"}
            params["$skiptoken"] = str(start + size)
            body[route.link_field] = f"{self.url}{path}?{urlencode(params)}"
        return body


def _handler_for(server: FakeAzureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Without this every keep-alive response waits for Nagle's algorithm (about 40 ms).
        disable_nagle_algorithm = True

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            with server._lock:
                server.requests.append(RecordedRequest(method, parts.path, query, dict(self.headers.items())))
            status, headers, body = server.respond(method, parts.path, query)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logging
            return

    return Handler
