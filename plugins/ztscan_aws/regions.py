"""The regions to scan: enabled regions from ec2.describe_regions, narrowed by --regions."""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field
from typing import Sequence

from ztscan.model import ScopeRecord, ScopeState
from ztscan.provider import ConfigurationError

from ztscan_aws.calls import ApiFailure, Target

log = logging.getLogger(__name__)

#: OptInStatus values of regions that accept requests.
ENABLED_STATUSES = {"opt-in-not-required", "opted-in"}


@dataclass
class RegionPlan:
    """The regions to scan, the skipped ones, and the failure that prevented listing them, if any."""

    scan: list[str]
    skipped: list[ScopeRecord] = field(default_factory=list)
    listing_failure: ApiFailure | None = None


def plan_regions(target: Target, requested: Sequence[str] | None) -> RegionPlan:
    """List the account's regions and decide which to scan.

    Raise ConfigurationError when ``requested`` names a region AWS does not know.
    A region that is not enabled is skipped with a ScopeRecord and never called.
    When the listing itself fails, the requested regions (or the session's home
    region) are scanned and the failure is returned for the caller to record.
    """
    requested = [name.strip() for name in requested or [] if name.strip()]
    try:
        regions = target.call("ec2", "DescribeRegions", AllRegions=True)["Regions"]
    except ApiFailure as failure:
        fallback = requested or [target.collection.session.home_region(target.partition)]
        log.warning("could not list regions (%s); scanning %s only", failure.code, ", ".join(fallback))
        return RegionPlan(scan=fallback, listing_failure=failure)

    status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in regions}
    unknown = [name for name in requested if name not in status]
    if unknown:
        close = sorted({match for name in unknown for match in difflib.get_close_matches(name, status, n=2)})
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ConfigurationError(
            f"--regions: unknown AWS region {', '.join(repr(n) for n in unknown)}; {hint}"
            f"valid regions are: {', '.join(sorted(status))}"
        )
    candidates = requested or sorted(status)
    plan = RegionPlan(scan=[])
    for name in candidates:
        if status[name] in ENABLED_STATUSES:
            plan.scan.append(name)
        else:
            reason = f"region is not enabled for this account (OptInStatus {status[name]})"
            plan.skipped.append(ScopeRecord(target.in_region(name).scope, ScopeState.SKIPPED, reason))
    return plan
