"""Start-up stays light: commands that need no cloud do not import the cloud SDKs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Top-level packages of the AWS, Azure and Google Cloud SDKs.
SDK_PACKAGES = ("boto3", "botocore", "s3transfer", "azure", "msal", "google", "grpc")

_PROBE = """
import io, json, sys
import ztscan.cli
out, err = io.StringIO(), io.StringIO()
code = ztscan.cli.main({argv!r}, out=out, err=err)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {packages!r})
print(json.dumps({{"code": code, "loaded": loaded, "stderr": err.getvalue()[-2000:]}}))
"""


def _probe(argv: list[str]) -> dict:
    code = _PROBE.format(argv=argv, packages=SDK_PACKAGES)
    completed = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [
    pytest.param(["--help"], id="help"),
    pytest.param(["rules"], id="rules"),
])
def test_command_imports_no_sdk(argv):
    result = _probe(argv)
    assert result["code"] == 0, result["stderr"]
    assert result["loaded"] == []
