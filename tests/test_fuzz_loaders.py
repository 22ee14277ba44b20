"""Fuzz every input loader: any file either loads or raises ConfigurationError, never another exception."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ztscan.provider import ConfigurationError

EXAMPLES = 100
#: Loading a rule catalogue parses and validates the built-in one first (about 0.1 s), so it gets fewer examples.
SLOW_EXAMPLES = 15


def fuzz(load: Callable[[Path], Any]) -> Any:
    examples = SLOW_EXAMPLES if load is _rule_catalogue else EXAMPLES
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
    max_size=20)
#: Nested JSON-like documents, with keys drawn partly from the names the loaders expect.
_keys = st.sampled_from(["suppressions", "rule", "reason", "owner", "expires", "resource", "provider", "account",
                         "region", "tenants", "name", "aws", "azure", "gcp", "profile", "projects",
                         "client_secret_env", "catalogue", "controls", "id", "rules", "title", "findings",
                         "schema_version", "status", "rule_id", "payload", "format_version", "resources",
                         "errors", "scopes", "kind", "facts", "severity"]) | st.text(max_size=8)
documents = st.recursive(_scalars, lambda children: st.lists(children, max_size=4)
                         | st.dictionaries(_keys, children, max_size=5), max_leaves=25)


def _check(load: Callable[[Path], Any], path: Path) -> None:
    try:
        load(path)
    except ConfigurationError as exc:
        assert str(exc)


def _suppressions(path: Path) -> Any:
    from ztscan.suppressions import load_suppressions

    return load_suppressions(path, known_rule_ids={"ZT-IAM-001", "ZT-NET-001"})


def _baseline(path: Path) -> Any:
    from ztscan.baseline import load_baseline

    return load_baseline(path)


def _catalogue(path: Path) -> Any:
    from ztscan.controls import read_catalogue

    return read_catalogue(path)


def _rule_catalogue(path: Path) -> Any:
    from ztscan.rulecatalogue import load_rule_catalogue

    return load_rule_catalogue([path])


def _snapshot(path: Path) -> Any:
    from ztscan.snapshot import read_snapshot

    return read_snapshot(path)


def _tenants(path: Path) -> Any:
    from ztscan.tenants import load_tenants

    return load_tenants(path)


#: (loader, file suffix, serializer of a document to the file's bytes)
TEXT_LOADERS = [
    pytest.param(_suppressions, ".yaml", lambda d: yaml.safe_dump(d).encode(), id="suppressions-yaml"),
    pytest.param(_baseline, ".json", lambda d: json.dumps(d).encode(), id="baseline"),
    pytest.param(_catalogue, ".yaml", lambda d: yaml.safe_dump(d).encode(), id="controls"),
    pytest.param(_rule_catalogue, ".yaml", lambda d: yaml.safe_dump(d).encode(), id="rule-catalogue"),
    pytest.param(_snapshot, ".snapshot", lambda d: gzip.compress(json.dumps(d).encode()), id="snapshot"),
    pytest.param(_tenants, ".yaml", lambda d: yaml.safe_dump(d).encode(), id="tenants-yaml"),
]

RAW_LOADERS = [
    pytest.param(_suppressions, ".yaml", id="suppressions-yaml"),
    pytest.param(_suppressions, ".toml", id="suppressions-toml"),
    pytest.param(_baseline, ".json", id="baseline"),
    pytest.param(_catalogue, ".yaml", id="controls"),
    pytest.param(_rule_catalogue, ".yaml", id="rule-catalogue"),
    pytest.param(_snapshot, ".snapshot", id="snapshot"),
    pytest.param(_tenants, ".yaml", id="tenants-yaml"),
    pytest.param(_tenants, ".toml", id="tenants-toml"),
]


@pytest.mark.parametrize(("load", "suffix", "serialize"), TEXT_LOADERS)
def test_loader_structured_documents(load, suffix, serialize, tmp_path):
    directory = tmp_path

    @fuzz(load)
    @given(document=documents)
    def run(document):
        path = directory / f"input{suffix}"
        path.write_bytes(serialize(document))
        _check(load, path)

    run()


@pytest.mark.parametrize(("load", "suffix"), RAW_LOADERS)
def test_loader_arbitrary_bytes(load, suffix, tmp_path):
    directory = tmp_path

    @fuzz(load)
    @given(data=st.binary(max_size=300) | st.text(max_size=300).map(lambda text: text.encode("utf-8")))
    def run(data):
        path = directory / f"input{suffix}"
        path.write_bytes(data)
        _check(load, path)

    run()


@pytest.mark.parametrize(("load", "suffix"), [case for case in RAW_LOADERS if case.id != "rule-catalogue"])
def test_loader_gzip_of_bytes(load, suffix, tmp_path):
    """Compressed garbage: the snapshot loader decompresses, the others must reject the binary."""
    directory = tmp_path

    @fuzz(load)
    @given(data=st.binary(max_size=200))
    def run(data):
        path = directory / f"input{suffix}"
        path.write_bytes(gzip.compress(data))
        _check(load, path)

    run()
