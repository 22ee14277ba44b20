"""Every API operation a scan issues is declared by its provider and is a read; the printed policies match.

The scans run against the fault-test estates of all three providers, once clean
and once with the denials that send collectors down their fallback paths. AWS
operations are recorded with a botocore ``before-call`` hook; Azure and GCP
operations come from the fake servers' request logs.
"""

from __future__ import annotations

import io
import json
from typing import Iterator

import pytest

from tests.faults import plan as faults
from tests.faults.aws_wire import FaultyMotoServer
from tests.faults.conftest import (
    aws_environment,
    aws_options,
    azure_options,
    fast_botocore_backoff,
    gcp_options,
    guard_network,
    scan,
)
from tests.faults.estates import build_aws, build_azure, build_gcp
from tests.faults.fake_servers import FaultyAzureServer, FaultyGcpServer
from tests.faults.operations import (
    AZURE_SIGN_IN,
    GCP_SIGN_IN,
    azure_operation,
    gcp_operation,
    is_read_operation,
    is_read_permission,
)
from tests.plugins.azure.azure_estate import Estate
from tests.plugins.azure.conftest import prepare_environment
from ztscan.cli import main

#: Denials that make collectors use their fallback operations, so those are recorded too.
AWS_FALLBACKS = r"^iam\.(GetCredentialReport|GetAccountAuthorizationDetails)$"
AZURE_FALLBACKS = r"^graph\.users\.list\(signInActivity\)$"


def declared(provider: str) -> set[str]:
    from tests.faults.conftest import app

    return {f"{op.service}.{op.operation}" for op in app().provider(provider).operations()}


@pytest.fixture(scope="module")
def aws_issued() -> Iterator[set[str]]:
    import boto3

    server = FaultyMotoServer().start()
    issued: set[str] = set()

    def record(model, **_):
        issued.add(f"{model.service_model.service_name}.{model.name}")

    try:
        with pytest.MonkeyPatch.context() as patch:
            guard_network(patch)
            aws_environment(patch, server.url)
            fast_botocore_backoff(patch)
            server.reset()
            build_aws(server.url)
            session = boto3.Session(region_name="us-east-1")
            session.events.register("before-call", record)
            scan("aws", aws_options(server, session=session))
            server.plan = faults.FaultPlan().always(AWS_FALLBACKS, faults.DENIED)
            scan("aws", aws_options(server, session=session))
    finally:
        server.stop()
    yield issued


@pytest.fixture(scope="module")
def azure_requests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list]:
    with FaultyAzureServer(tmp_path_factory.mktemp("least-privilege-azure")) as server, \
            pytest.MonkeyPatch.context() as patch:
        guard_network(patch)
        prepare_environment(patch, server)
        build_azure(Estate(server))
        scan("azure", azure_options(server))
        server.plan = faults.FaultPlan().always(AZURE_FALLBACKS, faults.DENIED)
        scan("azure", azure_options(server))
        yield list(server.requests)


@pytest.fixture(scope="module")
def gcp_requests() -> Iterator[list]:
    with FaultyGcpServer() as server, pytest.MonkeyPatch.context() as patch:
        guard_network(patch)
        build_gcp(server)
        server.set_list("/v3/projects", [{"name": "projects/123456789", "projectId": "clinic-prod", "state": "ACTIVE",
                                          "displayName": "clinic-prod"}],
                        field_name="projects", query={"parent": "organizations/9001"})
        server.set_list("/v3/folders", [], field_name="folders", query={"parent": "organizations/9001"})
        scan("gcp", gcp_options(server))
        scan("gcp", gcp_options(server, projects=None, organization="9001"))
        yield list(server.requests)


def test_aws_operations_declared(aws_issued):
    assert aws_issued
    assert aws_issued - declared("aws") == set()


def test_aws_operations_are_reads(aws_issued):
    assert {operation for operation in aws_issued if not is_read_operation(operation)} == set()


def _azure_issued(requests) -> list[tuple[str, str, str | None]]:
    return [(r.method, r.path, azure_operation(r.method, r.path, r.query)) for r in requests
            if not AZURE_SIGN_IN.search(r.path)]


def test_azure_operations_declared(azure_requests):
    issued = _azure_issued(azure_requests)
    assert issued
    assert [(method, path) for method, path, operation in issued if operation is None] == []
    assert {operation for _, _, operation in issued} - declared("azure") == set()


def test_azure_operations_are_reads(azure_requests):
    issued = _azure_issued(azure_requests)
    assert {method for method, _, _ in issued} == {"GET"}
    assert {operation for _, _, operation in issued if not is_read_operation(operation or "")} == set()


def _gcp_issued(requests) -> list[tuple[str, str, str | None]]:
    return [(r.method, r.path, gcp_operation(r.method, r.path)) for r in requests if not GCP_SIGN_IN.search(r.path)]


def test_gcp_operations_declared(gcp_requests):
    issued = _gcp_issued(gcp_requests)
    assert issued
    assert [(method, path) for method, path, operation in issued if operation is None] == []
    assert {operation for _, _, operation in issued} - declared("gcp") == set()


def test_gcp_operations_are_reads(gcp_requests):
    issued = _gcp_issued(gcp_requests)
    assert {operation for _, _, operation in issued if not is_read_operation(operation or "")} == set()


# -- ztscan permissions ------------------------------------------------------------


def printed_policy(provider: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = main(["permissions", provider], out=out, err=err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def declared_permissions(provider: str) -> set[str]:
    from tests.faults.conftest import app

    return {op.permission for op in app().provider(provider).operations() if op.permission and not op.credential}


def test_gcp_role_leaves_out_token_minting():
    role = printed_policy("gcp")
    assert "iam.serviceAccounts.getAccessToken" not in role["includedPermissions"]
    from tests.faults.conftest import app

    credential = [op.permission for op in app().provider("gcp").operations() if op.credential]
    assert credential == ["iam.serviceAccounts.getAccessToken"]


def test_aws_policy_document():
    policy = printed_policy("aws")
    statements = policy["Statement"]
    assert policy["Version"] == "2012-10-17"
    assert len(statements) == 1
    assert statements[0]["Effect"] == "Allow"
    assert statements[0]["Resource"] == "*"
    assert statements[0]["Action"] == sorted(statements[0]["Action"])
    assert set(statements[0]["Action"]) == declared_permissions("aws")


def test_aws_policy_only_reads():
    actions = printed_policy("aws")["Statement"][0]["Action"]
    assert [action for action in actions if not is_read_permission("aws", action)] == []


def test_azure_role_definition():
    policy = printed_policy("azure")
    role = policy["roleDefinition"]
    graph = set(policy["microsoftGraphApplicationPermissions"])
    assert set(role["Actions"]) | graph == declared_permissions("azure")
    assert role["DataActions"] == []
    assert [action for action in role["Actions"] if not is_read_permission("azure", action)] == []
    assert [permission for permission in graph if not is_read_permission("azure", permission)] == []


def test_gcp_custom_role():
    role = printed_policy("gcp")
    permissions = role["includedPermissions"]
    assert {"title", "description", "stage", "includedPermissions"} <= role.keys()
    assert permissions == sorted(permissions)
    assert set(permissions) == declared_permissions("gcp")
    assert [permission for permission in permissions if not is_read_permission("gcp", permission)] == []


def test_suite_guard_flags_undeclared_and_writes():
    from tests import conftest

    planted = {("s3", "PutBucketPolicy"), ("ec2", "DescribeImages")}
    with conftest._lock:
        before = set(conftest._issued)
        conftest._issued.update(planted)
    try:
        problems = conftest._undeclared_or_writes()
    finally:
        with conftest._lock:
            conftest._issued.clear()
            conftest._issued.update(before)
    assert "s3:PutBucketPolicy is not declared in the AWS provider's operations()" in problems
    assert "ec2:DescribeImages is not declared in the AWS provider's operations()" in problems


def test_scanner_requests_carry_user_agent():
    from ztscan_aws.session import USER_AGENT

    assert USER_AGENT.startswith("ztscan/")
