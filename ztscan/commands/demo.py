"""``ztscan demo``: scan a simulated clinic's AWS account, built in process, with no credentials or network."""

from __future__ import annotations

import argparse

from ztscan.app import App
from ztscan.commands import reporting
from ztscan.commands.scan import save_inventory
from ztscan.scan import ScanSettings, run_scan

BANNER = (
    "SIMULATED ACCOUNT: this is ztscan's demo. The AWS account below is a fictional clinic built in memory "
    "with moto; no cloud account, credentials or network were used."
)


def register(subparsers: argparse._SubParsersAction, app: App) -> None:
    parser = subparsers.add_parser(
        "demo", help="scan a simulated clinic's AWS account (no credentials, no network)",
        description="Build a simulated clinic's AWS account in memory with moto and scan it through exactly "
        "the same code path as 'ztscan scan aws'. Needs the 'demo' extra: pip install 'ztscan[demo]'.",
    )
    reporting.add_report_arguments(parser, app, fail_on_default="none")
    parser.add_argument("--save-inventory", metavar="FILE",
                        help="also write the simulated inventory as a snapshot file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: App) -> int:
    provider = app.provider("aws")
    prepared = reporting.prepare(app, args)
    from ztscan_aws.demo import simulated_clinic

    settings = ScanSettings(rule_patterns=reporting.rule_patterns(args), timeout=600.0, strict=args.strict)
    if args.format == "table" and not args.output:
        app.out.write(BANNER + "\n\n")
    else:
        app.err.write(BANNER + "\n")
    with simulated_clinic() as options:
        inventory, report = run_scan(app, provider, options, settings, metadata={"simulated": True, "demo": True})
    # The snapshot keeps the label, so a report from 'ztscan evaluate' on it still marks the account as simulated.
    inventory.metadata["simulated"] = True
    save_inventory(args, inventory, provider.name)
    return reporting.finish(app, report, args, prepared)
