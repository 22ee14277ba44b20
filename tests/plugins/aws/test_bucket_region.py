"""Bucket regions from the ListBuckets listing: no GetBucketLocation per bucket when S3 names the region.

S3 includes ``BucketRegion`` for each bucket when ListBuckets carries any
parameter; ztscan sends MaxBuckets for that. moto 5.2.5 leaves the element out,
so the server here is moto on 127.0.0.1 behind a small WSGI layer that adds it
to the listing, as S3 does, for the buckets the test names. A bucket without it
still gets its region from GetBucketLocation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from ztscan.provider import CollectContext
from ztscan_aws.session import AwsSession

from tests.moto_wsgi import LayeredMotoServer, moto_session

from .hooks import ACCOUNT, REGION, by_name

OTHER_REGION = "eu-west-1"
BUCKETS = {"clinic-records": REGION, "clinic-dr-copies": OTHER_REGION}


class RegionInListing:
    """WSGI layer: adds ``<BucketRegion>`` to ListBuckets responses that S3 would give it, and logs requests."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.regions: dict[str, str] = {}
        self.requests: list[tuple[str, str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path, query = environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        self.requests.append((method, path, query))
        if method != "GET" or path not in ("", "/") or "max-buckets=" not in query:
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda data: None

        text = b"".join(self.app(environ, capture)).decode("utf-8")
        for name, region in self.regions.items():
            text = text.replace(f"<Name>{name}</Name>", f"<Name>{name}</Name><BucketRegion>{region}</BucketRegion>")
        data = text.encode("utf-8")
        headers = [(key, value) for key, value in captured["headers"] if key.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]

    def location_requests(self) -> list[str]:
        """Return the test's buckets whose GetBucketLocation was requested, in order.

        moto's backends are shared by the whole test process, so the account may
        also hold other tests' buckets; those are left out.
        """
        return [path.strip("/") for method, path, query in self.requests
                if method == "GET" and query.split("&")[0].split("=")[0] == "location" and path.strip("/") in BUCKETS]


@pytest.fixture
def server(aws_env: None) -> Iterator[tuple[str, RegionInListing]]:
    layers: list[RegionInListing] = []

    def wrap(app: Callable[..., Iterable[bytes]]) -> RegionInListing:
        layers.append(RegionInListing(app))
        return layers[0]

    moto = LayeredMotoServer(wrap)
    s3 = moto_session(moto.url).client("s3", endpoint_url=moto.url)
    for name, region in BUCKETS.items():
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **extra)
    try:
        yield moto.url, layers[0]
    finally:
        for name in BUCKETS:
            s3.delete_bucket(Bucket=name)
        moto.stop()


def _collect(url: str) -> Any:
    import boto3
    from ztscan.model import Inventory
    from ztscan_aws.calls import Collection
    from ztscan_aws.s3 import collect_buckets
    from ztscan_aws.session import Identity

    inventory = Inventory()
    identity = Identity(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/scanner", "aws")
    collection = Collection(AwsSession(boto3.Session(region_name=REGION), url), CollectContext(max_workers=2),
                            identity, inventory)
    try:
        collect_buckets(collection.target("global"), {REGION, OTHER_REGION})
    finally:
        collection.close()
    return inventory


def _regions(inventory: Any) -> dict[str, str]:
    """Return the region of each of the test's buckets in the inventory."""
    return {name: bucket.scope.region for name, bucket in by_name(inventory, "storage.bucket").items()
            if name in BUCKETS}


def test_listed_region_skips_location(server: tuple[str, RegionInListing]) -> None:
    url, layer = server
    layer.regions = dict(BUCKETS)
    inventory = _collect(url)
    assert layer.location_requests() == []
    assert _regions(inventory) == BUCKETS
    assert not inventory.errors


def test_unlisted_region_located(server: tuple[str, RegionInListing]) -> None:
    url, layer = server
    layer.regions = {"clinic-records": REGION}
    inventory = _collect(url)
    assert layer.location_requests() == ["clinic-dr-copies"]
    assert _regions(inventory) == BUCKETS


def test_plain_listing_locates_all(server: tuple[str, RegionInListing]) -> None:
    url, layer = server
    inventory = _collect(url)
    assert sorted(layer.location_requests()) == sorted(BUCKETS)
    assert _regions(inventory) == BUCKETS
