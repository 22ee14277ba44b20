"""CloudTrail trails homed in a region, with their logging status and event selectors."""

from __future__ import annotations

from typing import Any

from ztscan_aws.calls import ApiFailure, Target

TRAIL = "audit.trail"


def collect_trails(target: Target) -> None:
    """Add the trails whose home region is the target's region.

    NOTE: an organization trail owned by the management account appears in member
    accounts only as a shadow trail, which this collector does not list.
    """
    try:
        trails = target.call("cloudtrail", "DescribeTrails", includeShadowTrails=False).get("trailList", [])
    except ApiFailure as failure:
        target.record(failure, TRAIL)
        return
    for trail in trails:
        if trail.get("HomeRegion", target.region) != target.region:
            continue
        arn = trail["TrailARN"]
        facts: dict[str, Any] = {
            "multi_region": bool(trail.get("IsMultiRegionTrail")),
            "log_validation": bool(trail.get("LogFileValidationEnabled")),
        }
        try:
            facts["logging"] = bool(target.call("cloudtrail", "GetTrailStatus", Name=arn).get("IsLogging"))
        except ApiFailure as failure:
            target.record(failure, TRAIL, ("logging",), arn)
        try:
            facts.update(selector_facts(target.call("cloudtrail", "GetEventSelectors", TrailName=arn)))
        except ApiFailure as failure:
            target.record(failure, TRAIL, ("management_events", "data_access_events"), arn)
        target.add(TRAIL, arn, trail.get("Name", arn), facts)


def selector_facts(response: dict[str, Any]) -> dict[str, bool]:
    """Return whether basic or advanced event selectors record management and data events."""
    basic = response.get("EventSelectors") or []
    advanced = response.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        # A trail created without selectors records management events, the CloudTrail default
        # (moto 5.2 returns both lists empty for such a trail).
        return {"management_events": True, "data_access_events": False}
    management = any(s.get("IncludeManagementEvents", True) for s in basic)
    data = any(s.get("DataResources") for s in basic)
    for selector in advanced:
        for field in selector.get("FieldSelectors", []):
            if field.get("Field") == "eventCategory":
                management = management or "Management" in field.get("Equals", [])
                data = data or "Data" in field.get("Equals", [])
    return {"management_events": management, "data_access_events": data}
