"""``ztscan collect PROVIDER``: collect a live inventory and write it as a snapshot file, without evaluating rules."""

from __future__ import annotations

import argparse
import time

from ztscan.app import App
from ztscan.commands.scan import add_scan_arguments, provider_options
from ztscan.provider import CollectContext
from ztscan.report import ExitCode
from ztscan.scan import collect
from ztscan.snapshot import save_snapshot, signing_key_from_env

#: Options of this command that are not the provider's.
COLLECT_OPTIONS = ("signing_key_env",)


def register(subparsers: argparse._SubParsersAction, app: App) -> None:
    parser = subparsers.add_parser(
        "collect", help="collect an inventory and save it as a snapshot file for 'ztscan evaluate'",
        description="Collect a live inventory through the provider's read-only APIs and write it as a "
        "compressed snapshot file (format: docs/snapshots.md). No rule is evaluated. "
        "Run 'ztscan collect PROVIDER --help' for the provider's options.",
    )
    providers = parser.add_subparsers(dest="provider", metavar="PROVIDER")
    providers.required = True
    for name, provider in sorted(app.providers.items()):
        sub = providers.add_parser(name, help=provider.description, description=provider.description)
        provider.add_arguments(sub)
        add_scan_arguments(sub)
        add_snapshot_arguments(sub)
        sub.set_defaults(handler=run)


def add_snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("snapshot")
    group.add_argument("--output", required=True, metavar="FILE",
                       help="write the snapshot to FILE (atomically); the conventional suffix is .ztsnap.json.gz")
    group.add_argument("--signing-key-env", metavar="NAME",
                       help="sign the snapshot with HMAC-SHA256, keyed with the secret in environment variable NAME")
    group.add_argument("--allow-incomplete", action="store_true",
                       help="exit with 0 instead of 3 when some data could not be collected; the snapshot "
                       "records the collection errors either way")


def run(args: argparse.Namespace, app: App) -> int:
    provider = app.provider(args.provider)
    key = signing_key_from_env(args.signing_key_env)
    options = {name: value for name, value in provider_options(args).items() if name not in COLLECT_OPTIONS}
    deadline = time.monotonic() + args.timeout if args.timeout else None
    context = CollectContext(deadline=deadline, max_workers=args.max_workers, strict=bool(getattr(args, "strict", False)))
    inventory = collect(provider, options, context)
    save_snapshot(inventory, args.output, provider=provider.name, signing_key=key, signing_key_env=args.signing_key_env)
    failed_scopes = [record for record in inventory.scopes if record.state.value == "failed"]
    app.err.write(f"ztscan: wrote {args.output}: {len(inventory.resources)} resources, "
                  f"{len(inventory.errors)} collection errors, {len(failed_scopes)} failed scopes\n")
    if (inventory.errors or failed_scopes) and not args.allow_incomplete:
        return int(ExitCode.INCOMPLETE)
    return int(ExitCode.OK)
