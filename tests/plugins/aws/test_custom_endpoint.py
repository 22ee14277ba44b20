"""A custom endpoint (moto's server on 127.0.0.1): the account-level public access block is read.

botocore's S3 Control endpoint rules put the account id in front of the host even
for a custom endpoint, so without the session's fix the request would go to
``http://ACCOUNT.127.0.0.1:PORT`` and fail.
"""

from __future__ import annotations

import pytest

from ztscan.provider import CollectContext
from ztscan_aws.session import AwsSession

from .hooks import ACCOUNT, REGION, by_name

ALL_FLAGS = {"BlockPublicAcls": "true", "IgnorePublicAcls": "true", "BlockPublicPolicy": "true",
             "RestrictPublicBuckets": "true"}


@pytest.fixture
def endpoint(aws_env):
    """A moto server on 127.0.0.1 holding one bucket and an account-level block with every flag set."""
    import boto3
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.s3control.models import s3control_backends

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.Session(region_name=REGION).client("s3", endpoint_url=url).create_bucket(Bucket="clinic-remote")
    s3control_backends[ACCOUNT]["aws"].put_public_access_block(ACCOUNT, ALL_FLAGS)
    try:
        yield url
    finally:
        s3control_backends[ACCOUNT]["aws"].public_access_block = None
        boto3.Session(region_name=REGION).client("s3", endpoint_url=url).delete_bucket(Bucket="clinic-remote")
        server.stop()


@pytest.mark.parametrize("source", ["option", "environment"])
def test_account_block_read(endpoint, monkeypatch, source):
    import boto3
    from ztscan.model import Inventory
    from ztscan_aws.calls import Collection
    from ztscan_aws.s3 import collect_buckets
    from ztscan_aws.session import Identity

    if source == "environment":
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    aws_session = AwsSession(boto3.Session(region_name=REGION), endpoint if source == "option" else None)
    inventory = Inventory()
    identity = Identity(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/scanner", "aws")
    collection = Collection(aws_session, CollectContext(max_workers=2), identity, inventory)
    try:
        collect_buckets(collection.target("global"), {REGION})
    finally:
        collection.close()
    bucket = by_name(inventory, "storage.bucket")["clinic-remote"]

    assert [e for e in inventory.errors if e.service == "s3control"] == []
    assert bucket.facts["public_access_blocked"] is True
    assert bucket.facts["public"] is False


def test_host_prefix_only_with_endpoint(aws_env):
    import boto3

    plain = AwsSession(boto3.Session(region_name=REGION))
    custom = AwsSession(boto3.Session(region_name=REGION), endpoint_url="http://127.0.0.1:9")

    assert plain.config.inject_host_prefix is not False
    assert custom.config.inject_host_prefix is False
