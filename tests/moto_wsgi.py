"""Test helpers: fake AWS credentials in the environment, and moto's server behind a WSGI layer of the test.

The layer receives every HTTP request before moto does, so a test can delay
requests, count them or rewrite responses the way the real service would.
The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import pytest

WsgiApp = Callable[..., Iterable[bytes]]


def fake_aws_environment(patch: pytest.MonkeyPatch) -> None:
    """Set fake credentials and us-east-1, and keep botocore away from the developer's AWS files and metadata."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN"):
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    patch.setenv("AWS_CONFIG_FILE", "/nonexistent/ztscan-test-config")
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ztscan-test-credentials")
    patch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class LayeredMotoServer:
    """moto's ThreadedMotoServer on 127.0.0.1, serving ``wrap(moto's WSGI application)``."""

    def __init__(self, wrap: Callable[[WsgiApp], WsgiApp]):
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        application = wrap(DomainDispatcherApplication(create_backend_app))

        class Server(ThreadedMotoServer):
            def _server_entry(self) -> None:
                self._server = make_server(self._ip_address, self._port, application, True,
                                           request_handler=MotoRequestHandler)
                self._server_ready_event.set()
                self._server.serve_forever(poll_interval=0.02)

        self._server = Server(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()


def moto_session(url: str, account: str | None = None) -> Any:
    """Return a boto3 session in ``account`` of the server at ``url`` (moto maps assumed roles to their account)."""
    import boto3

    hub = boto3.Session(region_name="us-east-1")
    if account is None:
        return hub
    credentials = hub.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/Setup", RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name="us-east-1")
