"""Bucket forms read through google-cloud-storage's Client against the fake server."""

from __future__ import annotations

import pytest

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import by_kind, collect

P = "clinic-prod"
CMEK = "projects/clinic-prod/locations/us/keyRings/storage/cryptoKeys/phi"


@pytest.mark.parametrize(
    "fields, bindings, expected",
    [
        pytest.param({}, {}, {"uniform_access": False, "public_access_blocked": False, "public": False,
                              "key_type": "provider", "versioning": False, "access_logging": False},
                     id="defaults"),
        pytest.param({"iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}}}, {},
                     {"uniform_access": True}, id="uniform-access"),
        pytest.param({"iamConfiguration": {"bucketPolicyOnly": {"enabled": True}}}, {},
                     {"uniform_access": True}, id="bucket-policy-only"),
        pytest.param({"iamConfiguration": {"publicAccessPrevention": "enforced"}}, {},
                     {"public_access_blocked": True}, id="public-access-prevention"),
        pytest.param({"iamConfiguration": {"publicAccessPrevention": "inherited"}}, {},
                     {"public_access_blocked": False}, id="prevention-inherited"),
        pytest.param({}, {"roles/storage.objectViewer": ["allUsers"]}, {"public": True}, id="all-users"),
        pytest.param({}, {"roles/storage.legacyBucketReader": ["allAuthenticatedUsers"]}, {"public": True},
                     id="all-authenticated-users"),
        pytest.param({}, {"roles/storage.objectViewer": ["group:staff@clinic.example"]}, {"public": False},
                     id="group-only"),
        pytest.param({"encryption": {"defaultKmsKeyName": CMEK}}, {},
                     {"key_type": "customer", "encryption": "cloud-kms", "encrypted": True}, id="cmek"),
        pytest.param({"versioning": {"enabled": True}}, {}, {"versioning": True}, id="versioning"),
        pytest.param({"logging": {"logBucket": "clinic-logs", "logObjectPrefix": "phi"}}, {},
                     {"access_logging": True}, id="logging"),
        pytest.param({}, {}, {"tls_enforced": True, "min_tls_version": None}, id="https-only"),
    ],
)
def test_bucket_forms(server, fields, bindings, expected):
    layout = b.ProjectLayout(P, buckets=[b.bucket("phi", **fields)],
                             bucket_policies={"phi": b.policy(bindings)})
    layout.install(server)
    facts = by_kind(collect(server), "storage.bucket")["phi"].facts
    for name, value in expected.items():
        assert facts[name] == value, name


def test_bucket_id_and_region(server):
    b.ProjectLayout(P, buckets=[b.bucket("phi", location="US-CENTRAL1")]).install(server)
    bucket = by_kind(collect(server), "storage.bucket")["phi"]
    assert bucket.id == "//storage.googleapis.com/projects/_/buckets/phi"
    assert bucket.scope.region == "us-central1"


def test_bucket_list_paging(server):
    layout = b.ProjectLayout(P, buckets=[b.bucket(f"phi-{i}") for i in range(5)])
    layout.install(server)
    server.set_list("/storage/v1/b", layout.buckets, page_size=2, query={"project": P})
    buckets = by_kind(collect(server), "storage.bucket")
    assert sorted(buckets) == [f"phi-{i}" for i in range(5)]


def test_bucket_policy_denied_leaves_public_out(server):
    b.ProjectLayout(P, buckets=[b.bucket("phi"), b.bucket("open")]).install(server)
    server.fail("/storage/v1/b/phi/iam", 403)
    inventory = collect(server)
    buckets = by_kind(inventory, "storage.bucket")
    assert "public" not in buckets["phi"].facts
    assert buckets["open"].facts["public"] is False
    error = next(e for e in inventory.errors if e.operation == "buckets.getIamPolicy")
    assert error.resource_id == buckets["phi"].id
    assert error.facts == ("public",)
