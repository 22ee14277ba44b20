"""Registers the AWS provider through the ``ztscan`` entry-point group."""

from __future__ import annotations

from ztscan.hookspecs import hookimpl


@hookimpl
def ztscan_providers():
    from ztscan_aws.provider import AwsProvider

    return [AwsProvider()]
