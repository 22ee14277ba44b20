"""``ztscan scan PROVIDER``: collect a live inventory, evaluate every rule, report."""

from __future__ import annotations

import argparse

from ztscan.app import App
from ztscan.commands import reporting
from ztscan.provider import ConfigurationError
from ztscan.scan import ScanSettings, run_scan

#: Options that belong to the scan itself, not to the provider's collect().
SCAN_OPTIONS = ("timeout", "max_workers", "save_inventory")
#: Options of the scan parser itself, used only without a provider (tenants mode); see ztscan.msp.
TENANT_OPTIONS = ("tenants", "tenant", "shard", "output_dir", "formats", "max_tenants_concurrency",
                  "max_api_concurrency", "tenant_timeout", "tenants_fail_on", "tenants_allow_incomplete")


def register(subparsers: argparse._SubParsersAction, app: App) -> None:
    parser = subparsers.add_parser(
        "scan", help="scan a cloud account, subscription or project",
        usage="ztscan scan PROVIDER [provider options]\n"
              "       ztscan scan --tenants FILE --output-dir DIR [tenant options]",
        description="Collect a live inventory through the provider's read-only APIs, evaluate every rule "
        "and report. Run 'ztscan scan PROVIDER --help' for the provider's options. With --tenants and no "
        "PROVIDER, scan every tenant of a tenants file instead.",
    )
    # Without a provider, 'scan --tenants FILE' scans every tenant of a tenants file (ztscan.msp).
    from ztscan import msp

    msp.add_tenant_arguments(parser, app)
    # Options placed before the provider name land in tenant-mode dests; remember their defaults
    # so that provider mode can reject them instead of silently ignoring them.
    tenant_actions = [(action.dest, action.default, action.option_strings[0])
                      for action in parser._actions if action.dest in TENANT_OPTIONS and action.option_strings]
    parser.set_defaults(handler=msp.run_tenants, tenant_defaults=tenant_actions)
    providers = parser.add_subparsers(dest="provider", metavar="PROVIDER")
    for name, provider in sorted(app.providers.items()):
        sub = providers.add_parser(name, help=provider.description, description=provider.description)
        provider.add_arguments(sub)
        add_scan_arguments(sub)
        sub.add_argument("--save-inventory", metavar="FILE",
                         help="also write the collected inventory as a snapshot file, for 'ztscan evaluate', "
                         "'ztscan diff' and 'ztscan inventory'")
        reporting.add_report_arguments(sub, app)
        sub.set_defaults(handler=run)


def add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("collection")
    group.add_argument("--timeout", type=positive_float, default=3600.0, metavar="SECONDS",
                       help="overall deadline for collection; work not done by then is reported as ERROR "
                       "(default: 3600)")
    group.add_argument("--max-workers", type=positive_int, default=8, metavar="N",
                       help="maximum concurrent API calls (default: 8)")


def positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than 0")
    return number


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than 0")
    return number


def run(args: argparse.Namespace, app: App) -> int:
    if getattr(args, "tenants", None):
        raise ConfigurationError("--tenants scans the clouds listed in the tenants file; "
                                 "give it without a provider: ztscan scan --tenants FILE")
    misplaced = [flag for dest, default, flag in getattr(args, "tenant_defaults", [])
                 if getattr(args, dest, default) != default]
    if misplaced:
        raise ConfigurationError(
            f"{', '.join(misplaced)} given before the provider name applies to tenant mode only; "
            f"put scan options after the provider, for example: ztscan scan {args.provider} {misplaced[0]} ...")
    provider = app.provider(args.provider)
    prepared = reporting.prepare(app, args)
    settings = ScanSettings(rule_patterns=reporting.rule_patterns(args), timeout=args.timeout,
                            max_workers=args.max_workers, strict=args.strict)
    options = provider_options(args)
    inventory, report = run_scan(app, provider, options, settings)
    save_inventory(args, inventory, provider.name)
    return reporting.finish(app, report, args, prepared)


def save_inventory(args: argparse.Namespace, inventory, provider_name: str) -> None:
    if getattr(args, "save_inventory", None):
        from ztscan.snapshot import save_snapshot

        save_snapshot(inventory, args.save_inventory, provider=provider_name)


def provider_options(args: argparse.Namespace) -> dict:
    """Return the parsed options a provider's collect() receives: its own plus nothing of the report's."""
    report_options = {"format", "output", "export", "fail_on", "allow_incomplete", "baseline", "suppressions",
                      "rules", "framework", "controls", "strict", "handler", "command", "provider", "verbose",
                      "tenant_defaults",
                      *SCAN_OPTIONS, *TENANT_OPTIONS}
    return {key: value for key, value in vars(args).items() if key not in report_options}
