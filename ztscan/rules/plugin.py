"""Registers the built-in rules through the ``ztscan`` entry-point group."""

from __future__ import annotations

from ztscan.hookspecs import hookimpl


@hookimpl
def ztscan_rules():
    from ztscan.rules import all_rules

    return list(all_rules())
