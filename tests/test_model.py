from __future__ import annotations

import pytest

from ztscan.model import (
    GLOBAL,
    CollectionError,
    Finding,
    MissingFact,
    Resource,
    Scope,
    ScopeRecord,
    ScopeState,
    Severity,
    Status,
)


def test_absent_fact_raises_missing_fact():
    resource = Resource("storage.volume", "vol-1", Scope("aws", "1", "us-east-1"), facts={"key_type": None})
    assert resource.fact("key_type") is None
    with pytest.raises(MissingFact) as caught:
        resource.fact("encrypted")
    assert caught.value.fact == "encrypted"


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (Scope("aws", "1", GLOBAL), Scope("aws", "1", "eu-west-1"), True),
        (Scope("aws", "1", "eu-west-1"), Scope("aws", "1", "eu-west-1"), True),
        (Scope("aws", "1", "eu-west-1"), Scope("aws", "1", GLOBAL), False),
        (Scope("aws", "1", GLOBAL), Scope("aws", "2", "eu-west-1"), False),
        (Scope("aws", "1", GLOBAL), Scope("gcp", "1", "eu-west-1"), False),
    ],
)
def test_scope_covers(outer, inner, expected):
    assert outer.covers(inner) is expected


def test_severity_order():
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert Severity.HIGH.at_least(Severity.HIGH)
    assert not Severity.LOW.at_least(Severity.MEDIUM)


def test_round_trips_through_dicts():
    scope = Scope("aws", "111122223333", "us-east-1")
    resource = Resource("storage.bucket", "arn:aws:s3:::b", scope, "b", {"encrypted": True, "key_type": None},
                        {"ephi": "true"})
    assert Resource.from_dict(resource.to_dict()) == resource
    error = CollectionError(scope, "s3", "GetBucketPolicy", "AccessDenied", "denied", "storage.bucket",
                            ("tls_enforced",), "arn:aws:s3:::b")
    assert CollectionError.from_dict(error.to_dict()) == error
    record = ScopeRecord(scope, ScopeState.SKIPPED, "region not enabled")
    assert ScopeRecord.from_dict(record.to_dict()) == record
    finding = Finding("ZT-DAT-001", Status.MUTED, Severity.HIGH, scope, "arn:aws:s3:::b", "storage.bucket", "b",
                      "muted", {"x": 1}, Status.FAIL, {"reason": "accepted"})
    assert Finding.from_dict(finding.to_dict()) == finding
    assert finding.effective_status is Status.FAIL


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("a, b,,c ", ["a", "b", "c"], id="comma-string"),
        pytest.param(["a", " b", ""], ["a", "b"], id="list"),
        pytest.param(None, [], id="none"),
        pytest.param("", [], id="empty"),
    ],
)
def test_split_list(value, expected):
    from ztscan.provider import split_list

    assert split_list(value) == expected
