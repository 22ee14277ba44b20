"""Tests of the per-cloud API budget shared by tenant scans (ztscan.tenant_scan.ApiBudget, RequestSlots).

The last tests run tenant scans through the CLI against moto's server on
127.0.0.1, behind a WSGI layer that delays each request for a moment and records
how many were in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ztscan.provider import RequestSlots
from ztscan.tenant_scan import ApiBudget

from .moto_wsgi import LayeredMotoServer, fake_aws_environment, moto_session


@pytest.mark.parametrize(("api", "tenants", "slots", "workers"), [
    pytest.param(16, 4, 4, 16, id="default"),
    pytest.param(16, 8, 8, 16, id="more-tenants"),
    pytest.param(16, 32, 16, 16, id="tenants-above-budget"),
    pytest.param(4, 1, 1, 4, id="one-tenant"),
    pytest.param(10, 4, 4, 10, id="uneven"),
])
def test_budget_split(api: int, tenants: int, slots: int, workers: int) -> None:
    budget = ApiBudget(api, tenants)
    assert budget.slots == slots
    assert budget.workers_per_target == workers
    assert budget.requests["aws"].size == api


def test_budget_slots_per_cloud() -> None:
    budget = ApiBudget(2, 2)
    with budget.slot("aws"), budget.slot("aws"):
        aws_free = budget._semaphores["aws"].acquire(blocking=False)
        azure_free = budget._semaphores["azure"].acquire(blocking=False)
    assert aws_free is False
    assert azure_free is True


def _peak_in_flight(slots: RequestSlots, threads: int, hold: float = 0.02) -> int:
    """Run ``threads`` threads that each hold a slot for ``hold`` seconds; return the most held at once."""
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def work() -> None:
        with slots.slot():
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(hold)
            with lock:
                state["now"] -= 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)
    return state["peak"]


def test_request_slots_bound_threads() -> None:
    assert _peak_in_flight(RequestSlots(3), threads=12) == 3


def test_request_slots_nested_call_no_deadlock() -> None:
    slots = RequestSlots(1)
    finished = threading.Event()

    def nested() -> None:
        with slots.slot(), slots.slot():
            pass
        finished.set()

    thread = threading.Thread(target=nested, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert finished.is_set()
    # The slot is free again afterwards.
    assert _peak_in_flight(slots, threads=2) == 1


# -- tenant runs against a moto server ---------------------------------------------------------

HOLD_SECONDS = 0.03
TENANT_ACCOUNTS = ["210000000000", "210000000001", "210000000002"]


class InFlight:
    """WSGI layer: delays each request by HOLD_SECONDS and records the most requests in flight at once."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.hold = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            if self.hold:
                time.sleep(self.hold)
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.now -= 1

    def reset(self, hold: float) -> None:
        with self.lock:
            self.peak = 0
            self.hold = hold


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[tuple[str, InFlight]]:
    layers: list[InFlight] = []

    def wrap(app: Callable[..., Iterable[bytes]]) -> InFlight:
        layers.append(InFlight(app))
        return layers[0]

    server = LayeredMotoServer(wrap)
    with pytest.MonkeyPatch.context() as patch:
        fake_aws_environment(patch)
        for account in TENANT_ACCOUNTS:
            s3 = moto_session(server.url, account).client("s3", endpoint_url=server.url)
            for index in range(6):
                s3.create_bucket(Bucket=f"budget-{account}-{index}")
        yield server.url, layers[0]
    server.stop()


def _tenants_file(directory: Path, url: str, accounts: list[str]) -> Path:
    lines = ["version: 1", "defaults:", "  aws:", "    regions: [us-east-1]", f"    endpoint_url: {url}", "tenants:"]
    for account in accounts:
        lines += [f"  - name: clinic-{account[-3:]}", "    aws:",
                  f"      role_arn: arn:aws:iam::{account}:role/ZtscanAudit", f"      external_id: x-{account}"]
    path = directory / f"tenants-{len(accounts)}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(directory: Path, url: str, accounts: list[str], api: int, tenants: int) -> int:
    from ztscan.cli import main

    path = _tenants_file(directory, url, accounts)
    return main(["scan", "--tenants", str(path), "--output-dir", str(directory / f"out-{len(accounts)}"),
                 "--max-api-concurrency", str(api), "--max-tenants-concurrency", str(tenants),
                 "--fail-on", "none", "--allow-incomplete"])


def test_tenants_stay_within_api_budget(moto_endpoint: tuple[str, InFlight], tmp_path: Path) -> None:
    url, layer = moto_endpoint
    layer.reset(HOLD_SECONDS)
    assert _run(tmp_path, url, TENANT_ACCOUNTS, api=4, tenants=3) == 0
    assert 2 <= layer.peak <= 4


def test_lone_tenant_uses_whole_budget(moto_endpoint: tuple[str, InFlight], tmp_path: Path) -> None:
    """One tenant may use the calls that absent tenants leave idle (a fixed share would be 6 // 3 = 2)."""
    url, layer = moto_endpoint
    layer.reset(HOLD_SECONDS)
    assert _run(tmp_path, url, TENANT_ACCOUNTS[:1], api=6, tenants=3) == 0
    assert 3 <= layer.peak <= 6
