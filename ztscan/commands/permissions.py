"""``ztscan permissions PROVIDER``: print the least-privilege, read-only policy a scan needs."""

from __future__ import annotations

import argparse
import json

from tabulate import tabulate

from ztscan.app import App
from ztscan.provider import ConfigurationError


def register(subparsers: argparse._SubParsersAction, app: App) -> None:
    parser = subparsers.add_parser(
        "permissions", help="print the exact read-only permissions a scan uses",
        description="Print the least-privilege policy for a provider: an IAM policy document for AWS, "
        "a custom role definition for Azure, a custom role for GCP. Every permission listed is a read.",
    )
    parser.add_argument("provider", choices=sorted(app.providers), help="the provider")
    parser.add_argument("--format", choices=("policy", "table"), default="policy",
                        help="'policy' prints the provider's policy document as JSON; "
                        "'table' lists each API operation with its permission and purpose (default: policy)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: App) -> int:
    provider = app.provider(args.provider)
    operations = provider.operations()
    if not operations:
        raise ConfigurationError(f"the {provider.name} provider declares no API operations")
    if args.format == "table":
        rows = sorted({(op.service, op.operation, op.permission,
                        ("credential (granted on the scanner's own identity, not on the estate): " if op.credential
                         else "") + op.purpose)
                       for op in operations})
        app.out.write(tabulate(rows, headers=["Service", "Operation", "Permission", "Purpose"]) + "\n")
        return 0
    build = getattr(provider, "permission_policy", None)
    if build is not None:
        document = build()
    else:
        document = {"provider": provider.name,
                    "permissions": sorted({op.permission for op in operations if not op.credential})}
    app.out.write(json.dumps(document, indent=2) + "\n")
    return 0
