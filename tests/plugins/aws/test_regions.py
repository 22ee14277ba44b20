"""Region planning: opt-in status, --regions narrowing and unknown names."""

from __future__ import annotations

import pytest

from ztscan.model import ScopeState
from ztscan.provider import ConfigurationError
from ztscan_aws.regions import plan_regions

from .hooks import CallRecorder, collect_with, inject, response, scan

#: A recorded DescribeRegions response (trimmed) from an account with one opt-in region left disabled.
RECORDED_REGIONS = {"Regions": [
    {"RegionName": "us-east-1", "Endpoint": "ec2.us-east-1.amazonaws.com", "OptInStatus": "opt-in-not-required"},
    {"RegionName": "eu-south-1", "Endpoint": "ec2.eu-south-1.amazonaws.com", "OptInStatus": "opted-in"},
    {"RegionName": "af-south-1", "Endpoint": "ec2.af-south-1.amazonaws.com", "OptInStatus": "not-opted-in"},
]}


def _plan(session, requested):
    plans = []
    collect_with(session, lambda target: plans.append(plan_regions(target, requested)), region="global")
    return plans[0]


def test_not_opted_in_skipped(session):
    inject(session, "ec2", "DescribeRegions", parsed=RECORDED_REGIONS)

    plan = _plan(session, None)

    assert plan.scan == ["eu-south-1", "us-east-1"]
    assert [record.scope.region for record in plan.skipped] == ["af-south-1"]
    assert plan.skipped[0].state is ScopeState.SKIPPED
    assert "not-opted-in" in plan.skipped[0].reason


def test_requested_disabled_region_skipped(session):
    inject(session, "ec2", "DescribeRegions", parsed=RECORDED_REGIONS)

    plan = _plan(session, ["us-east-1", "af-south-1"])

    assert plan.scan == ["us-east-1"]
    assert [record.scope.region for record in plan.skipped] == ["af-south-1"]


def test_unknown_region_rejected(session):
    with pytest.raises(ConfigurationError) as raised:
        _plan(session, ["us-east-1", "mars-north-1"])
    assert "mars-north-1" in str(raised.value)
    assert "eu-west-1" in str(raised.value)


def test_scan_never_calls_skipped_region(session):
    """moto itself reports opt-in regions such as me-south-1 as not opted in."""
    recorder = CallRecorder(session)

    inventory = scan(session, regions=["us-east-1", "me-south-1"])

    skipped = [r for r in inventory.scopes if r.state is ScopeState.SKIPPED]
    assert [r.scope.region for r in skipped] == ["me-south-1"]
    scanned = {r.scope.region for r in inventory.scopes if r.state is ScopeState.SCANNED}
    assert scanned == {"global", "us-east-1"}
    assert "us-east-1" in recorder.regions
    assert "me-south-1" not in recorder.regions
    assert inventory.metadata["skipped_regions"] == ["me-south-1"]
    assert all(e.scope.region != "me-south-1" for e in inventory.errors)


def test_region_listing_denied(session):
    inject(session, "ec2", "DescribeRegions", code="UnauthorizedOperation")

    inventory = scan(session, regions=None)

    kinds = {e.kind for e in inventory.errors if e.operation == "DescribeRegions"}
    assert "network.firewall" in kinds
    assert all(e.scope.region == "global" for e in inventory.errors if e.operation == "DescribeRegions")
    assert inventory.metadata["regions"] == ["us-east-1"]


def test_response_helper_status():
    http, parsed = response(200, {"Regions": []})
    assert http.status_code == 200
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 200
