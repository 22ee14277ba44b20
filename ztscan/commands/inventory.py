"""``ztscan inventory SNAPSHOT``: write the technology asset inventory and the network map of a snapshot."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ztscan.app import App
from ztscan.assets import assets_csv, assets_json, build_assets
from ztscan.netmap import DEFAULT_EPHI_TAG, build_network_map
from ztscan.netmap_render import render_svg, to_dot, to_mermaid
from ztscan.output import write_atomic
from ztscan.provider import ConfigurationError
from ztscan.snapshot import read_snapshot, signing_key_from_env

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inventory", help="write the asset inventory (CSV, JSON) and network map (DOT, Mermaid, SVG) of a snapshot",
        description="Write the technology asset inventory and the network map of a snapshot into a directory: "
        "assets.csv, assets.json, network.dot, network.mmd, and network.svg when the Graphviz 'dot' "
        "program is installed. Columns and legend: docs/inventory.md.",
    )
    parser.add_argument("snapshot", metavar="SNAPSHOT", help="the snapshot file")
    parser.add_argument("--output-dir", required=True, metavar="DIR",
                        help="directory to write the files into; created when it does not exist")
    parser.add_argument("--ephi-tag", default=DEFAULT_EPHI_TAG, metavar="NAME",
                        help="the tag that marks resources holding ePHI; any value except false, no, 0 or none "
                        f"counts (default: {DEFAULT_EPHI_TAG})")
    parser.add_argument("--signing-key-env", metavar="NAME",
                        help="require a valid HMAC-SHA256 signature, keyed with the secret in environment variable NAME")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: App) -> int:
    if not args.ephi_tag.strip():
        raise ConfigurationError("--ephi-tag: the tag name is empty; pass the tag that marks ePHI resources")
    snapshot = read_snapshot(args.snapshot, signing_key=signing_key_from_env(args.signing_key_env))
    directory = Path(args.output_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"--output-dir {directory}: cannot create the directory: {exc.strerror}") from None

    inventory = snapshot.inventory
    assets = build_assets(inventory, args.ephi_tag)
    metadata = {"snapshot": args.snapshot, "provider": snapshot.provider,
                "collected_at": inventory.finished_at or snapshot.created_at,
                "collection_errors": len(inventory.errors)}
    write_atomic(directory / "assets.csv", assets_csv(assets))
    write_atomic(directory / "assets.json", assets_json(assets, args.ephi_tag, metadata))

    graph = build_network_map(inventory, args.ephi_tag)
    dot_text = to_dot(graph, title=f"ztscan network map: {snapshot.provider}, collected {metadata['collected_at']}")
    write_atomic(directory / "network.dot", dot_text)
    write_atomic(directory / "network.mmd", to_mermaid(graph))
    written = ["assets.csv", "assets.json", "network.dot", "network.mmd"]
    try:
        if render_svg(dot_text, directory / "network.svg"):
            written.append("network.svg")
        else:
            app.err.write("ztscan: Graphviz 'dot' is not installed, so network.svg was not written; "
                          "install Graphviz or render network.dot elsewhere\n")
    except RuntimeError as exc:
        log.error("rendering network.svg failed: %s", exc)
        app.err.write(f"ztscan: network.svg was not written: {exc}\n")

    exposed = sum(1 for asset in assets if asset.exposure == "internet")
    unknown = sum(1 for asset in assets if asset.exposure == "unknown")
    app.err.write(f"ztscan: wrote {', '.join(written)} to {directory}: {len(assets)} assets, {exposed} reachable "
                  f"from the internet, {unknown} with unknown exposure, {len(graph.internet_paths())} internet paths\n")
    if inventory.errors:
        app.err.write(f"ztscan: the snapshot records {len(inventory.errors)} collection errors; assets or facts "
                      "may be missing, and missing facts are shown as unknown\n")
    return 0
