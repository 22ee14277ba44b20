"""Collection scaling: a full ``ztscan scan aws`` against a moto server with 100 to 5,000 resources.

For each size, the script starts a fresh counting moto server (benchmarks/moto_server.py),
creates the resources over several regions, takes a census of what the account
contains (moto's default VPCs, subnets and security groups included), resets the
request counter and runs ``ztscan scan aws --regions ... --format json --output ...``
as a child process with AWS_ENDPOINT_URL pointing at the server and fake
credentials. It records the child's wall time and peak RSS and the requests
the server received, next to the minimum computed by aws_account.minimum_calls.
Like peer_prowler.py, it runs inside a network namespace that has only
loopback (``unshare -rn``), so no request can leave the machine.

Run: python benchmarks/collection_scaling.py [--sizes 100,1000,5000] [--regions us-east-1,...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_account import (
    MotoServer,
    Plan,
    census,
    client_environment,
    minimum_calls,
    normalize_calls,
    populate,
)
from common import (
    REPOSITORY_DIR,
    machine_description,
    print_table,
    reexec_in_loopback_namespace,
    run_measured,
    write_result,
)

DEFAULT_SIZES = (100, 1000, 5000)
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")


def ztscan_command(regions: list[str] | None, output: str) -> list[str]:
    """Return the ztscan scan command line; with no ``regions``, ztscan scans every enabled region."""
    argv = [sys.executable, "-m", "ztscan", "scan", "aws"]
    if regions:
        argv += ["--regions", ",".join(regions)]
    return argv + ["--format", "json", "--output", output, "--allow-incomplete", "--fail-on", "none"]


def summarize_report(path: str) -> dict[str, Any]:
    """Count findings by status in a ztscan JSON report, and list the ERROR causes."""
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        return {"unreadable": str(exc)}
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for finding in report.get("findings", []):
        status = finding.get("status")
        statuses[status] = statuses.get(status, 0) + 1
        if status == "ERROR":
            key = finding.get("message", "")[:120]
            errors[key] = errors.get(key, 0) + 1
    top_errors = dict(sorted(errors.items(), key=lambda item: -item[1])[:10])
    return {"statuses": statuses, "top_error_messages": top_errors}


def compare_calls(issued: dict[str, int], minimum: dict[str, int]) -> list[dict[str, Any]]:
    """Return one row per operation with issued and minimum counts, largest excess first."""
    rows = []
    for operation in sorted(set(issued) | set(minimum)):
        rows.append({"operation": operation, "issued": issued.get(operation, 0),
                     "minimum": minimum.get(operation, 0)})
    rows.sort(key=lambda row: -(row["issued"] - row["minimum"]))
    return rows


def measure_size(total: int, regions: list[str], workdir: str) -> dict[str, Any]:
    server = MotoServer()
    try:
        plan = Plan.for_total(total, regions)
        started = time.perf_counter()
        created = populate(server.endpoint, plan)
        populate_seconds = time.perf_counter() - started
        counts = census(server.endpoint, regions)
        minimum = minimum_calls(counts, regions)
        server.reset_calls()
        output = str(Path(workdir) / f"report-{total}.json")
        server_cpu = server.cpu_seconds()
        run = run_measured(ztscan_command(regions, output), env=client_environment(server.endpoint),
                           cwd=REPOSITORY_DIR, timeout=3600)
        server_cpu = server.cpu_seconds() - server_cpu
        served = server.calls()
        issued = normalize_calls(served["calls"])
    finally:
        server.stop()
    issued_total = sum(issued.values())
    minimum_total = sum(minimum.values())
    return {
        "requested_resources": total,
        "created": created,
        "census": counts,
        "populate_seconds": round(populate_seconds, 1),
        "scan": run.to_dict(),
        "moto_server_cpu_seconds": round(server_cpu, 2),
        "scan_stderr_tail": run.stderr[-3000:],
        "report": summarize_report(output),
        "calls_issued": issued,
        "server_errors": served["server_errors"],
        "calls_minimum": minimum,
        "calls_issued_total": issued_total,
        "calls_minimum_total": minimum_total,
        "calls_ratio": round(issued_total / minimum_total, 3),
        "calls_by_operation": compare_calls(issued, minimum),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated numbers of resources to create")
    parser.add_argument("--regions", default=",".join(DEFAULT_REGIONS),
                        help="comma-separated regions to spread the resources over and to scan")
    args = parser.parse_args()
    reexec_in_loopback_namespace()
    sizes = [int(value) for value in args.sizes.split(",")]
    regions = [value.strip() for value in args.regions.split(",") if value.strip()]

    measurements = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="ztscan-bench-") as workdir:
        for total in sizes:
            print(f"size {total}: populating {len(regions)} regions ...", flush=True)
            result = measure_size(total, regions, workdir)
            measurements.append(result)
            scan = result["scan"]
            print(f"size {total}: scan {scan['wall_seconds']:.2f} s, peak RSS {scan['max_rss_mib']:.0f} MiB, "
                  f"exit {scan['returncode']}, {result['calls_issued_total']} calls "
                  f"(minimum {result['calls_minimum_total']}), findings {result['report'].get('statuses')}",
                  flush=True)
            excess = [row for row in result["calls_by_operation"] if row["issued"] != row["minimum"]]
            for row in excess[:12]:
                print(f"    {row['operation']}: issued {row['issued']}, minimum {row['minimum']}")
            rows.append([total, sum(result["census"]["regions"][r]["instances"] for r in regions),
                         f"{scan['wall_seconds']:.2f}", f"{scan['cpu_seconds']:.2f}", f"{scan['max_rss_mib']:.0f}",
                         scan["returncode"],
                         result["calls_issued_total"], result["calls_minimum_total"], f"{result['calls_ratio']:.2f}"])
    print()
    print_table(["resources", "instances", "wall s", "CPU s", "peak RSS MiB", "exit", "calls", "minimum calls",
                 "calls/minimum"], rows)
    path = write_result("collection_scaling", {
        "machine": machine_description(),
        "command": "python benchmarks/collection_scaling.py " + " ".join(sys.argv[1:]),
        "ztscan_command": ztscan_command(regions, "REPORT.json"),
        "regions": regions,
        "measurements": measurements,
    })
    print(f"result written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
