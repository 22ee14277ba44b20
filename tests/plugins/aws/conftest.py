"""Fixtures for the AWS provider tests: fake credentials and moto in process."""

from __future__ import annotations

import pytest

from .hooks import REGION


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    # Keep the tests from reading the developer's AWS files.
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/ztscan-test-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/ztscan-test-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def botocore_loader():
    """One botocore data loader for the whole run, so service models are parsed once, not per test."""
    from botocore.loaders import create_loader

    return create_loader()


@pytest.fixture
def session(aws_env: None, botocore_loader):
    """A boto3 session whose calls go to moto's in-process backend."""
    import boto3
    import botocore.session
    from moto import mock_aws

    core = botocore.session.get_session()
    core.register_component("data_loader", botocore_loader)
    with mock_aws():
        yield boto3.Session(botocore_session=core, region_name=REGION)
