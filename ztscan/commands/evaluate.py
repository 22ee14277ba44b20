"""``ztscan evaluate SNAPSHOT``: evaluate today's rules over a saved snapshot, offline, and report like ``scan``."""

from __future__ import annotations

import argparse
from typing import Any

from ztscan.app import App
from ztscan.commands import reporting
from ztscan.provider import ConfigurationError
from ztscan.report import Report
from ztscan.rules import clock
from ztscan.scan import evaluate_inventory
from ztscan.snapshot import Snapshot, read_snapshot, signing_key_from_env

EVALUATION_TIMES = ("collected", "now")


def register(subparsers: argparse._SubParsersAction, app: App) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="evaluate the rules over a snapshot file, offline",
        description="Evaluate the rules of this ztscan over a snapshot written by 'ztscan collect' or "
        "'ztscan scan --save-inventory', without contacting any cloud. Options, outputs and exit codes "
        "are those of 'ztscan scan'.",
    )
    parser.add_argument("snapshot", metavar="SNAPSHOT", help="the snapshot file")
    add_snapshot_reading_arguments(parser)
    reporting.add_report_arguments(parser, app)
    parser.set_defaults(handler=run)


def add_snapshot_reading_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("snapshot")
    group.add_argument("--signing-key-env", metavar="NAME",
                       help="require a valid HMAC-SHA256 signature, keyed with the secret in environment variable NAME")
    group.add_argument("--evaluation-time", choices=EVALUATION_TIMES, default="collected",
                       help="the time that age limits (key and credential age) are measured at: when the "
                       "snapshot was collected, or now (default: collected)")


def evaluate_snapshot(app: App, snapshot: Snapshot, rule_patterns: list[str] | None, evaluation_time: str,
                      strict: bool = False, metadata: dict[str, Any] | None = None) -> Report:
    """Evaluate the selected rules over a loaded snapshot and return the report."""
    rules = app.select_rules(rule_patterns)
    inventory = snapshot.inventory
    run_metadata = {"provider": snapshot.provider, **(metadata or {})}
    moment = inventory.finished_at or snapshot.created_at
    if evaluation_time == "collected" and moment:
        try:
            collected_at = clock.parse_time(moment)
        except ValueError:
            raise ConfigurationError(f"the snapshot's collection time {moment!r} is not an ISO 8601 time; "
                                     "pass --evaluation-time now to measure ages from the current time") from None
        # The pin is a context variable, so it affects only this evaluation.
        with clock.frozen(collected_at):
            return evaluate_inventory(app, inventory, rules, run_metadata, strict=strict)
    return evaluate_inventory(app, inventory, rules, run_metadata, strict=strict)


def run(args: argparse.Namespace, app: App) -> int:
    snapshot = read_snapshot(args.snapshot, signing_key=signing_key_from_env(args.signing_key_env))
    metadata = {"snapshot": {"file": args.snapshot, "created_at": snapshot.created_at,
                             "format_version": snapshot.format_version, "tool_version": snapshot.tool_version,
                             "signature_verified": snapshot.signature_verified},
                "evaluation_time": args.evaluation_time}
    report = evaluate_snapshot(app, snapshot, reporting.rule_patterns(args), args.evaluation_time,
                               strict=args.strict, metadata=metadata)
    return reporting.finish(app, report, args)
