"""Tests of the per-cloud API budget shared by tenant scans (ztscan.tenant_scan.ApiBudget)."""

from __future__ import annotations

import pytest

from ztscan.tenant_scan import ApiBudget


@pytest.mark.parametrize(("api", "tenants", "slots", "workers"), [
    pytest.param(16, 4, 4, 4, id="default"),
    pytest.param(16, 8, 8, 2, id="more-tenants"),
    pytest.param(16, 32, 16, 1, id="tenants-above-budget"),
    pytest.param(4, 1, 1, 4, id="one-tenant"),
    pytest.param(10, 4, 4, 2, id="uneven"),
])
def test_budget_split(api: int, tenants: int, slots: int, workers: int) -> None:
    budget = ApiBudget(api, tenants)
    assert budget.slots == slots
    assert budget.workers_per_target == workers
    assert budget.slots * budget.workers_per_target <= max(api, budget.slots)


def test_budget_slots_per_cloud() -> None:
    budget = ApiBudget(2, 2)
    with budget.slot("aws"), budget.slot("aws"):
        aws_free = budget._semaphores["aws"].acquire(blocking=False)
        azure_free = budget._semaphores["azure"].acquire(blocking=False)
    assert aws_free is False
    assert azure_free is True
