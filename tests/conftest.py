"""Suite-wide guard: every AWS operation that any ztscan scan in the test suite sends is declared and a read.

ztscan's AWS clients carry ``ztscan/<version>`` in their User-Agent, which
separates the scanner's requests from those the tests send to build moto
fixtures (writes). The recorder wraps botocore's request method for the whole
session; at the end, an undeclared or non-read operation fails the run.
"""

from __future__ import annotations

import threading

import pytest

_issued: set[tuple[str, str]] = set()
_lock = threading.Lock()


@pytest.fixture(autouse=True, scope="session")
def record_scanner_operations():
    try:
        from botocore.client import BaseClient
    except ImportError:  # the AWS extra is not installed
        yield
        return
    original = BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        if "ztscan/" in (self.meta.config.user_agent_extra or ""):
            with _lock:
                _issued.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", recording)
        yield


def _undeclared_or_writes() -> list[str]:
    from ztscan.tenant_targets import TENANT_OPERATIONS
    from ztscan_aws.provider import AwsProvider

    # Declared operations use botocore's service names, except ELBv2 and the tagging API.
    aliases = {"elasticloadbalancing": "elbv2", "tag": "resourcegroupstaggingapi"}
    declared = {(aliases.get(op.service, op.service), op.operation): op
                for op in [*AwsProvider().operations(), *TENANT_OPERATIONS]}
    problems = []
    for service, name in sorted(_issued):
        operation = declared.get((service, name))
        if operation is None:
            problems.append(f"{service}:{name} is not declared in the AWS provider's operations()")
            continue
        read = name.startswith(("Get", "List", "Describe")) or name == "GenerateCredentialReport"
        if not read and not operation.credential:
            problems.append(f"{service}:{name} is not a read")
    return problems


def pytest_sessionfinish(session, exitstatus):
    if not _issued:
        return
    problems = _undeclared_or_writes()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"ztscan scans in this run issued {len(_issued)} distinct AWS operations; "
                            f"{len(problems)} problems")
        for problem in problems:
            reporter.write_line(f"  {problem}", red=True)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
