"""Normalize Azure network security group rules into ztscan's provider-neutral firewall rules.

An NSG rule names its ports and addresses in either a singular field
(``destinationPortRange``, ``sourceAddressPrefix``) or a plural one
(``destinationPortRanges``, ``sourceAddressPrefixes``). The API fills one of
them and leaves the other empty, so both are read and merged.
"""

from __future__ import annotations

from typing import Any

#: Canonical spelling of the service tags and wildcards that the rules compare against.
_CANONICAL_TAGS = {"internet": "Internet", "any": "Any", "*": "*", "virtualnetwork": "VirtualNetwork"}

#: Destinations that include every member of the network, so the rule has no narrower target.
_EVERY_MEMBER = {"*", "Any", "VirtualNetwork", "0.0.0.0/0", "::/0"}

_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "*": "all", "esp": "50", "ah": "51"}


def _canonical(value: str) -> str:
    value = value.strip()
    return _CANONICAL_TAGS.get(value.lower(), value)


def merged(properties: dict[str, Any], singular: str, plural: str) -> list[str]:
    """Return the values of a singular and a plural field together, singular first."""
    values: list[str] = []
    single = properties.get(singular)
    if single not in (None, ""):
        values.append(str(single))
    values.extend(str(value) for value in properties.get(plural) or () if value not in (None, ""))
    return values


def parse_port(value: str) -> list[int] | None:
    """Return ``[low, high]`` for ``"22"`` or ``"1000-2000"``, and None for ``"*"`` (every port)."""
    text = value.strip()
    if text in ("*", "Any", "any"):
        return None
    if "-" in text:
        low, high = (int(part) for part in text.split("-", 1))
    else:
        low = high = int(text)
    if not 0 <= low <= high <= 65535:
        raise ValueError(f"invalid NSG port range {value!r}")
    return [low, high]


def parse_ports(properties: dict[str, Any]) -> list[list[int]] | None:
    """Return the destination port ranges of a rule, or None when it covers every port."""
    values = merged(properties, "destinationPortRange", "destinationPortRanges")
    if not values:
        # NOTE: ARM rejects a rule without a destination port; a missing value is read as every port.
        return None
    ranges = []
    for value in values:
        parsed = parse_port(value)
        if parsed is None:
            return None
        ranges.append(parsed)
    return ranges


def _group_ids(properties: dict[str, Any], field: str) -> list[str]:
    return [group["id"] for group in properties.get(field) or () if group.get("id")]


def normalize_rule(rule: dict[str, Any], builtin: bool) -> dict[str, Any]:
    """Return one NSG rule (REST JSON shape) as a FIREWALL_RULE_FIELDS dict."""
    properties = rule.get("properties") or {}
    inbound = str(properties.get("direction", "")).lower() == "inbound"
    # For an inbound rule the peers are the sources and the members are the destinations.
    # An outbound rule swaps them, but FIREWALL_RULE_FIELDS calls the peers "sources" either way.
    peer, member = ("source", "destination") if inbound else ("destination", "source")
    peers = [_canonical(value) for value in merged(properties, f"{peer}AddressPrefix", f"{peer}AddressPrefixes")]
    members = [_canonical(value) for value in merged(properties, f"{member}AddressPrefix", f"{member}AddressPrefixes")]
    member_groups = _group_ids(properties, f"{member}ApplicationSecurityGroups")
    if member_groups:
        targets: list[str] | None = [value for value in members if value not in _EVERY_MEMBER] + member_groups
    elif not members or any(value in _EVERY_MEMBER for value in members):
        targets = None
    else:
        targets = members
    protocol = str(properties.get("protocol", "*"))
    return {
        "direction": "ingress" if inbound else "egress",
        "action": str(properties.get("access", "")).lower(),
        "protocol": _PROTOCOLS.get(protocol.lower(), protocol.lower()),
        "ports": parse_ports(properties),
        "sources": peers,
        "source_refs": _group_ids(properties, f"{peer}ApplicationSecurityGroups"),
        "priority": properties.get("priority"),
        "enabled": True,
        "builtin": builtin,
        "targets": targets,
        "name": rule.get("name") or "",
    }


def normalize_rules(group: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the custom and the default rules of an NSG, in priority order within each direction."""
    properties = group.get("properties") or {}
    rules = [normalize_rule(rule, builtin=False) for rule in properties.get("securityRules") or ()]
    rules += [normalize_rule(rule, builtin=True) for rule in properties.get("defaultSecurityRules") or ()]
    rules.sort(key=lambda rule: (rule["direction"], rule["priority"] if rule["priority"] is not None else 1 << 30))
    return rules
