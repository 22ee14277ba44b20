"""Denied, throttled and failing calls: retries with a bound, and ERROR only where data is missing."""

from __future__ import annotations

import time

from ztscan.engine import evaluate
from ztscan.model import Severity, Status
from ztscan.provider import CollectContext
from ztscan.rules.network import no_internet_admin_ports

from ztscan_gcp.provider import GcpProvider

from tests.fakes.gcp_server import BAD_GATEWAY_HTML
from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import by_kind, collect

P = "clinic-prod"
FIREWALLS = "/compute/v1/projects/clinic-prod/global/firewalls"


def _install(server, *projects):
    for project in projects or (P,):
        b.ProjectLayout(project, networks=[b.network(project)], firewalls=[
            b.firewall(project, "ssh", allowed=[{"IPProtocol": "tcp", "ports": ["22"]}], sourceRanges=["10.0.0.0/8"]),
        ], sql_instances=[b.sql_instance(project, "db")]).install(server)


def test_forbidden_project_is_error_only_there(server):
    _install(server, "clinic-prod", "clinic-dev")
    server.fail("/compute/v1/projects/clinic-dev/global/firewalls", 403, times=10)
    inventory = collect(server, projects="clinic-prod,clinic-dev")
    findings = evaluate(inventory, [no_internet_admin_ports], {"ZT-NET-001": Severity.HIGH})
    by_account = {(f.scope.account, f.status) for f in findings}
    assert by_account == {("clinic-prod", Status.PASS), ("clinic-dev", Status.ERROR)}
    error = next(e for e in inventory.errors if e.scope.account == "clinic-dev")
    assert error.code.startswith("403 Forbidden")
    assert error.kind == "network.firewall"
    assert len(server.requests_to("/clinic-dev/global/firewalls")) == 1


def test_throttled_call_retried_then_succeeds(server):
    _install(server)
    server.fail(FIREWALLS, 429, times=2)
    inventory = collect(server)
    assert "default" in by_kind(inventory, "network.firewall")
    assert not [e for e in inventory.errors if e.kind == "network.firewall"]
    assert len(server.requests_to(FIREWALLS)) == 3


def test_throttled_call_gives_up_after_bound(server):
    _install(server)
    server.fail(FIREWALLS, 429, times=100)
    inventory = collect(server)
    errors = [e for e in inventory.errors if e.kind == "network.firewall"]
    assert len(errors) == 1
    assert "429" in errors[0].code
    assert len(server.requests_to(FIREWALLS)) == 4  # max_attempts of the fast retry settings
    assert "network.firewall" not in {r.kind for r in inventory.resources}


def test_throttled_call_gives_up_at_deadline(server):
    _install(server)
    server.fail(FIREWALLS, 429, times=1000)
    started = time.monotonic()
    inventory = collect(server, retry={"initial": 0.05, "maximum": 0.05, "deadline": 0.3, "max_attempts": 1000})
    assert time.monotonic() - started < 30  # bounded, far from the 1000 attempts
    assert any("429" in e.code for e in inventory.errors if e.kind == "network.firewall")
    assert len(server.requests_to(FIREWALLS)) < 1000


def test_html_bad_gateway_retried(server):
    _install(server)
    server.fail(FIREWALLS, 502, times=1, body=BAD_GATEWAY_HTML, content_type="text/html; charset=UTF-8")
    inventory = collect(server)
    assert "default" in by_kind(inventory, "network.firewall")
    assert len(server.requests_to(FIREWALLS)) == 2


def test_html_bad_gateway_recorded(server):
    _install(server)
    server.fail(FIREWALLS, 502, times=100, body=BAD_GATEWAY_HTML, content_type="text/html; charset=UTF-8")
    inventory = collect(server)
    error = next(e for e in inventory.errors if e.kind == "network.firewall")
    assert "BadGateway" in error.code


def test_error_on_second_page_fails_listing(server):
    layout = b.ProjectLayout(P, networks=[b.network(P)], firewalls=[
        b.firewall(P, f"rule-{i}", allowed=[{"IPProtocol": "tcp"}], sourceRanges=["10.0.0.0/8"]) for i in range(4)
    ], firewall_page_size=2)
    layout.install(server)
    server.fail("global/firewalls?pageToken=1", 403)
    inventory = collect(server)
    assert "network.firewall" not in {r.kind for r in inventory.resources}
    assert [e.operation for e in inventory.errors if e.kind == "network.firewall"] == ["firewalls.list"]


def test_rest_call_retried_after_throttling(server):
    _install(server)
    server.fail("/v1/projects/clinic-prod/instances", 429, times=2)
    inventory = collect(server)
    assert "db" in by_kind(inventory, "database")
    assert len(server.requests_to("/v1/projects/clinic-prod/instances")) == 3


def test_rest_call_denied_recorded(server):
    _install(server)
    server.fail("/v1/projects/clinic-prod/instances", 403)
    inventory = collect(server)
    error = next(e for e in inventory.errors if e.kind == "database")
    assert error.operation == "instances.list"
    assert error.code.startswith("403")


def test_storage_server_error_retried(server):
    b.ProjectLayout(P, buckets=[b.bucket("phi")]).install(server)
    server.fail("/storage/v1/b?", 500, times=1)
    inventory = collect(server)
    assert "phi" in by_kind(inventory, "storage.bucket")


def test_expired_deadline_records_timeouts(server):
    from google.auth.credentials import AnonymousCredentials

    _install(server)
    options = {"projects": P, "credentials": AnonymousCredentials(),
               "endpoint": {api: server.url for api in ("compute", "storage", "cloudresourcemanager", "sqladmin",
                                                        "iam", "cloudkms")}}
    inventory = GcpProvider().collect(options, CollectContext(deadline=time.monotonic() - 1))
    assert inventory.errors
    assert {e.code for e in inventory.errors} == {"Timeout", "DependencyFailed"}
    assert server.requests == []


def test_networks_denied_makes_firewalls_error(server):
    _install(server)
    server.fail("/global/networks", 403)
    inventory = collect(server)
    kinds = {e.kind for e in inventory.errors if not e.facts}
    assert {"network", "network.firewall"} <= kinds
    assert "network.firewall" not in {r.kind for r in inventory.resources}
