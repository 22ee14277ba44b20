"""Engine throughput: evaluate synthetic inventories of 10,000 to 1,000,000 resources.

For each size, one fresh child process builds the inventory, evaluates it with
every built-in rule and reports the evaluation's wall time, its CPU time and
the process's peak RSS before and after evaluation. Another fresh child then
measures parsing the same inventory from a gzip-compressed snapshot file. The
parent prints a table, checks that time per resource stays flat (linear
growth), and writes benchmarks/results/engine_throughput-<time>.json.

Run: python benchmarks/engine_throughput.py [--sizes 10000,100000,1000000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import gzip
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    REPOSITORY_DIR,
    machine_description,
    print_table,
    run_measured,
    write_result,
)

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _snapshot_functions():
    """Return ztscan.snapshot's (save, load) when that module exists, else None."""
    try:
        from ztscan import snapshot
    except ImportError:
        return None
    save = getattr(snapshot, "save_snapshot", None)
    load = getattr(snapshot, "load_snapshot", None)
    return (save, load) if save and load else None


#: Decompressed-size limit passed to load_snapshot by this benchmark.
SNAPSHOT_MAX_BYTES = 16 * 2**30


def _default_snapshot_limit() -> int | None:
    try:
        from ztscan.snapshot import MAX_DECOMPRESSED_BYTES
    except ImportError:
        return None
    return MAX_DECOMPRESSED_BYTES


def _write_snapshot(inventory, path: Path) -> str:
    functions = _snapshot_functions()
    if functions is not None:
        functions[0](inventory, path, provider="aws")
        return "ztscan.snapshot.save_snapshot"
    data = {
        "resources": [r.to_dict() for r in inventory.resources],
        "errors": [e.to_dict() for e in inventory.errors],
        "scopes": [s.to_dict() for s in inventory.scopes],
        "started_at": inventory.started_at,
        "finished_at": inventory.finished_at,
        "metadata": inventory.metadata,
    }
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        json.dump(data, stream)
    return "gzip + json.dump of the Inventory dict (ztscan.snapshot not present)"


def child_evaluate(size: int, snapshot_path: str | None, profile_path: str | None, gc_mode: str) -> dict:
    """Build and evaluate one inventory in this process; print and return the measurements."""
    from synthetic import EVALUATED_AT, build_inventory

    from ztscan.engine import evaluate
    from ztscan.rulecatalogue import load_rule_catalogue
    from ztscan.rules import all_rules
    from ztscan.rules.clock import frozen

    rules = list(all_rules())
    catalogue = load_rule_catalogue()
    severities = {rule.id: catalogue[rule.id].severity for rule in rules}

    # A small warm-up evaluation, so that first-use costs (imports inside rules, regex
    # compilation, cache fills) are not counted in the measured run.
    with frozen(EVALUATED_AT):
        evaluate(build_inventory(1000, seed=1), rules, severities)

    started = time.perf_counter()
    inventory = build_inventory(size)
    build_seconds = time.perf_counter() - started
    rss_before = _rss_mib()

    # Python's cyclic garbage collector walks every tracked object in its oldest
    # generation on a full collection, so its cost per finding can grow with the size of
    # the inventory in memory. --gc compares the default against gc.freeze() (objects
    # that exist before evaluation are moved out of the collector's view).
    if gc_mode == "freeze":
        gc.collect()
        gc.freeze()
    elif gc_mode == "disabled":
        gc.disable()
    gc_before = [stats["collections"] for stats in gc.get_stats()]

    profiler = cProfile.Profile() if profile_path else None
    with frozen(EVALUATED_AT):
        cpu_started = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        findings = evaluate(inventory, rules, severities)
        if profiler:
            profiler.disable()
        evaluate_seconds = time.perf_counter() - started
        evaluate_cpu_seconds = time.process_time() - cpu_started
    rss_after = _rss_mib()
    gc_collections = [stats["collections"] - before for stats, before in zip(gc.get_stats(), gc_before)]
    max_rss = _max_rss_mib()

    statuses: dict[str, int] = {}
    for finding in findings:
        statuses[finding.status.value] = statuses.get(finding.status.value, 0) + 1
    result = {
        "size": size,
        "gc_mode": gc_mode,
        "gc_collections_by_generation": gc_collections,
        "rules": len(rules),
        "errors": len(inventory.errors),
        "findings": len(findings),
        "statuses": statuses,
        "build_seconds": round(build_seconds, 3),
        "evaluate_seconds": round(evaluate_seconds, 3),
        "evaluate_cpu_seconds": round(evaluate_cpu_seconds, 3),
        "rss_before_evaluate_mib": round(rss_before, 1),
        "rss_after_evaluate_mib": round(rss_after, 1),
        "max_rss_mib": round(max_rss, 1),
    }
    if profiler:
        profiler.dump_stats(profile_path)
    if snapshot_path:
        del findings
        result["snapshot_writer"] = _write_snapshot(inventory, Path(snapshot_path))
        result["snapshot_bytes"] = Path(snapshot_path).stat().st_size
    print(json.dumps(result))
    return result


def child_per_rule(size: int) -> dict:
    """Evaluate each rule alone over one inventory and print the CPU time each takes, largest first."""
    from synthetic import EVALUATED_AT, build_inventory

    from ztscan.engine import evaluate
    from ztscan.rulecatalogue import load_rule_catalogue
    from ztscan.rules import all_rules
    from ztscan.rules.clock import frozen

    rules = list(all_rules())
    catalogue = load_rule_catalogue()
    severities = {rule.id: catalogue[rule.id].severity for rule in rules}
    inventory = build_inventory(size)
    timings = {}
    with frozen(EVALUATED_AT):
        evaluate(build_inventory(1000, seed=1), rules, severities)
        started = time.process_time()
        evaluate(inventory, rules, severities)
        all_rules_cpu = time.process_time() - started
        for rule in rules:
            started = time.process_time()
            findings = evaluate(inventory, [rule], severities)
            timings[rule.id] = (time.process_time() - started, len(findings))
    ranked = sorted(timings.items(), key=lambda item: -item[1][0])
    result = {"size": size, "all_rules_cpu_seconds": round(all_rules_cpu, 3),
              "per_rule": [{"rule": rule_id, "cpu_seconds": round(cpu, 3), "findings": count,
                            "cpu_us_per_finding": round(cpu / count * 1e6, 2) if count else None}
                           for rule_id, (cpu, count) in ranked]}
    print(json.dumps(result))
    return result


def child_parse(snapshot_path: str) -> dict:
    """Load a snapshot file in this process; print and return the measurements."""
    from ztscan.model import CollectionError, Inventory, Resource, ScopeRecord

    functions = _snapshot_functions()
    cpu_started = time.process_time()
    started = time.perf_counter()
    if functions is not None:
        # load_snapshot's default limit on the decompressed size is close to the size of a
        # 1,000,000-resource inventory, so the benchmark raises it and records both sizes.
        inventory = functions[1](Path(snapshot_path), max_bytes=SNAPSHOT_MAX_BYTES)
        parsed_seconds = time.perf_counter() - started
        loader = "ztscan.snapshot.load_snapshot"
        json_seconds = None
    else:
        with gzip.open(snapshot_path, "rb") as stream:
            data = json.loads(stream.read())
        json_seconds = time.perf_counter() - started
        inventory = Inventory(
            resources=[Resource.from_dict(item) for item in data["resources"]],
            errors=[CollectionError.from_dict(item) for item in data["errors"]],
            scopes=[ScopeRecord.from_dict(item) for item in data["scopes"]],
            started_at=data["started_at"], finished_at=data["finished_at"], metadata=data["metadata"],
        )
        parsed_seconds = time.perf_counter() - started
        loader = "gzip + json.loads, then Resource.from_dict (ztscan.snapshot not present)"
    parse_cpu_seconds = time.process_time() - cpu_started
    with gzip.open(snapshot_path, "rb") as stream:
        decompressed_bytes = sum(len(chunk) for chunk in iter(lambda: stream.read(1 << 24), b""))
    result = {
        "loader": loader,
        "decompressed_bytes": decompressed_bytes,
        "default_limit_bytes": _default_snapshot_limit(),
        "resources": len(inventory.resources),
        "json_loads_seconds": round(json_seconds, 3) if json_seconds is not None else None,
        "parse_seconds": round(parsed_seconds, 3),
        "parse_cpu_seconds": round(parse_cpu_seconds, 3),
        "max_rss_mib": round(_max_rss_mib(), 1),
    }
    print(json.dumps(result))
    return result


def _last_json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"child printed no result:\n{text}")


def _child(args: list[str]) -> dict:
    run = run_measured([sys.executable, str(Path(__file__).resolve()), *args], cwd=REPOSITORY_DIR)
    if run.returncode != 0:
        raise RuntimeError(f"child {args} exited with {run.returncode}:\n{run.stderr[-4000:]}")
    result = _last_json_line(run.stdout)
    result["child_wall_seconds"] = round(run.wall_seconds, 3)
    result["child_max_rss_mib"] = round(run.max_rss_mib, 1)
    return result


def _top_functions(profile_path: str, limit: int = 15) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profile_path, stream=stream)
    stats.sort_stats("tottime").print_stats(limit)
    return stream.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated inventory sizes, multiples of 1000")
    parser.add_argument("--profile", action="store_true",
                        help="also run evaluation under cProfile in a separate child and print the hot spots")
    parser.add_argument("--gc", choices=("default", "freeze", "disabled"), default="default",
                        help="garbage collector setting during evaluation (default: Python's default)")
    parser.add_argument("--per-rule", type=int, metavar="SIZE",
                        help="only measure the CPU time of each rule alone over an inventory of SIZE resources")
    parser.add_argument("--child", choices=("evaluate", "parse", "per-rule"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "evaluate":
        child_evaluate(args.size, args.snapshot, args.profile_out, args.gc)
        return 0
    if args.child == "parse":
        child_parse(args.snapshot)
        return 0
    if args.child == "per-rule":
        child_per_rule(args.size)
        return 0
    if args.per_rule:
        result = _child(["--child", "per-rule", "--size", str(args.per_rule)])
        print_table(["rule", "CPU s", "findings", "CPU us/finding"],
                    [[row["rule"], row["cpu_seconds"], row["findings"], row["cpu_us_per_finding"]]
                     for row in result["per_rule"]])
        print(f"all rules together: {result['all_rules_cpu_seconds']} s CPU for {args.per_rule:,} resources")
        path = write_result("engine_per_rule", {
            "machine": machine_description(("ztscan",)),
            "command": "python benchmarks/engine_throughput.py " + " ".join(sys.argv[1:]),
            "result": result,
        })
        print(f"result written to {path}")
        return 0

    from synthetic import check_mix_covers_kinds

    sizes = [int(value) for value in args.sizes.split(",")]
    rows = []
    measurements = []
    with tempfile.TemporaryDirectory(prefix="ztscan-bench-") as workdir:
        for size in sizes:
            snapshot = os.path.join(workdir, f"inventory-{size}.json.gz")
            evaluated = _child(["--child", "evaluate", "--size", str(size), "--snapshot", snapshot, "--gc", args.gc])
            parsed = _child(["--child", "parse", "--snapshot", snapshot])
            os.unlink(snapshot)
            entry = {"evaluate": evaluated, "parse": parsed}
            if args.profile:
                profile_path = os.path.join(workdir, f"profile-{size}.prof")
                _child(["--child", "evaluate", "--size", str(size), "--profile-out", profile_path, "--gc", args.gc])
                entry["profile_top"] = _top_functions(profile_path)
                print(f"--- cProfile of evaluate() for {size} resources, by own time ---")
                print(entry["profile_top"])
            measurements.append(entry)
            per_resource_us = evaluated["evaluate_cpu_seconds"] / size * 1e6
            rows.append([
                f"{size:,}", f"{evaluated['findings']:,}", f"{evaluated['evaluate_seconds']:.2f}",
                f"{evaluated['evaluate_cpu_seconds']:.2f}", f"{per_resource_us:.1f}",
                f"{parsed['parse_seconds']:.2f}", f"{parsed['parse_cpu_seconds']:.2f}",
                f"{evaluated['evaluate_cpu_seconds'] / parsed['parse_cpu_seconds']:.2f}",
                f"{evaluated['rss_before_evaluate_mib']:.0f}", f"{evaluated['max_rss_mib']:.0f}",
                f"{parsed['max_rss_mib']:.0f}",
            ])
            print(f"size {size:,}: evaluate {evaluated['evaluate_seconds']:.2f} s, "
                  f"parse {parsed['parse_seconds']:.2f} s", flush=True)

    print()
    print_table(["resources", "findings", "evaluate wall s", "evaluate CPU s", "CPU us/resource",
                 "parse wall s", "parse CPU s", "evaluate/parse CPU", "RSS before MiB", "peak RSS MiB",
                 "parse peak MiB"], rows)
    # CPU time is the figure to compare: on a shared machine, wall time also counts waiting for a core.
    per_resource = [m["evaluate"]["evaluate_cpu_seconds"] / m["evaluate"]["size"] for m in measurements]
    growth = per_resource[-1] / per_resource[0]
    print(f"\nCPU time per resource, largest size over smallest: {growth:.2f} (1.00 is perfectly linear)")
    uncovered = check_mix_covers_kinds()
    if uncovered:
        print(f"kinds not in the synthetic mix: {', '.join(uncovered)}")
    path = write_result("engine_throughput", {
        "machine": machine_description(("ztscan",)),
        "command": "python benchmarks/engine_throughput.py " + " ".join(sys.argv[1:]),
        "measurements": measurements,
        "per_resource_growth": round(growth, 3),
        "kinds_not_in_mix": uncovered,
    })
    print(f"result written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
