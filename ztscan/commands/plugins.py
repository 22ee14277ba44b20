"""``ztscan plugins``: list installed plugins, their versions and whether they loaded."""

from __future__ import annotations

import argparse

from tabulate import tabulate

from ztscan.app import App


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plugins", help="list installed plugins and their status",
                                   description="List every plugin of the 'ztscan' entry-point group.")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: App) -> int:
    # Ask every plugin for its contributions so that failures inside hooks show up too.
    contributions: dict[str, list[str]] = {}
    for hook, label in (("ztscan_providers", "provider"), ("ztscan_rules", "rules"),
                        ("ztscan_reporters", "reporter")):
        for plugin_name, item in app.call_each(hook):
            contributions.setdefault(plugin_name, [])
            name = getattr(item, "name", None) if label != "rules" else None
            entry = f"{label} {name}" if name else label
            if entry not in contributions[plugin_name]:
                contributions[plugin_name].append(entry)
    failures = {(failure.plugin, failure.hook): failure.error for failure in app.hook_failures}
    rows = []
    for status in app.plugins.statuses:
        if not status.loaded:
            state = f"failed to load: {status.error}"
        else:
            errors = [f"{hook}: {error}" for (plugin, hook), error in failures.items() if plugin == status.name]
            state = "failed: " + "; ".join(errors) if errors else "ok"
        rows.append([status.name, status.distribution, status.version,
                     ", ".join(contributions.get(status.name, [])), state])
    app.out.write(tabulate(rows, headers=["Plugin", "Package", "Version", "Provides", "Status"]) + "\n")
    return 0
