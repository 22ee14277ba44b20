"""``ztscan controls``: list the controls of each catalogue with their rules and assessability."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ztscan.controls import Catalogue, Control, select_catalogues

FRAMEWORK_HELP = ("catalogue to list: hipaa (Security Rule in force), nprm (proposed 2025 rule, not final), "
                  "zero-trust (CISA pillars), the id of a --controls catalogue, or all (default: all)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "controls", help="list the controls of the HIPAA, proposed-rule and zero-trust catalogues",
        description="List every control with the rules that assess it. Manual controls need organisational "
                    "evidence and show what an auditor asks for. Controls of the proposed 2025 rule are "
                    "marked PROPOSED: that rule is not final.")
    parser.add_argument("--framework", default="all", metavar="NAME", help=FRAMEWORK_HELP)
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    # A separate dest, so that this option neither overrides nor is overridden by a global --controls.
    parser.add_argument("--controls", dest="command_controls", metavar="FILE", action="append", default=[],
                        help="an extra control catalogue of your own, in the format of docs/catalogues.md; repeatable")
    parser.set_defaults(handler=run)


def control_to_dict(control: Control) -> dict[str, Any]:
    return {
        "id": control.id, "name": control.name, "type": control.type, "parent": control.parent,
        "assessable": control.assessable, "proposed": control.proposed, "label": control.label,
        "rules": list(control.rules), "not_covered": control.not_covered if not control.rules else None,
        "evidence": list(control.evidence), "description": control.description, "requires": control.requires,
        "replaces": list(control.replaces), "extends": list(control.extends), "note": control.note,
    }


def _assessability(control: Control) -> str:
    if not control.assessable:
        return "manual, rules give supporting evidence" if control.rules else "manual"
    return "assessable" if control.rules else "assessable, not covered yet"


def _table(catalogues: list[Catalogue]) -> str:
    from tabulate import tabulate

    parts = []
    for catalogue in catalogues:
        title = f"{catalogue.title} [{catalogue.status}]"
        if catalogue.proposed:
            title = f"{catalogue.label}: {title}"
        rows = []
        for control in catalogue.controls:
            name = f"[{control.label}] {control.name}" if control.proposed else control.name
            rows.append([control.id, name, control.type, _assessability(control), ", ".join(control.rules) or "-"])
        table = tabulate(rows, headers=["Control", "Name", "Type", "Assessment", "Rules"], tablefmt="simple")
        lines = [title]
        if catalogue.proposed and catalogue.timeline:
            lines.append(catalogue.timeline)
        parts.append("\n".join(lines) + "\n\n" + table)
    return "\n\n".join(parts) + "\n"


def run(args: argparse.Namespace, app: Any) -> int:
    extra = [*(getattr(args, "controls", None) or []), *(getattr(args, "command_controls", None) or [])]
    catalogues = select_catalogues(app.control_catalogues(list(extra or [])), args.framework)
    if args.format == "json":
        data = [{**catalogue.header(), "description": catalogue.description,
                 "controls": [control_to_dict(control) for control in catalogue.controls]}
                for catalogue in catalogues]
        app.out.write(json.dumps(data, indent=2) + "\n")
        return 0
    app.out.write(_table(catalogues))
    return 0
