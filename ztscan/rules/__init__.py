"""Provider-neutral rules. Each module lists its rules in a RULES tuple."""

from __future__ import annotations

from typing import Iterator

from ztscan.rules.base import Rule


def all_rules() -> Iterator[Rule]:
    """Yield every built-in rule, module by module."""
    from ztscan.rules import rule_modules

    for module in rule_modules():
        yield from module.RULES


def rule_modules() -> list:
    import importlib

    return [importlib.import_module(f"ztscan.rules.{name}") for name in _MODULES]


#: Modules under ztscan/rules/ that define RULES, in report order.
_MODULES: tuple[str, ...] = ("identity", "network", "compute", "data", "audit", "backup")
