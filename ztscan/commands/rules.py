"""``ztscan rules``: list every rule with its severity and mappings."""

from __future__ import annotations

import argparse
import json

from tabulate import tabulate

from ztscan.app import App


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="list the rules with their severity and HIPAA mappings",
                                   description="List every rule, its severity, pillar and mappings.")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="output format (default: table)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: App) -> int:
    metas = [app.catalogue[rule.id] for rule in app.rules]
    metas.sort(key=lambda meta: meta.id)
    if args.format == "json":
        app.out.write(json.dumps([meta.to_dict() for meta in metas], indent=2) + "\n")
        return 0
    rows = [
        [meta.id, meta.title, meta.severity.value, meta.pillar, ", ".join(meta.hipaa),
         ", ".join(meta.nprm) + (" (proposed)" if meta.nprm else "")]
        for meta in metas
    ]
    headers = ["Rule", "Title", "Severity", "Pillar", "HIPAA (in force)", "NPRM 2025 (proposed)"]
    app.out.write(tabulate(rows, headers=headers, tablefmt="simple") + "\n")
    return 0
