"""Endpoints of the Azure clouds that ztscan can scan, chosen by name."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from ztscan.provider import ConfigurationError


@dataclass(frozen=True)
class AzureCloud:
    """The endpoints of one Azure cloud.

    ``arm_audience`` and ``graph_audience`` name the token audiences. They stay
    those of the named cloud when an endpoint is overridden, because an
    override (a proxy, a private link, a test server) still serves tokens of
    that cloud.
    """

    name: str
    arm_endpoint: str
    graph_endpoint: str
    authority_host: str
    arm_audience: str
    graph_audience: str

    @property
    def arm_scope(self) -> str:
        return self.arm_audience.rstrip("/") + "/.default"

    @property
    def graph_scope(self) -> str:
        return self.graph_audience.rstrip("/") + "/.default"


# Sources: ARM endpoints and token audiences as in azure-mgmt-core 1.6 (tools.get_arm_endpoints),
# sign-in and Graph endpoints as in Microsoft Learn, "Microsoft Graph national cloud deployments".
# NOTE: "usgov" is GCC High. The US DoD cloud serves Graph at https://dod-graph.microsoft.us,
# so a DoD tenant needs --graph-endpoint.
CLOUDS: dict[str, AzureCloud] = {
    "public": AzureCloud(
        name="public",
        arm_endpoint="https://management.azure.com",
        graph_endpoint="https://graph.microsoft.com",
        authority_host="https://login.microsoftonline.com",
        arm_audience="https://management.azure.com",
        graph_audience="https://graph.microsoft.com",
    ),
    "usgov": AzureCloud(
        name="usgov",
        arm_endpoint="https://management.usgovcloudapi.net",
        graph_endpoint="https://graph.microsoft.us",
        authority_host="https://login.microsoftonline.us",
        arm_audience="https://management.core.usgovcloudapi.net",
        graph_audience="https://graph.microsoft.us",
    ),
    "china": AzureCloud(
        name="china",
        arm_endpoint="https://management.chinacloudapi.cn",
        graph_endpoint="https://microsoftgraph.chinacloudapi.cn",
        authority_host="https://login.chinacloudapi.cn",
        arm_audience="https://management.chinacloudapi.cn",
        graph_audience="https://microsoftgraph.chinacloudapi.cn",
    ),
}


def _https_url(option: str, value: str) -> str:
    url = value.strip().rstrip("/")
    if not url.startswith("https://"):
        # The bearer-token policy of azure-core sends no token over plain HTTP.
        raise ConfigurationError(f"--{option.replace('_', '-')} {value!r} is invalid: use an https:// URL")
    return url


def resolve_cloud(options: Mapping[str, Any]) -> AzureCloud:
    """Return the cloud named by ``options["cloud"]`` with any explicit endpoint overrides applied."""
    name = options.get("cloud") or "public"
    try:
        cloud = CLOUDS[name]
    except KeyError:
        choices = ", ".join(sorted(CLOUDS))
        raise ConfigurationError(f"--cloud {name!r} is not a known Azure cloud; choose one of {choices}") from None
    overrides = {}
    for option in ("arm_endpoint", "graph_endpoint", "authority_host"):
        value = options.get(option)
        if value:
            overrides[option] = _https_url(option, str(value))
    return replace(cloud, **overrides)
