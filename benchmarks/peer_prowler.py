"""Peer comparison: ztscan and Prowler's HIPAA compliance scan on the same simulated AWS account.

Both scanners run as child processes against one counting moto server on
127.0.0.1 (AWS_ENDPOINT_URL, fake credentials), one after the other, in one
run of this script, first limited to one region and then over every region.
The whole script runs inside a network namespace that has only loopback
(``unshare -rn``, then ``ip link set lo up``), because some Prowler checks try
to reach public hosts. If unshare is refused, the script stops with unshare's error.

Prowler lives in its own virtual environment, never in ztscan's. When
PROWLER_VENV (default /work/prowler-venv) has no ``bin/prowler``, the script
creates it with ``python -m venv`` and ``pip install prowler`` before entering
the namespace, so that pip can reach the package index.

Fairness settings: moto with MOTO_EC2_LOAD_DEFAULT_AMIS=false, Prowler with
``--aws-retries-max-attempts 0`` (moto answers some of its calls with HTTP
500, and retries would then dominate), both writing reports to a temporary
directory. Before the first measurement every region's EC2 backend is created
(``warm_regions``), so neither scanner pays for moto's first touch of a region.

The moto server runs on the same two cores as the scanners and serves each
request with Python code in one process, one thread at a time. The script
prints four lower bounds on ztscan's wall time, as ratios to Prowler's wall time:

* "simulator floor": the server's user CPU time while it served ztscan. Even a
  ztscan that took no time could not finish sooner. System time is left out,
  because the kernel work of other threads can run on the second core.
* "one-core bound": the larger of ztscan's and the server's user CPU time.
  Each process runs its Python code one thread at a time.
* "two-core bound": ztscan's CPU time plus the server's, divided by two cores.
  The run cannot finish sooner with the CPU time that both actually used.
* "phase bound": the two-core bound, except that the time ztscan runs alone
  (before the server's first request and after its last response) counts
  whole. ztscan's CPU time in those phases is at most their length, so the
  bound stays a lower bound.

Run: python benchmarks/peer_prowler.py [--resources 1000] [--regions us-east-1,...] [--prowler-venv DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
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
    normalize_calls,
    populate,
    warm_regions,
)
from collection_scaling import summarize_report, ztscan_command
from common import (
    REPOSITORY_DIR,
    machine_description,
    print_table,
    reexec_in_loopback_namespace,
    run_measured,
    write_result,
)

DEFAULT_VENV = os.environ.get("PROWLER_VENV", "/work/prowler-venv")
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")

#: Targets from the performance requirements: ztscan over Prowler, all-region run.
WALL_TIME_TARGET = 1 / 10
PEAK_MEMORY_TARGET = 1 / 4


def ensure_prowler(venv: Path) -> Path:
    """Return the prowler executable in ``venv``, creating the venv with pip when it is missing."""
    executable = venv / "bin" / "prowler"
    if executable.exists():
        return executable
    print(f"creating {venv} with: {sys.executable} -m venv {venv} && {venv}/bin/pip install prowler", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "prowler"], check=True)
    return executable


def prowler_command(prowler: Path, output_dir: str, region: str | None) -> list[str]:
    argv = [str(prowler), "aws", "--compliance", "hipaa_aws", "--aws-retries-max-attempts", "0",
            "--no-banner", "--ignore-exit-code-3", "--output-formats", "csv", "--output-directory", output_dir]
    if region:
        argv += ["--region", region]
    return argv


def _measure(server: MotoServer, argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    server.reset_calls()
    user, system = server.cpu_times()
    started_at = time.time()
    run = run_measured(argv, env=env, cwd=REPOSITORY_DIR, timeout=3600)
    ended_at = time.time()
    calls = server.calls()
    result = run.to_dict()
    # The scanner alone runs before the server's first request and after its last response.
    if calls.get("first_request_at") is not None:
        result["seconds_before_first_request"] = round(calls["first_request_at"] - started_at, 2)
        result["seconds_after_last_response"] = round(ended_at - calls["last_response_at"], 2)
    user_after, system_after = server.cpu_times()
    result["moto_server_cpu_seconds"] = round(user_after + system_after - user - system, 2)
    result["moto_server_user_seconds"] = round(user_after - user, 2)
    result["calls_total"] = calls["total"]
    result["calls"] = normalize_calls(calls["calls"])
    result["calls_by_region"] = calls["regions"]
    result["server_errors"] = calls["server_errors"]
    result["server_errors_total"] = sum(calls["server_errors"].values())
    result["server_cpu_ms_by_operation"] = calls.get("server_cpu_ms", {})
    result["stderr_tail"] = run.stderr[-2000:]
    return result


def _prowler_version(prowler: Path) -> str:
    completed = subprocess.run([str(prowler), "--version"], check=False, capture_output=True, text=True)
    return completed.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000, help="number of resources to create (default: 1000)")
    parser.add_argument("--regions", default=",".join(DEFAULT_REGIONS),
                        help="comma-separated regions to create resources in; the one-region runs use the first")
    parser.add_argument("--prowler-venv", default=DEFAULT_VENV, help="virtual environment that contains Prowler (created when missing)")
    args = parser.parse_args()
    regions = [value.strip() for value in args.regions.split(",") if value.strip()]

    prowler = ensure_prowler(Path(args.prowler_venv))
    reexec_in_loopback_namespace()

    server = MotoServer()
    runs: dict[str, dict[str, Any]] = {}
    try:
        plan = Plan.for_total(args.resources, regions)
        created = populate(server.endpoint, plan)
        counts = census(server.endpoint, regions)
        warmed = warm_regions(server.endpoint)
        env = client_environment(server.endpoint)
        with tempfile.TemporaryDirectory(prefix="ztscan-peer-") as workdir:
            for mode, region in (("one-region", regions[0]), ("all-regions", None)):
                report = str(Path(workdir) / f"ztscan-{mode}.json")
                command = ztscan_command([region] if region else None, report)
                print(f"{mode}: ztscan ...", flush=True)
                runs[f"ztscan {mode}"] = _measure(server, command, env)
                runs[f"ztscan {mode}"]["report"] = summarize_report(report)
                print(f"{mode}: prowler ...", flush=True)
                prowler_dir = str(Path(workdir) / f"prowler-{mode}")
                runs[f"prowler {mode}"] = _measure(server, prowler_command(prowler, prowler_dir, region), env)
    finally:
        server.stop()

    rows = []
    ratios = {}
    for mode in ("one-region", "all-regions"):
        ours, theirs = runs[f"ztscan {mode}"], runs[f"prowler {mode}"]
        wall_ratio = ours["wall_seconds"] / theirs["wall_seconds"]
        memory_ratio = ours["max_rss_mib"] / theirs["max_rss_mib"]
        ratios[mode] = {"wall_time": round(wall_ratio, 3), "peak_memory": round(memory_ratio, 3)}
        for name, run in (("ztscan", ours), ("prowler", theirs)):
            rows.append([mode, name, f"{run['wall_seconds']:.2f}", f"{run['cpu_seconds']:.2f}",
                         f"{run['max_rss_mib']:.0f}", run["returncode"], run["calls_total"],
                         run["server_errors_total"], f"{run['moto_server_cpu_seconds']:.2f}",
                         f"{run['moto_server_user_seconds']:.2f}", f"{run['user_seconds']:.2f}"])
        cpu_ratio = ours["cpu_seconds"] / theirs["cpu_seconds"]
        ratios[mode]["cpu_time"] = round(cpu_ratio, 3)
        # Lower bounds on ztscan's wall time here (see the module documentation).
        ratios[mode]["simulator_floor"] = round(ours["moto_server_user_seconds"] / theirs["wall_seconds"], 3)
        one_core = max(ours["user_seconds"], ours["moto_server_user_seconds"])
        ratios[mode]["one_core_bound"] = round(one_core / theirs["wall_seconds"], 3)
        two_cores = (ours["cpu_seconds"] + ours["moto_server_cpu_seconds"]) / 2
        ratios[mode]["two_core_bound"] = round(two_cores / theirs["wall_seconds"], 3)
        if "seconds_before_first_request" in ours:
            alone = ours["seconds_before_first_request"] + ours["seconds_after_last_response"]
            phases = alone + max(0.0, ours["cpu_seconds"] - alone + ours["moto_server_cpu_seconds"]) / 2
            ratios[mode]["phase_bound"] = round(phases / theirs["wall_seconds"], 3)
        rows.append([mode, "ztscan/prowler", f"{wall_ratio:.3f}", f"{cpu_ratio:.3f}", f"{memory_ratio:.3f}",
                     "", "", "", f"floor {ratios[mode]['simulator_floor']:.3f}",
                     f"one-core bound {ratios[mode]['one_core_bound']:.3f}",
                     f"two-core bound {ratios[mode]['two_core_bound']:.3f}"])
    print()
    print_table(["regions", "scanner", "wall s", "CPU s", "peak RSS MiB", "exit", "API calls", "HTTP 5xx",
                 "moto CPU s", "moto user s", "user s"], rows)
    all_regions = ratios["all-regions"]
    for name, run in runs.items():
        if "seconds_before_first_request" in run:
            print(f"{name}: {run['seconds_before_first_request']:.2f} s before the first request, "
                  f"{run['seconds_after_last_response']:.2f} s after the last response")
    print(f"\nall-region targets: wall time ratio {all_regions['wall_time']:.3f} "
          f"(target at most {WALL_TIME_TARGET:.3f}), peak memory ratio {all_regions['peak_memory']:.3f} "
          f"(target at most {PEAK_MEMORY_TARGET:.3f}); simulator floor {all_regions['simulator_floor']:.3f}, "
          f"one-core bound {all_regions['one_core_bound']:.3f}, two-core bound {all_regions['two_core_bound']:.3f}, "
          f"phase bound {all_regions.get('phase_bound', float('nan')):.3f}")
    path = write_result("peer_prowler", {
        "machine": machine_description(("ztscan", "boto3", "botocore", "moto")),
        "prowler_version": _prowler_version(prowler),
        "command": "python benchmarks/peer_prowler.py " + " ".join(sys.argv[1:]),
        "network_namespace": "unshare -rn with only loopback up",
        "resources_requested": args.resources,
        "created": created,
        "census": counts,
        "warmed_regions": warmed,
        "runs": runs,
        "ratios": ratios,
        "targets": {"wall_time": WALL_TIME_TARGET, "peak_memory": PEAK_MEMORY_TARGET},
    })
    print(f"result written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
