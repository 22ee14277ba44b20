"""Tests of multi-tenant scanning (ztscan.msp) and ztscan merge against an MSP estate in moto.

One module-scoped run scans six tenants. They are an AWS Organization entered
through a member role, a client account entered through a role with an external
id, a tenant whose hub credentials may not assume roles, a tenant whose Azure
secret variable is not set, the hub account through a profile, and an
organization entry that names an account the organization does not contain.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from ztscan.cli import main
from ztscan.msp import Progress, parse_shard, shard_tenants
from ztscan.tenants import Tenant

from .msp_estate import CLIENT_ACCOUNT, HUB_ACCOUNT, TENANTS_YAML, build_estate, clean_aws_environment

SMALL_TENANTS_YAML = """\
version: 1
tenants:
  - name: msp-hub
    aws: {profile: hub, regions: [us-east-1]}
  - name: hospital-east
    aws:
      profile: hub
      role_arn: arn:aws:iam::444455556666:role/ZtscanAudit
      external_id: hospital-east-8812
      regions: [us-east-1]
  - name: broken-secret
    azure:
      tenant_id: 00000000-0000-0000-0000-000000000001
      client_id: 00000000-0000-0000-0000-000000000002
      client_secret_env: ZTSCAN_TEST_UNSET_SECRET
  - name: missing-key-file
    gcp: {projects: [lab-prod], key_file: /nonexistent/ztscan-test-key.json}
"""


class Run:
    def __init__(self, code: int, out: Path, stderr: str):
        self.code = code
        self.out = out
        self.stderr = stderr

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.out / "run.json").read_text(encoding="utf-8"))

    def record(self, name: str) -> dict[str, Any]:
        return next(record for record in self.manifest()["tenants"] if record["name"] == name)

    def report(self, name: str) -> dict[str, Any]:
        return json.loads((self.out / "tenants" / name / "report.json").read_text(encoding="utf-8"))

    def rollup(self) -> dict[str, Any]:
        return json.loads((self.out / "rollup.json").read_text(encoding="utf-8"))


def run_cli(*argv: str) -> tuple[int, str]:
    from moto.core import enable_iam_authentication

    out, err = io.StringIO(), io.StringIO()
    with enable_iam_authentication():
        code = main(list(argv), out=out, err=err)
    return code, err.getvalue()


def scan_tenants(tenants_file: Path, out: Path, *extra: str) -> Run:
    code, stderr = run_cli("scan", "--tenants", str(tenants_file), "--output-dir", str(out),
                           "--max-tenants-concurrency", "5", *extra)
    return Run(code, out, stderr)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    directory = tmp_path_factory.mktemp("msp")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clean_aws_environment(monkeypatch, directory / "aws-credentials")
        monkeypatch.delenv("ZTSCAN_TEST_UNSET_SECRET", raising=False)
        with mock_aws():
            built = build_estate(directory, members=3)
            tenants_file = directory / "tenants.yaml"
            tenants_file.write_text(TENANTS_YAML, encoding="utf-8")
            small_file = directory / "small.yaml"
            small_file.write_text(SMALL_TENANTS_YAML, encoding="utf-8")
            full = scan_tenants(tenants_file, directory / "full", "--formats", "table,json,sarif")
            whole = scan_tenants(small_file, directory / "whole")
            shards = [scan_tenants(small_file, directory / f"shard-{index}", "--shard", f"{index}/2")
                      for index in (1, 2)]
            yield {"directory": directory, "estate": built, "tenants_file": tenants_file,
                   "small_file": small_file, "full": full, "whole": whole, "shards": shards}


# -- one run, five tenants ------------------------------------------------------


def test_run_exit_code_incomplete(estate: dict[str, Any]) -> None:
    assert estate["full"].code == 3


def test_run_tenant_statuses(estate: dict[str, Any]) -> None:
    full = estate["full"]
    statuses = {record["name"]: record["status"] for record in full.manifest()["tenants"]}
    assert statuses == {"clinic-group": "complete", "hospital-east": "complete", "msp-hub": "complete",
                        "denied-lab": "error", "broken-secret": "error", "org-typo": "error"}


def test_organization_member_accounts(estate: dict[str, Any]) -> None:
    targets = estate["full"].record("clinic-group")["targets"]
    accounts = sorted(target["account"] for target in targets)
    assert accounts == sorted(estate["estate"].member_accounts)
    assert HUB_ACCOUNT not in accounts
    assert all(target["state"] == "scanned" for target in targets)


def test_organization_findings_per_account(estate: dict[str, Any]) -> None:
    report = estate["full"].report("clinic-group")
    buckets = {finding["resource"]["id"] for finding in report["findings"]
               if finding["resource"]["kind"] == "storage.bucket"}
    for account in estate["estate"].member_accounts:
        assert any(f"phi-{account}" in bucket for bucket in buckets)


def test_organization_unknown_account(estate: dict[str, Any]) -> None:
    targets = estate["full"].record("org-typo")["targets"]
    assert [(target["account"], target["code"]) for target in targets] == [("999999999999", "AccountNotInOrganization")]


def test_role_tenant_account(estate: dict[str, Any]) -> None:
    targets = estate["full"].record("hospital-east")["targets"]
    assert [target["account"] for target in targets] == [CLIENT_ACCOUNT]


def test_denied_role_is_tenant_error(estate: dict[str, Any]) -> None:
    full = estate["full"]
    record = full.record("denied-lab")
    assert record["errors"][0].startswith("sts:AssumeRole failed: AccessDenied")
    report = full.report("denied-lab")
    assert report["complete"] is False
    assert report["summary"]["status"]["ERROR"] > 0
    assert report["summary"]["status"]["PASS"] == 0


def test_tenants_share_hub_session(estate: dict[str, Any]) -> None:
    """Tenants entered with the same hub profile assume their roles through one session and one STS client."""
    from ztscan.tenant_targets import _HUB_CLIENTS, HubSessions, TargetFailed, expand_targets, resolve_options

    hubs = HubSessions()
    entries = [{"profile": "hub", "role_arn": f"arn:aws:iam::{CLIENT_ACCOUNT}:role/ZtscanAudit",
                "external_id": f"clinic-{index}", "regions": ["us-east-1"]} for index in range(3)]
    targets = [target for index, entry in enumerate(entries)
               for target in expand_targets(Tenant(name=f"clinic-{index}", aws=(entry,)), "aws", entry, hubs)]
    assert len({id(target.hub) for target in targets}) == 1
    sessions = [resolve_options(target)["session"] for target in targets]
    assert len({id(session) for session in sessions}) == 3  # each tenant keeps its own credentials
    assert [key[0] for key in _HUB_CLIENTS[targets[0].hub]] == ["sts"]
    # An unknown profile fails for every tenant that names it, not only the first.
    unknown = {"profile": "no-such-profile", "role_arn": entries[0]["role_arn"]}
    for _ in range(2):
        with pytest.raises(TargetFailed, match="no-such-profile"):
            for target in expand_targets(Tenant(name="lost", aws=(unknown,)), "aws", unknown, hubs):
                resolve_options(target)


def test_bad_secret_reference_names_field(estate: dict[str, Any]) -> None:
    message = estate["full"].record("broken-secret")["errors"][0]
    assert "tenant 'broken-secret'" in message
    assert "azure.client_secret_env" in message
    assert "ZTSCAN_TEST_UNSET_SECRET" in message


def test_failures_isolated(estate: dict[str, Any]) -> None:
    report = estate["full"].report("hospital-east")
    assert report["complete"] is True
    assert report["summary"]["status"]["ERROR"] == 0


def test_output_layout(estate: dict[str, Any]) -> None:
    out = estate["full"].out
    for name in ("clinic-group", "hospital-east", "denied-lab", "broken-secret", "msp-hub", "org-typo"):
        assert sorted(path.name for path in (out / "tenants" / name).iterdir()) == [
            "report.json", "report.sarif", "report.txt"]
    for name in ("run.json", "rollup.json", "rollup.csv", "rollup.txt"):
        assert (out / name).is_file()


def test_no_secret_in_outputs(estate: dict[str, Any]) -> None:
    credentials = (estate["directory"] / "aws-credentials").read_text(encoding="utf-8")
    secrets = [line.split("=", 1)[1].strip() for line in credentials.splitlines()
               if line.startswith("aws_secret_access_key")]
    texts = [path.read_text(encoding="utf-8") for path in estate["full"].out.rglob("*") if path.is_file()]
    texts.append(estate["full"].stderr)
    for secret in secrets:
        assert not any(secret in text for text in texts)


def test_plain_progress_lines(estate: dict[str, Any]) -> None:
    stderr = estate["full"].stderr
    assert "ztscan: scanning 6 tenants" in stderr
    assert "ztscan: tenant denied-lab: error in" in stderr
    assert "\r" not in stderr


def test_rollup_lists_every_tenant(estate: dict[str, Any]) -> None:
    rollup = estate["full"].rollup()
    assert rollup["summary"] == {"tenants": 6, "error": 3, "incomplete": 0, "complete": 3}
    assert [row["status"] for row in rollup["tenants"][:3]] == ["error", "error", "error"]


def test_rollup_marks_proposed_catalogue(estate: dict[str, Any]) -> None:
    catalogues = {catalogue["id"]: catalogue for catalogue in estate["full"].rollup()["catalogues"]}
    assert catalogues["nprm"]["proposed"] is True
    assert catalogues["hipaa"]["in_force"] is True
    assert "PROPOSED" in (estate["full"].out / "rollup.txt").read_text(encoding="utf-8")


# -- rescans, shards and merge --------------------------------------------------


def test_rescan_one_tenant(estate: dict[str, Any]) -> None:
    import shutil

    out = estate["directory"] / "rescan"
    shutil.copytree(estate["whole"].out, out)
    stamps = {name: (out / "tenants" / name / "report.json").stat().st_mtime_ns
              for name in ("msp-hub", "broken-secret")}
    again = scan_tenants(estate["small_file"], out, "--tenant", "broken-secret")
    assert again.code == 3
    assert (out / "tenants" / "msp-hub" / "report.json").stat().st_mtime_ns == stamps["msp-hub"]
    assert (out / "tenants" / "broken-secret" / "report.json").stat().st_mtime_ns != stamps["broken-secret"]
    assert sorted(record["name"] for record in again.manifest()["tenants"]) == [
        "broken-secret", "hospital-east", "missing-key-file", "msp-hub"]
    assert again.rollup()["summary"]["tenants"] == 4
    assert "ztscan: 1 tenant:" in again.stderr
    # The tenant name ends in "secret"; quoted, it does not make redact() blank the warning's text.
    assert "tenant 'broken-secret': " in again.stderr
    assert "tenant 'broken-secret': tenant 'broken-secret'" not in again.stderr


def test_rescan_unknown_tenant(estate: dict[str, Any]) -> None:
    code, stderr = run_cli("scan", "--tenants", str(estate["small_file"]), "--output-dir",
                           str(estate["directory"] / "unknown"), "--tenant", "nobody")
    assert code == 2
    assert "--tenant nobody: no such tenant" in stderr


def test_missing_key_file_is_tenant_error(estate: dict[str, Any]) -> None:
    message = estate["whole"].record("missing-key-file")["errors"][0]
    assert "gcp.key_file" in message
    assert "tenant 'missing-key-file'" in message


def test_merge_equals_unsharded(estate: dict[str, Any]) -> None:
    directory = estate["directory"]
    whole = estate["whole"]
    shards = estate["shards"]
    names = [sorted(record["name"] for record in shard.manifest()["tenants"]) for shard in shards]
    assert sorted(names[0] + names[1]) == sorted(record["name"] for record in whole.manifest()["tenants"])
    assert not set(names[0]) & set(names[1])
    code, _ = run_cli("merge", str(shards[0].out), str(shards[1].out), "--output-dir", str(directory / "merged"))
    merged = Run(code, directory / "merged", "")
    assert code == whole.code
    assert merged.rollup() == whole.rollup()
    assert (directory / "merged" / "rollup.csv").read_text() == (whole.out / "rollup.csv").read_text()


def test_rescan_keeps_shard(estate: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    directory = estate["directory"]
    copy = tmp_path / "shard-1-rescanned"
    shutil.copytree(directory / "shard-1", copy)
    rescan = scan_tenants(estate["small_file"], copy, "--tenant", "broken-secret")
    assert rescan.manifest()["shard"] == {"index": 1, "count": 2}
    code, stderr = run_cli("merge", str(copy), str(directory / "shard-2"), "--output-dir", str(tmp_path / "m"))
    assert code == 3
    assert "4 tenants" in stderr


def test_merge_rejects_duplicate_tenant(estate: dict[str, Any]) -> None:
    directory = estate["directory"]
    code, stderr = run_cli("merge", str(directory / "whole"), str(directory / "shard-1"),
                           "--output-dir", str(directory / "dup"))
    assert code == 2
    assert "is in both" in stderr


def test_merge_rejects_missing_shard(estate: dict[str, Any]) -> None:
    directory = estate["directory"]
    code, stderr = run_cli("merge", str(directory / "shard-1"), "--output-dir", str(directory / "partial"))
    assert code == 2
    assert "shard 2/2 is missing" in stderr


def test_merge_rejects_other_version(estate: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    directory = estate["directory"]
    copy = tmp_path / "shard-2-old"
    shutil.copytree(directory / "shard-2", copy)
    manifest = json.loads((copy / "run.json").read_text())
    manifest["tool"]["version"] = "0.0.1"
    (copy / "run.json").write_text(json.dumps(manifest))
    code, stderr = run_cli("merge", str(directory / "shard-1"), str(copy), "--output-dir", str(tmp_path / "m"))
    assert code == 2
    assert "different ztscan versions" in stderr
    assert "(0.0.1)" in stderr


# -- options and shards, no cloud -----------------------------------------------


def test_scan_needs_provider_or_tenants() -> None:
    err = io.StringIO()
    assert main(["scan"], out=io.StringIO(), err=err) == 2
    assert "name a provider" in err.getvalue()


def test_tenants_file_error_stops_before_scan(tmp_path: Path) -> None:
    bad = tmp_path / "tenants.yaml"
    bad.write_text("version: 1\ntenants:\n  - name: a\n    aws: {profile: p, client_secret: x}\n")
    err = io.StringIO()
    assert main(["scan", "--tenants", str(bad), "--output-dir", str(tmp_path / "out")],
                out=io.StringIO(), err=err) == 2
    assert "tenant 'a': aws.client_secret" in err.getvalue()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", [
    pytest.param("0/2", id="zero"), pytest.param("3/2", id="above"), pytest.param("1", id="no-count"),
    pytest.param("a/b", id="letters"),
])
def test_shard_option_invalid(value: str) -> None:
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        parse_shard(value)


@pytest.mark.parametrize(("tenants", "count"), [
    pytest.param(7, 3, id="7-in-3"), pytest.param(50, 4, id="50-in-4"), pytest.param(2, 5, id="more-shards"),
    pytest.param(1, 1, id="single"),
])
def test_shards_partition_exactly(tenants: int, count: int) -> None:
    everyone = [Tenant(f"tenant-{index:03d}") for index in range(tenants)]
    shards = [shard_tenants(everyone, index, count) for index in range(1, count + 1)]
    names = [tenant.name for shard in shards for tenant in shard]
    assert sorted(names) == sorted(tenant.name for tenant in everyone)
    assert len(names) == len(set(names))
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_shards_ignore_file_order() -> None:
    forward = [Tenant(name) for name in ("b", "a", "c", "d")]
    assert [t.name for t in shard_tenants(forward, 1, 2)] == [t.name for t in shard_tenants(forward[::-1], 1, 2)][::-1]


class TerminalBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_terminal() -> None:
    stream = TerminalBuffer()
    progress = Progress(stream, 2)
    progress.started("alpha")
    progress.stopped()
    progress.finished("alpha", "complete", 1.0, [])
    progress.started("bravo")
    progress.stopped()
    progress.finished("bravo", "error", 0.1, ["denied"])
    progress.close()
    text = stream.getvalue()
    assert text.startswith("\r")
    assert "tenants 2/2 done, 0 running, 1 failed" in text
    assert "tenant bravo: error (1 target errors)" in text
    assert "tenant alpha: started" not in text


def test_progress_running_within_limit() -> None:
    """A worker starts its next tenant before the main thread has written the last one's reports."""
    stream = TerminalBuffer()
    progress = Progress(stream, 3)
    progress.started("alpha")
    progress.started("bravo")
    progress.stopped()  # alpha's scan ended in its worker
    progress.started("charlie")  # the same worker takes the next tenant
    progress.finished("alpha", "complete", 1.0, [])  # the main thread has written alpha's reports
    text = stream.getvalue()
    assert "tenants 1/3 done, 2 running" in text
    assert "3 running" not in text


def test_crash_in_one_tenant_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_aws_environment(monkeypatch, tmp_path / "no-credentials")
    tenants_file = tmp_path / "tenants.yaml"
    tenants_file.write_text(
        "version: 1\n"
        "tenants:\n"
        "  - name: bad-endpoint\n"
        "    aws: {role_arn: 'arn:aws:iam::111122223333:role/Audit', endpoint_url: 'not a url'}\n"
        "  - name: unset-secret\n"
        "    azure: {tenant_id: t, client_id: c, client_secret_env: ZTSCAN_TEST_UNSET_SECRET}\n")
    monkeypatch.delenv("ZTSCAN_TEST_UNSET_SECRET", raising=False)
    out, err = io.StringIO(), io.StringIO()
    code = main(["scan", "--tenants", str(tenants_file), "--output-dir", str(tmp_path / "out")], out=out, err=err)
    run = Run(code, tmp_path / "out", err.getvalue())
    assert code == 3
    assert out.getvalue().startswith("ztscan rollup of 2 tenants")
    assert run.record("bad-endpoint")["status"] == "error"
    assert "ValueError" in run.record("bad-endpoint")["errors"][0]
    assert run.record("unset-secret")["status"] == "error"
