"""Helpers shared by the benchmark scripts: machine description, child process measurement, result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPOSITORY_DIR = BENCHMARKS_DIR.parent
RESULTS_DIR = BENCHMARKS_DIR / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_mib() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_description(packages: Sequence[str] = ("ztscan", "boto3", "botocore", "moto")) -> dict[str, Any]:
    """Describe the machine and software a figure was measured on."""
    return {
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "memory_total_mib": _memory_total_mib(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: package_version(name) for name in packages},
        # Other processes share this machine, so the load average is part of every figure.
        "load_average_1_5_15": [round(value, 2) for value in os.getloadavg()],
    }


@dataclass
class ChildRun:
    """Wall time, peak resident memory and exit status of one child process."""

    argv: list[str]
    wall_seconds: float
    #: User plus system CPU time of the child, which other processes on the machine do not inflate.
    cpu_seconds: float
    max_rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    #: User CPU time alone: for a Python process, about the time its threads held the interpreter lock.
    user_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "argv": self.argv,
            "wall_seconds": round(self.wall_seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "user_seconds": round(self.user_seconds, 3),
            "max_rss_mib": round(self.max_rss_mib, 1),
            "returncode": self.returncode,
        }


def run_measured(argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 timeout: float | None = None) -> ChildRun:
    """Run ``argv`` and return its wall time and the peak RSS of that process.

    The peak RSS comes from ``os.wait4`` on the child itself, so it covers the
    child process only, not processes the child starts and waits for.
    """
    out_path = RESULTS_DIR / f".child-{os.getpid()}.out"
    err_path = RESULTS_DIR / f".child-{os.getpid()}.err"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), stdout=out, stderr=err, env=dict(env) if env else None,
                                   cwd=cwd)
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    out_path.unlink()
    err_path.unlink()
    # On Linux ru_maxrss is in KiB.
    return ChildRun(list(argv), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode,
                    stdout, stderr, user_seconds=usage.ru_utime)


NAMESPACE_MARKER = "ZTSCAN_BENCHMARK_IN_NETNS"


def reexec_in_loopback_namespace() -> None:
    """Re-run this script inside a new network namespace that has only loopback, then bring loopback up.

    The first call re-executes the script under ``unshare -rn`` (a user and network
    namespace, no root needed) and exits with its status. Inside the namespace it
    runs ``ip link set lo up``. When unshare or ip is refused, the script exits with
    their error instead of running with network access.
    """
    if os.environ.get(NAMESPACE_MARKER) == "1":
        completed = subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True, text=True)
        if completed.returncode != 0:
            raise SystemExit(f"could not bring up loopback in the namespace: {completed.stderr.strip()}")
        return
    env = dict(os.environ, **{NAMESPACE_MARKER: "1"})
    argv = ["unshare", "-rn", sys.executable, *sys.argv]
    try:
        completed = subprocess.run(argv, check=False, env=env)
    except FileNotFoundError:
        raise SystemExit("unshare is not installed; the benchmark needs a network namespace with only loopback")
    raise SystemExit(completed.returncode)


def write_result(name: str, data: Mapping[str, Any]) -> Path:
    """Write one benchmark result as JSON under benchmarks/results/ and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a plain aligned table."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(str(header)), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]
    print("  ".join(str(header).ljust(width) for header, width in zip(headers, widths)))
    for row in cells:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths)))
    sys.stdout.flush()
