"""The provider: options, deadline handling, collector crashes and metadata."""

from __future__ import annotations

import argparse
import time

import pytest

from ztscan.model import ScopeState
from ztscan_aws.provider import REGIONAL_KINDS, AwsProvider

from .hooks import inject, scan


def test_regions_option_split():
    parser = argparse.ArgumentParser()
    AwsProvider().add_arguments(parser)
    options = parser.parse_args(["--profile", "audit", "--regions", "us-east-1, eu-west-1"])
    assert options.regions == ["us-east-1", "eu-west-1"]
    assert options.profile == "audit"


def test_expired_deadline_records_errors(session):
    inventory = scan(session, deadline=time.monotonic() - 1)

    assert inventory.resources == []
    codes = {e.code for e in inventory.errors}
    assert codes == {"DeadlineExceeded"}
    kinds = {e.kind for e in inventory.errors}
    assert set(REGIONAL_KINDS) <= kinds
    assert {"identity.user", "storage.bucket", "account"} <= kinds


def test_collector_crash_recorded(session):
    # A response missing VpcId makes the network collector fail with KeyError.
    inject(session, "ec2", "DescribeVpcs", parsed={"Vpcs": [{"CidrBlock": "10.0.0.0/16"}]})

    inventory = scan(session)

    crashes = [e for e in inventory.errors if e.operation == "collect"]
    assert len(crashes) == 1
    assert crashes[0].kind == "network"
    assert crashes[0].code == "KeyError"
    assert crashes[0].facts == ()
    assert crashes[0].scope.region == "us-east-1"
    assert any(r.kind == "network.firewall" for r in inventory.resources)


def test_collector_crash_strict_raises(session):
    inject(session, "ec2", "DescribeVpcs", parsed={"Vpcs": [{"CidrBlock": "10.0.0.0/16"}]})
    with pytest.raises(KeyError):
        scan(session, strict=True)


def test_inventory_metadata(session):
    inventory = scan(session)

    assert inventory.metadata["account"] == "123456789012"
    assert inventory.metadata["partition"] == "aws"
    assert inventory.metadata["regions"] == ["us-east-1"]
    assert inventory.started_at <= inventory.finished_at
    assert inventory.started_at.endswith("+00:00")
    assert [r.state for r in inventory.scopes] == [ScopeState.SCANNED, ScopeState.SCANNED]
    assert inventory.errors == []
