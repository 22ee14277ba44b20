"""Audit logging rules: account-wide audit trails, data access events and bucket access logs.

Named ``audit`` rather than ``logging`` so that it never shadows the standard library module.
"""

from __future__ import annotations

from ztscan.model import MissingFact, Outcome, Resource, failed, not_applicable, passed
from ztscan.rules.base import InventoryIndex, rule

_TRAIL_FACTS = ("multi_region", "logging", "log_validation")
_TRAIL_PROBLEMS = {"multi_region": "not multi-region", "logging": "not logging", "log_validation": "log validation off"}


def _trail_label(trail: Resource) -> str:
    return repr(trail.name or trail.id)


def _trail_problems(trail: Resource) -> list[str]:
    """List what keeps one trail from counting; log_validation None means the platform has no such feature."""
    problems = [_TRAIL_PROBLEMS[fact] for fact in ("multi_region", "logging") if not trail.fact(fact)]
    if trail.fact("log_validation") is False:
        problems.append(_TRAIL_PROBLEMS["log_validation"])
    return problems


@rule("ZT-LOG-001", "account", reads={"audit.trail": _TRAIL_FACTS})
def audit_trail_multi_region(resource: Resource, index: InventoryIndex) -> Outcome:
    trails = index.related(resource, "audit.trail")
    if not trails:
        return failed("no audit trail in this account", trails=[])
    problems = []
    missing: MissingFact | None = None
    for trail in trails:
        try:
            wrong = _trail_problems(trail)
        except MissingFact as exc:
            missing = missing or exc
            continue
        if not wrong:
            validation = "validating log files" if trail.fact("log_validation") else \
                "on a platform without log file validation"
            return passed(f"trail {_trail_label(trail)} is multi-region and logging, {validation}",
                          trail=trail.id, log_validation=trail.fact("log_validation"))
        problems.append(f"trail {_trail_label(trail)} {', '.join(wrong)}")
    if missing is not None:
        # A trail whose settings were not collected might be the compliant one.
        raise missing
    return failed("no trail is multi-region, logging and validating log files: " + "; ".join(problems),
                  trails=[trail.id for trail in trails])


@rule("ZT-LOG-002", "storage.bucket", facts=("access_logging",))
def bucket_access_logging(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("access_logging"):
        return passed("access logging is on", access_logging=True)
    return failed("access logging is off", access_logging=False)


@rule("ZT-LOG-003", "account", reads={"audit.trail": ("logging", "data_access_events")})
def audit_data_access_events(resource: Resource, index: InventoryIndex) -> Outcome:
    trails = index.related(resource, "audit.trail")
    if not trails:
        return failed("no audit trail in this account records data access events", trails=[])
    unsupported = 0
    missing: MissingFact | None = None
    for trail in trails:
        try:
            data_events = trail.fact("data_access_events")
            if data_events is None:
                unsupported += 1
            elif data_events and trail.fact("logging"):
                return passed(f"trail {_trail_label(trail)} is logging data access events", trail=trail.id)
        except MissingFact as exc:
            missing = missing or exc
    if missing is not None:
        raise missing
    if unsupported == len(trails):
        return not_applicable("the platform's audit trails have no data access event setting")
    return failed("no logging audit trail records data access events",
                  trails=[trail.id for trail in trails])


RULES = (
    audit_trail_multi_region,
    bucket_access_logging,
    audit_data_access_events,
)
