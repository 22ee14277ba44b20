"""Registers the Azure provider through the ``ztscan`` entry-point group."""

from __future__ import annotations

from ztscan.hookspecs import hookimpl


@hookimpl
def ztscan_providers():
    from ztscan_azure.provider import AzureProvider

    return [AzureProvider()]
