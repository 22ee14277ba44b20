"""Wall time of ``ztscan scan --tenants`` against the number of tenants, each an AWS account in moto.

Usage: python benchmarks/tenants_scaling.py [--tenants 1,10,25,50] [--concurrency 4] [--repeat 1] [--shards 2]
[--latency-ms 0]

One moto server on 127.0.0.1 (benchmarks/moto_server.py) contains every
simulated tenant: an AWS account with a few resources, entered by assuming a
role from the hub account with an external id, as an MSP would. For each N the
script writes a tenants file of the first N tenants and runs the ztscan CLI as
a child process, in a network namespace that has only loopback. It records the
wall time, CPU time and peak memory of the child, the time per tenant and the
ratio to one tenant alone, and writes the result under benchmarks/results/.
With ``--shards K``, the largest N is also scanned as K ``--shard I/K`` child
processes started together, then combined with ``ztscan merge``. That wall
time covers the slowest shard plus the merge.

All tenants share one moto server process, so the server's own throughput is
part of every figure; a real cloud serves tenants in parallel. The moto server
serves each request with Python code in one process on the same two cores, one
thread at a time. Its user CPU time during a run is therefore a floor under that
run's wall time, however fast ztscan is; the script prints it as "floor x one
tenant", a ratio to one tenant's wall time. System time is left out, because
the kernel work of other threads can run on the second core. "one-core bound"
is the larger of ztscan's and the server's user CPU time: each process runs
its Python code one thread at a time. "two-core bound" is ztscan's CPU time
plus the server's, divided by two cores. Both are the same kind of ratio.

``--latency-ms N`` makes every API request wait N milliseconds in the server
before moto handles it, without using CPU: a stand-in for the round trip and
service time of a real cloud API, where a scan mostly waits. Without it the
server responds at once and every figure is bound by CPU time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_account import HOME_REGION, MotoServer, client_environment  # noqa: E402
from common import machine_description, print_table, reexec_in_loopback_namespace, run_measured, write_result  # noqa: E402

FIRST_ACCOUNT = 200000000000
ROLE = "ZtscanAudit"


def tenant_account(index: int) -> str:
    return str(FIRST_ACCOUNT + index)


def populate_tenants(endpoint: str, count: int) -> None:
    """Give each tenant account two buckets, an open security group, a volume and a user."""
    import boto3

    hub = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=HOME_REGION)
    sts = hub.client("sts", endpoint_url=endpoint)
    for index in range(count):
        account = tenant_account(index)
        credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                      RoleSessionName="benchmark-setup")["Credentials"]
        session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                aws_secret_access_key=credentials["SecretAccessKey"],
                                aws_session_token=credentials["SessionToken"], region_name=HOME_REGION)
        s3 = session.client("s3", endpoint_url=endpoint)
        for bucket in range(2):
            s3.create_bucket(Bucket=f"tenant-{index}-phi-{bucket}")
        ec2 = session.client("ec2", endpoint_url=endpoint)
        group = ec2.create_security_group(GroupName=f"tenant-{index}-admin", Description="admin access")
        ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.create_volume(AvailabilityZone=f"{HOME_REGION}a", Size=8, Encrypted=index % 2 == 0)
        session.client("iam", endpoint_url=endpoint).create_user(UserName=f"tenant-{index}-admin")


def tenants_file(directory: Path, endpoint: str, count: int) -> Path:
    lines = ["version: 1", "defaults:", "  aws:", f"    regions: [{HOME_REGION}]", f"    endpoint_url: {endpoint}",
             "tenants:"]
    for index in range(count):
        lines += [f"  - name: tenant-{index:03d}", "    aws:",
                  f"      role_arn: arn:aws:iam::{tenant_account(index)}:role/{ROLE}",
                  f"      external_id: tenant-{index:03d}-benchmark"]
    path = directory / f"tenants-{count}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measure(endpoint: str, directory: Path, count: int, concurrency: int) -> dict[str, Any]:
    path = tenants_file(directory, endpoint, count)
    out = directory / f"out-{count}-{concurrency}"
    argv = [sys.executable, "-m", "ztscan", "scan", "--tenants", str(path), "--output-dir", str(out),
            "--max-tenants-concurrency", str(concurrency), "--fail-on", "none", "--allow-incomplete"]
    child = run_measured(argv, env=client_environment(endpoint), timeout=3600)
    if child.returncode != 0:
        raise SystemExit(f"ztscan exited with {child.returncode} for {count} tenants:\n{child.stderr[-2000:]}")
    import json

    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    statuses = [record["status"] for record in manifest["tenants"]]
    return {"tenants": count, "concurrency": concurrency, **child.to_dict(),
            "complete_tenants": statuses.count("complete"),
            "mean_tenant_seconds": round(sum(r["duration_seconds"] for r in manifest["tenants"]) / count, 3)}


def measure_shards(endpoint: str, directory: Path, count: int, shards: int, concurrency: int) -> dict[str, Any]:
    """Scan ``count`` tenants as ``shards`` concurrent shard processes, then merge them."""
    import os
    import subprocess
    import time

    path = tenants_file(directory, endpoint, count)
    env = client_environment(endpoint)
    started = time.perf_counter()
    processes = []
    for index in range(1, shards + 1):
        argv = [sys.executable, "-m", "ztscan", "scan", "--tenants", str(path), "--shard", f"{index}/{shards}",
                "--output-dir", str(directory / f"shard-{count}-{index}"), "--max-tenants-concurrency",
                str(concurrency), "--fail-on", "none", "--allow-incomplete"]
        log = open(directory / f"shard-{count}-{index}.log", "wb")
        processes.append((argv, subprocess.Popen(argv, stdout=log, stderr=log, env=env), log))
    children = []
    for argv, process, log in processes:
        # os.wait4 on each child gives its own CPU time and peak RSS (ru_maxrss in KiB on Linux).
        _, status, usage = os.wait4(process.pid, 0)
        log.close()
        children.append({"argv": argv, "wall_seconds": time.perf_counter() - started,
                         "cpu_seconds": usage.ru_utime + usage.ru_stime, "max_rss_mib": usage.ru_maxrss / 1024,
                         "returncode": os.waitstatus_to_exitcode(status)})
    merge = run_measured([sys.executable, "-m", "ztscan", "merge",
                          *(str(directory / f"shard-{count}-{index}") for index in range(1, shards + 1)),
                          "--output-dir", str(directory / f"merged-{count}"), "--fail-on", "none",
                          "--allow-incomplete"], env=env, timeout=600)
    wall = time.perf_counter() - started
    for index, child in enumerate(children, start=1):
        if child["returncode"] != 0:
            output = (directory / f"shard-{count}-{index}.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"shard {index}/{shards} exited with {child['returncode']}:\n{output}")
    if merge.returncode != 0:
        raise SystemExit(f"ztscan merge exited with {merge.returncode}:\n{merge.stderr[-2000:]}")
    return {"tenants": count, "concurrency": concurrency, "shards": shards, "wall_seconds": round(wall, 3),
            "cpu_seconds": round(sum(child["cpu_seconds"] for child in children) + merge.cpu_seconds, 3),
            "max_rss_mib": round(max(child["max_rss_mib"] for child in children), 1),
            "merge_wall_seconds": round(merge.wall_seconds, 3),
            "shard_wall_seconds": [round(child["wall_seconds"], 3) for child in children]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", default="1,10,25,50", help="comma-separated tenant counts (default: 1,10,25,50)")
    parser.add_argument("--concurrency", type=int, default=4, help="--max-tenants-concurrency (default: 4)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tenant count (default: 1)")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="milliseconds each API request waits in the server, without CPU (default: 0)")
    parser.add_argument("--shards", type=int, default=0,
                        help="also scan the largest count as this many concurrent shards plus a merge (default: off)")
    args = parser.parse_args()
    counts = [int(value) for value in args.tenants.split(",")]
    reexec_in_loopback_namespace()

    server = MotoServer(latency_ms=args.latency_ms)
    rows = []
    try:
        populate_tenants(server.endpoint, max(counts))
        with tempfile.TemporaryDirectory(prefix="ztscan-tenants-") as temporary:
            # One unmeasured scan first: moto sets up each service's backend on its first request,
            # and that one-time cost would otherwise land in the first (one-tenant) measurement.
            warm_up = Path(temporary) / "warm-up"
            warm_up.mkdir()
            measure(server.endpoint, warm_up, 1, args.concurrency)
            for count in counts:
                for _ in range(args.repeat):
                    server.reset_calls()
                    user, system = server.cpu_times()
                    rows.append(measure(server.endpoint, Path(temporary), count, args.concurrency))
                    user_after, system_after = server.cpu_times()
                    rows[-1]["latency_ms"] = args.latency_ms
                    rows[-1]["moto_server_cpu_seconds"] = round(user_after + system_after - user - system, 2)
                    rows[-1]["moto_server_user_seconds"] = round(user_after - user, 2)
                    calls = server.calls()
                    rows[-1]["api_calls"] = calls["total"]
                    rows[-1]["api_calls_per_tenant"] = round(calls["total"] / count, 1)
                    rows[-1]["server_errors"] = sum(calls["server_errors"].values())
                    print(f"{count} tenant{'' if count == 1 else 's'}: {rows[-1]['wall_seconds']:.1f} s", flush=True)
            if args.shards:
                rows.append(measure_shards(server.endpoint, Path(temporary), max(counts), args.shards,
                                           args.concurrency))
                print(f"{max(counts)} tenants in {args.shards} shards: {rows[-1]['wall_seconds']:.1f} s", flush=True)
    finally:
        server.stop()

    alone = min(row["wall_seconds"] for row in rows if row["tenants"] == min(counts))
    for row in rows:
        row["per_tenant_seconds"] = round(row["wall_seconds"] / row["tenants"], 3)
        row["ratio_to_one_tenant"] = round(row["wall_seconds"] / alone, 2)
        if "moto_server_cpu_seconds" in row:
            row["simulator_floor_ratio"] = round(row["moto_server_user_seconds"] / alone, 2)
            one_core = max(row["user_seconds"], row["moto_server_user_seconds"])
            row["one_core_bound_ratio"] = round(one_core / alone, 2)
            two_cores = (row["cpu_seconds"] + row["moto_server_cpu_seconds"]) / 2
            row["two_core_bound_ratio"] = round(two_cores / alone, 2)
    print_table(("tenants", "shards", "concurrency", "wall s", "CPU s", "user s", "moto CPU s", "moto user s",
                 "per tenant s", "x one tenant", "floor x one tenant", "one-core bound", "two-core bound", "RSS MiB",
                 "complete", "calls per tenant"),
                [(row["tenants"], row.get("shards", 1), row["concurrency"], row["wall_seconds"], row["cpu_seconds"],
                  row.get("user_seconds", ""), row.get("moto_server_cpu_seconds", ""),
                  row.get("moto_server_user_seconds", ""), row["per_tenant_seconds"], row["ratio_to_one_tenant"],
                  row.get("simulator_floor_ratio", ""), row.get("one_core_bound_ratio", ""),
                  row.get("two_core_bound_ratio", ""), row["max_rss_mib"], row.get("complete_tenants", ""),
                  row.get("api_calls_per_tenant", "")) for row in rows])
    path = write_result("tenants_scaling", {"machine": machine_description(),
                                            "command": "python benchmarks/tenants_scaling.py " + " ".join(sys.argv[1:]),
                                            "runs": rows})
    print(f"result written to {path}")


if __name__ == "__main__":
    main()
