"""Credentials: missing, rejected or unknown-profile credentials are configuration errors."""

from __future__ import annotations

import boto3
import pytest

from ztscan.provider import CollectContext, ConfigurationError
from ztscan_aws.provider import AwsProvider
from ztscan_aws.session import AwsSession

from .hooks import inject

SECRET = "wJalrXUtnFEMI-not-a-real-secret-EXAMPLEKEY"


def _collect(options):
    return AwsProvider().collect({"profile": None, "regions": ["us-east-1"], **options}, CollectContext())


def test_missing_credentials(session, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ConfigurationError) as raised:
        _collect({})
    assert "no AWS credentials" in str(raised.value)


def test_unknown_profile(session):
    with pytest.raises(ConfigurationError) as raised:
        _collect({"profile": "clinic-prod"})
    assert "'clinic-prod'" in str(raised.value)


@pytest.mark.parametrize("code", ["ExpiredToken", "InvalidClientTokenId"])
def test_rejected_credentials(session, code):
    rejected = boto3.Session(aws_access_key_id="AKIAEXAMPLEEXAMPLE", aws_secret_access_key=SECRET,
                             region_name="us-east-1")
    inject(rejected, "sts", "GetCallerIdentity", code=code)
    with pytest.raises(ConfigurationError) as raised:
        _collect({"session": rejected})
    assert code in str(raised.value)
    assert SECRET not in str(raised.value)


def test_endpoint_url_used(session):
    aws_session = AwsSession(session, endpoint_url="http://127.0.0.1:5999")
    assert aws_session.client("s3", "us-east-1").meta.endpoint_url == "http://127.0.0.1:5999"


def test_client_cached_per_region(session):
    aws_session = AwsSession(session)
    assert aws_session.client("ec2", "us-east-1") is aws_session.client("ec2", "us-east-1")
    assert aws_session.client("ec2", "us-east-1") is not aws_session.client("ec2", "eu-west-1")


def test_retry_config_bounded(session):
    config = AwsSession(session, max_attempts=3).config
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert config.connect_timeout <= 10
