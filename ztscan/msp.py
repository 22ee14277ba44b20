"""Multi-tenant scanning (``ztscan scan --tenants FILE``): every client tenant of a tenants file in one run.

Tenants are scanned concurrently (see :mod:`ztscan.tenant_scan` for the
concurrency model). One tenant's failure is that tenant's ERROR; it never stops
or slows the others. The output directory layout is in :mod:`ztscan.tenant_output`.

Shards: ``--shard I/N`` (1-based, 1 <= I <= N) scans the tenants whose index in
the list of tenant names sorted by code point satisfies ``index % N == I - 1``.
The N shards of one tenants file therefore partition it exactly and their sizes
differ by at most one. Adding a tenant can move others to another shard, so
all shards of one merge must come from the same tenants file (``ztscan merge``
checks its digest).
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Sequence

from ztscan import __version__
from ztscan.app import App
from ztscan.model import Severity
from ztscan.provider import ConfigurationError, split_list
from ztscan.rollup import count_noun
from ztscan.scan import utc_now
from ztscan.tenants import Tenant, TenantsFile, load_tenants

log = logging.getLogger(__name__)

FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "none")
SHARD = re.compile(r"^(\d+)/(\d+)$")


def add_tenant_arguments(parser: argparse.ArgumentParser, app: App) -> None:
    group = parser.add_argument_group(
        "tenants (without a provider)",
        "Scan every client tenant listed in a tenants file (docs/tenants.md); results go to --output-dir.")
    group.add_argument("--tenants", metavar="FILE", help="YAML or TOML file listing client tenants to scan")
    group.add_argument("--tenant", metavar="NAME", action="append", default=[],
                       help="scan only this tenant of the file (repeatable); its reports in --output-dir are "
                       "replaced and the rollup is rebuilt with the other tenants' earlier reports")
    group.add_argument("--shard", metavar="I/N", type=parse_shard,
                       help="scan shard I of N (1-based): the tenants at positions I, I+N, I+2N, ... of the "
                       "sorted tenant names; combine the shards' directories with 'ztscan merge'")
    group.add_argument("--output-dir", metavar="DIR",
                       help="directory for one report per tenant and the rollup (created when missing)")
    group.add_argument("--formats", metavar="LIST", type=parse_formats, default=["table", "json"],
                       help="comma-separated report formats written per tenant, for example table,json,sarif "
                       f"(choices: {', '.join(sorted(app.reporters))}; default: table,json; "
                       "JSON is always written)")
    group.add_argument("--max-tenants-concurrency", metavar="N", type=_positive_int, default=4,
                       help="tenants scanned at the same time (default: 4)")
    group.add_argument("--max-api-concurrency", metavar="N", type=_positive_int, default=16,
                       help="concurrent API calls per cloud, shared by all tenants (default: 16)")
    group.add_argument("--tenant-timeout", metavar="SECONDS", type=_positive_float, default=3600.0,
                       help="time limit of each tenant; work not done by then is reported as ERROR (default: 3600)")
    group.add_argument("--fail-on", dest="tenants_fail_on", choices=FAIL_ON_CHOICES, default="low",
                       help="exit with 1 when any tenant has a gap of this severity or higher; "
                       "'none' never fails on gaps (default: low)")
    group.add_argument("--allow-incomplete", dest="tenants_allow_incomplete", action="store_true",
                       help="do not exit with 3 when some tenant is incomplete or failed; ERROR is still reported")


def parse_shard(value: str) -> tuple[int, int]:
    match = SHARD.match(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r} is not I/N; give the 1-based shard number and the shard "
                                         "count, for example 2/4")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"{value!r}: the shard number must be between 1 and the shard count "
                                         f"({count}); shards are numbered from 1")
    return index, count


def parse_formats(value: str) -> list[str]:
    formats = split_list(value)
    if not formats:
        raise argparse.ArgumentTypeError("expected a comma-separated list of formats, for example table,json,sarif")
    return formats


def _positive_int(value: str) -> int:
    from ztscan.commands.scan import positive_int

    return positive_int(value)


def _positive_float(value: str) -> float:
    from ztscan.commands.scan import positive_float

    return positive_float(value)


def shard_tenants(tenants: Sequence[Tenant], index: int, count: int) -> list[Tenant]:
    """Return the tenants of shard ``index`` (1-based) of ``count``, in file order."""
    ordered = sorted(tenant.name for tenant in tenants)
    chosen = {name for position, name in enumerate(ordered) if position % count == index - 1}
    return [tenant for tenant in tenants if tenant.name in chosen]


def select_tenants(tenants_file: TenantsFile, names: Sequence[str], shard: tuple[int, int] | None) -> list[Tenant]:
    tenants = list(tenants_file.tenants)
    if shard is not None:
        tenants = shard_tenants(tenants, *shard)
    if names:
        known = {tenant.name for tenant in tenants_file.tenants}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ConfigurationError(f"--tenant {', '.join(unknown)}: no such tenant in {tenants_file.path}; "
                                     f"the tenants are: {', '.join(sorted(known))}")
        outside = [name for name in names if name not in {tenant.name for tenant in tenants}]
        if outside:
            raise ConfigurationError(f"--tenant {', '.join(outside)}: not in shard {shard[0]}/{shard[1]}; "
                                     "drop --shard or name a tenant of this shard")
        tenants = [tenant for tenant in tenants if tenant.name in set(names)]
    return tenants


def run_tenants(args: argparse.Namespace, app: App) -> int:
    if not getattr(args, "tenants", None):
        raise ConfigurationError("name a provider (ztscan scan aws ...) or a tenants file (ztscan scan --tenants FILE)")
    if not args.output_dir:
        raise ConfigurationError("--tenants needs --output-dir DIR: the directory for each tenant's reports "
                                 "and the rollup")
    from ztscan import tenant_output

    tenants_file = load_tenants(args.tenants)
    selected = select_tenants(tenants_file, args.tenant, args.shard)
    files = tenant_output.report_files(app, args.formats)
    out = tenant_output.prepare_directory(args.output_dir)
    plan = _plan(app, args)
    fail_on = None if args.tenants_fail_on == "none" else Severity(args.tenants_fail_on)

    started = utc_now()
    records = _scan_all(app, out, selected, plan, files, args.max_tenants_concurrency)
    previous = _previous_manifest(out) if args.tenant else {}
    names = set(tenants_file.names())
    unchanged = [record for record in previous.get("tenants", ())
                 if record["name"] in names and record["name"] not in {tenant.name for tenant in selected}
                 and (out / record["files"]["json"]).is_file()]
    shard = {"index": args.shard[0], "count": args.shard[1]} if args.shard else previous.get("shard")
    manifest = {
        "manifest_version": tenant_output.MANIFEST_VERSION,
        "tool": {"name": "ztscan", "version": __version__},
        "tenants_file": {"path": tenants_file.path, "sha256": tenants_file.sha256,
                         "tenants": len(tenants_file.tenants)},
        # A rescan with --tenant in a shard's directory keeps that shard, so the directory still merges.
        "shard": shard,
        "started_at": started,
        "finished_at": utc_now(),
        "settings": {"formats": list(files), "max_tenants_concurrency": args.max_tenants_concurrency,
                     "max_api_concurrency": args.max_api_concurrency, "tenant_timeout": args.tenant_timeout},
        "tenants": sorted(unchanged + records, key=lambda record: record["name"]),
    }
    tenant_output.write_manifest(out, manifest)
    entries = tenant_output.load_tenant_entries(out, manifest)
    tenant_output.write_rollup(out, entries)
    app.out.write((out / tenant_output.ROLLUP_FILES["table"]).read_text(encoding="utf-8"))

    scanned = [entry for entry in entries if entry["name"] in {record["name"] for record in records}]
    code = tenant_output.exit_code(scanned, fail_on, args.tenants_allow_incomplete)
    app.err.write(tenant_output.summary_line(scanned, code) + f"; results in {out}\n")
    return int(code)


def _plan(app: App, args: argparse.Namespace) -> Any:
    from ztscan.tenant_scan import ApiBudget, TenantPlan

    catalogues = app.control_catalogues()
    budget = ApiBudget(args.max_api_concurrency, args.max_tenants_concurrency)
    return TenantPlan(app, app.select_rules(None), catalogues, budget, args.tenant_timeout)


def _scan_all(app: App, out: Path, tenants: list[Tenant], plan: Any, files: dict[str, str],
              concurrency: int) -> list[dict[str, Any]]:
    from ztscan import tenant_output
    from ztscan.tenant_scan import scan_tenant

    progress = Progress(app.err, len(tenants))
    records = []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(tenants) or 1)),
                            thread_name_prefix="ztscan-tenant") as pool:
        futures = {}
        for tenant in tenants:
            futures[pool.submit(_scan_one, scan_tenant, tenant, plan, progress)] = tenant
        for future in as_completed(futures):
            outcome = future.result()
            # Drop the future, so the tenant's inventory and report are freed once its files are written.
            del futures[future]
            written = tenant_output.write_tenant_reports(app, out, outcome.tenant.name, outcome.report, files)
            records.append({
                "name": outcome.tenant.name, "status": outcome.status, "errors": outcome.errors,
                "targets": outcome.targets, "duration_seconds": round(outcome.duration, 3), "files": written,
            })
            progress.finished(outcome.tenant.name, outcome.status, outcome.duration, outcome.errors)
    progress.close()
    return records


def _scan_one(scan_tenant: Any, tenant: Tenant, plan: Any, progress: "Progress") -> Any:
    from ztscan.tenant_scan import crashed_outcome

    progress.started(tenant.name)
    try:
        return scan_tenant(tenant, plan)
    except Exception as exc:  # one tenant's crash is that tenant's ERROR; the other tenants go on
        log.exception("scanning tenant %s crashed", tenant.name)
        return crashed_outcome(tenant, plan, exc)
    finally:
        # Here, not when the main thread has written the reports: by then this worker may have
        # started the next tenant, and the line would show more tenants running than the limit.
        progress.stopped()


def _previous_manifest(out: Path) -> dict[str, Any]:
    """Return the manifest of an earlier run in ``out``, or an empty mapping when there is none."""
    from ztscan import tenant_output

    if not (out / tenant_output.MANIFEST).exists():
        return {}
    manifest = tenant_output.read_manifest(out)
    if manifest.get("tool", {}).get("version") != __version__:
        log.warning("%s contains reports of ztscan %s; the rollup mixes them with this run's (%s)", out,
                    manifest.get("tool", {}).get("version"), __version__)
    return manifest


class Progress:
    """Shows tenants done, running and failed: one updating line on a terminal, plain lines otherwise (CI)."""

    def __init__(self, stream: Any, total: int):
        import threading

        self.stream = stream
        self.total = total
        self.interactive = bool(getattr(stream, "isatty", lambda: False)())
        self.running = 0
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._began = time.monotonic()
        if not self.interactive:
            self._write(f"ztscan: scanning {count_noun(total, 'tenant')}\n")

    def started(self, name: str) -> None:
        with self._lock:
            self.running += 1
            if self.interactive:
                self._status_line()
            else:
                self._write(f"ztscan: tenant {name}: started\n")

    def stopped(self) -> None:
        """Count a tenant whose scan has ended as done, not running; :meth:`finished` reports its status."""
        with self._lock:
            self.running -= 1
            self.done += 1

    def finished(self, name: str, status: str, seconds: float, errors: list[str]) -> None:
        with self._lock:
            if status == "error":
                self.failed += 1
            if self.interactive:
                if status != "complete":
                    self._write(f"\r\033[Kztscan: tenant {name}: {status} ({len(errors)} target errors)\n")
                self._status_line()
            else:
                self._write(f"ztscan: tenant {name}: {status} in {seconds:.1f} s "
                            f"[{self.done}/{self.total} done, {self.failed} failed]\n")

    def close(self) -> None:
        if self.interactive:
            with self._lock:
                self._status_line()
                self._write("\n")

    def _status_line(self) -> None:
        elapsed = time.monotonic() - self._began
        self._write(f"\r\033[Kztscan: tenants {self.done}/{self.total} done, {self.running} running, "
                    f"{self.failed} failed ({elapsed:.0f} s)")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
