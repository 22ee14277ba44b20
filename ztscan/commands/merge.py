"""``ztscan merge``: combine the output directories of tenant shards into one directory and one rollup."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from ztscan.app import App
from ztscan.model import Severity
from ztscan.provider import ConfigurationError

FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "none")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "merge", help="combine the results of 'ztscan scan --tenants --shard I/N' runs",
        description="Check that the shard directories come from the same ztscan version and tenants file, "
        "that every shard is present and that no tenant appears twice, then copy the tenant reports "
        "into --output-dir and write the rollup across all tenants.",
    )
    parser.add_argument("directories", nargs="+", metavar="DIR", help="output directory of one shard")
    parser.add_argument("--output-dir", required=True, metavar="OUT",
                        help="directory for the merged tenant reports and rollup (created when missing)")
    parser.add_argument("--allow-missing-shards", action="store_true",
                        help="merge even when some shards of the tenants file are missing")
    parser.add_argument("--fail-on", default="low", choices=FAIL_ON_CHOICES,
                        help="exit with 1 when any tenant has a gap of this severity or higher (default: low)")
    parser.add_argument("--allow-incomplete", action="store_true",
                        help="do not exit with 3 when some tenant is incomplete or failed")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, app: App) -> int:
    from ztscan import tenant_output

    sources = [Path(directory) for directory in args.directories]
    manifests = [tenant_output.read_manifest(directory) for directory in sources]
    check_compatible(sources, manifests, args.allow_missing_shards)
    out = tenant_output.prepare_directory(args.output_dir)
    if any(out.resolve() == source.resolve() for source in sources):
        raise ConfigurationError(f"--output-dir {out} is one of the shard directories; give a new directory")

    records = []
    for source, manifest in zip(sources, manifests):
        for record in manifest["tenants"]:
            target = out / tenant_output.TENANTS_DIR / record["name"]
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source / tenant_output.TENANTS_DIR / record["name"], target)
            records.append({**record, "shard": manifest.get("shard")})
    first = manifests[0]
    manifest = {
        "manifest_version": tenant_output.MANIFEST_VERSION,
        "tool": first["tool"],
        "tenants_file": first["tenants_file"],
        "shard": None,
        "merged_from": [{"directory": str(source), "shard": item.get("shard"),
                         "started_at": item.get("started_at"), "finished_at": item.get("finished_at")}
                        for source, item in zip(sources, manifests)],
        "started_at": min(item.get("started_at", "") for item in manifests),
        "finished_at": max(item.get("finished_at", "") for item in manifests),
        "settings": first.get("settings", {}),
        "tenants": sorted(records, key=lambda record: record["name"]),
    }
    tenant_output.write_manifest(out, manifest)
    entries = tenant_output.load_tenant_entries(out, manifest)
    tenant_output.write_rollup(out, entries, first["tool"]["version"])
    app.out.write((out / tenant_output.ROLLUP_FILES["table"]).read_text(encoding="utf-8"))
    fail_on = None if args.fail_on == "none" else Severity(args.fail_on)
    code = tenant_output.exit_code(entries, fail_on, args.allow_incomplete)
    app.err.write(tenant_output.summary_line(entries, code) + f"; merged into {out}\n")
    return int(code)


def check_compatible(sources: list[Path], manifests: list[dict[str, Any]], allow_missing: bool) -> None:
    """Raise ConfigurationError when the shards cannot be merged into one truthful rollup."""
    versions = {manifest["tool"]["version"] for manifest in manifests}
    if len(versions) > 1:
        listing = ", ".join(f"{source} ({manifest['tool']['version']})" for source, manifest in zip(sources, manifests))
        raise ConfigurationError(f"the shards were written by different ztscan versions: {listing}; "
                                 "rerun every shard with one version")
    digests = {manifest["tenants_file"]["sha256"] for manifest in manifests}
    if len(digests) > 1:
        listing = ", ".join(f"{source} ({manifest['tenants_file']['path']}, sha256 "
                            f"{manifest['tenants_file']['sha256'][:12]})" for source, manifest in zip(sources, manifests))
        raise ConfigurationError(f"the shards come from different tenants files: {listing}; shards of different "
                                 "files can overlap or miss tenants, so rerun every shard with one file")

    owners: dict[str, Path] = {}
    for source, manifest in zip(sources, manifests):
        for record in manifest["tenants"]:
            if record["name"] in owners:
                raise ConfigurationError(f"tenant {record['name']!r} is in both {owners[record['name']]} and "
                                         f"{source}; give each shard's directory once and rerun overlapping shards")
            owners[record["name"]] = source

    shards = [manifest.get("shard") for manifest in manifests]
    if any(shard is None for shard in shards):
        return
    counts = {shard["count"] for shard in shards}
    if len(counts) > 1:
        raise ConfigurationError(f"the shards split the tenants file in different ways "
                                 f"({', '.join(sorted(f'/{count}' for count in counts))}); "
                                 "use one shard count for every shard")
    count = counts.pop()
    seen: dict[int, Path] = {}
    for source, shard in zip(sources, shards):
        if shard["index"] in seen:
            raise ConfigurationError(f"shard {shard['index']}/{count} is given twice: {seen[shard['index']]} and "
                                     f"{source}")
        seen[shard["index"]] = source
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in seen]
    if missing and not allow_missing:
        raise ConfigurationError(f"shard {', '.join(missing)} is missing, so the rollup would leave out its "
                                 "tenants; add its directory or pass --allow-missing-shards")
