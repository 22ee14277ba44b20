"""The installed distribution ships its data and registers its plugins."""

from __future__ import annotations

import sysconfig
from importlib import metadata

import pytest


def installed_files() -> set[str]:
    """Files of the ztscan distribution installed in site-packages (not a source tree's egg-info)."""
    site = sysconfig.get_paths()["purelib"]
    for distribution in metadata.distributions(path=[site]):
        if distribution.metadata["Name"] == "ztscan":
            return {str(path).replace("\\", "/") for path in distribution.files or []}
    pytest.skip("ztscan is not installed in this environment's site-packages")


def test_wheel_ships_mapping_files():
    files = installed_files()
    if "ztscan/__init__.py" not in files:
        pytest.skip("editable install: the package and its data are served from the source tree")
    assert "ztscan/mappings/rules.yaml" in files
    assert "ztscan/mappings/schemas/rules.schema.json" in files
    assert any(name.startswith("ztscan/mappings/catalogues/") for name in files)


def test_console_script_declared():
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts.get("ztscan") == "ztscan.cli:main"
