"""Audit logging rules: account trails, data access events, bucket access logs."""

from __future__ import annotations

import pytest

from ztscan.engine import evaluate
from ztscan.model import GLOBAL, CollectionError, Inventory, Resource, Scope, Severity, Status
from ztscan.rules import audit
from ztscan.rules.base import InventoryIndex

ACCOUNT = Scope("test", "acct", GLOBAL)
EAST = Scope("test", "acct", "east")
OTHER = Scope("test", "other", "east")


def account():
    return Resource("account", "acct", ACCOUNT, name="acct", facts={"display_name": "clinic"})


def trail(name, scope=EAST, **facts):
    return Resource("audit.trail", f"trail/{name}", scope, name=name, facts=facts)


def good(name="main", scope=EAST):
    return trail(name, scope, multi_region=True, logging=True, log_validation=True)


def evaluate_account(rule, trails):
    target = account()
    return rule.check(target, InventoryIndex([target, *trails]))


TRAIL_CASES = [
    pytest.param([good()], Status.PASS, id="one-good-trail"),
    pytest.param([], Status.FAIL, id="no-trails"),
    pytest.param([trail("t", multi_region=False, logging=True, log_validation=True)], Status.FAIL,
                 id="single-region"),
    pytest.param([trail("t", multi_region=True, logging=False, log_validation=True)], Status.FAIL, id="stopped"),
    pytest.param([trail("t", multi_region=True, logging=True, log_validation=False)], Status.FAIL,
                 id="no-validation"),
    pytest.param([trail("a", multi_region=True, logging=True, log_validation=False),
                  trail("b", multi_region=False, logging=True, log_validation=True)], Status.FAIL,
                 id="two-partial-trails"),
    pytest.param([trail("a", multi_region=False, logging=False, log_validation=False), good("b")], Status.PASS,
                 id="one-good-among-bad"),
    pytest.param([good("elsewhere", OTHER)], Status.FAIL, id="trail-in-other-account"),
    pytest.param([trail("activity-log", ACCOUNT, multi_region=True, logging=True, log_validation=None)],
                 Status.PASS, id="no-validation-feature"),
    pytest.param([trail("activity-log", ACCOUNT, multi_region=True, logging=False, log_validation=None)],
                 Status.FAIL, id="no-validation-feature-not-logging"),
]


@pytest.mark.parametrize(("trails", "expected"), TRAIL_CASES)
def test_audit_trail_multi_region(trails, expected):
    assert evaluate_account(audit.audit_trail_multi_region, trails).status is expected


def test_audit_trail_message_lists_problems():
    outcome = evaluate_account(audit.audit_trail_multi_region,
                               [trail("t", multi_region=False, logging=True, log_validation=False)])
    assert outcome.message == ("no trail is multi-region, logging and validating log files: "
                               "trail 't' not multi-region, log validation off")


def test_no_validation_feature_message():
    outcome = evaluate_account(audit.audit_trail_multi_region,
                               [trail("activity-log", ACCOUNT, multi_region=True, logging=True, log_validation=None)])
    assert outcome.message == ("trail 'activity-log' is multi-region and logging, "
                               "on a platform without log file validation")


def test_missing_trail_fact_is_error():
    inventory = Inventory(resources=[account(), trail("t", multi_region=False, logging=True)])
    inventory.errors.append(CollectionError(EAST, "cloudtrail", "GetTrailStatus", "AccessDenied", "denied",
                                            "audit.trail", facts=("log_validation",)))
    [finding] = evaluate(inventory, [audit.audit_trail_multi_region], {"ZT-LOG-001": Severity.HIGH})
    assert finding.status is Status.ERROR


def test_good_trail_passes_despite_other_missing_fact():
    outcome = evaluate_account(audit.audit_trail_multi_region, [trail("broken", logging=True), good()])
    assert outcome.status is Status.PASS


def test_trail_listing_error_is_error():
    inventory = Inventory(resources=[account(), good()])
    inventory.errors.append(CollectionError(EAST, "cloudtrail", "DescribeTrails", "AccessDenied", "denied",
                                            "audit.trail"))
    [finding] = evaluate(inventory, [audit.audit_trail_multi_region], {"ZT-LOG-001": Severity.HIGH})
    assert finding.status is Status.ERROR


DATA_EVENT_CASES = [
    pytest.param([trail("t", logging=True, data_access_events=True)], Status.PASS, id="data-events-on"),
    pytest.param([trail("t", logging=True, data_access_events=False)], Status.FAIL, id="data-events-off"),
    pytest.param([trail("t", logging=False, data_access_events=True)], Status.FAIL, id="trail-stopped"),
    pytest.param([trail("t", logging=True, data_access_events=None)], Status.NOT_APPLICABLE, id="no-setting"),
    pytest.param([], Status.FAIL, id="no-trails"),
]


@pytest.mark.parametrize(("trails", "expected"), DATA_EVENT_CASES)
def test_audit_data_access_events(trails, expected):
    assert evaluate_account(audit.audit_data_access_events, trails).status is expected


def test_data_access_missing_fact_raises():
    from ztscan.model import MissingFact

    with pytest.raises(MissingFact):
        evaluate_account(audit.audit_data_access_events, [trail("t", logging=True)])


@pytest.mark.parametrize(("enabled", "expected"), [
    pytest.param(True, Status.PASS, id="on"), pytest.param(False, Status.FAIL, id="off")])
def test_bucket_access_logging(enabled, expected):
    bucket = Resource("storage.bucket", "b", EAST, facts={"access_logging": enabled})
    assert audit.bucket_access_logging.check(bucket, None).status is expected
