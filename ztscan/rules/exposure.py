"""Decide whether a firewall lets traffic from the internet reach given ports.

The input is the normalized ``rules`` fact of a ``network.firewall`` resource
(see ``FIREWALL_RULE_FIELDS`` in :mod:`ztscan.kinds`). The evaluation is the
same for every provider:

* Only enabled ingress rules count. ``source_refs`` (other groups, tags,
  service accounts) never count as the internet.
* A source is the internet when it is a prefix of length 0 (``0.0.0.0/0``,
  ``::/0``) or one of the service tags in :data:`INTERNET_TAGS`. IPv4 and IPv6
  are evaluated separately: ``0.0.0.0/0`` covers only IPv4 and ``::/0`` only
  IPv6, while the tags cover both.
* Without priorities (AWS security groups, which have no deny rules), every
  allow from the internet exposes its ports.
* With priorities (Azure NSG, GCP firewall), the rule with the lowest number
  that matches the traffic decides. An allow is therefore shadowed by a deny
  that matches the same protocol and port, whose sources contain the whole
  internet of that address family, and whose priority is lower or equal
  (equal priority: deny wins, as in GCP). A deny from a narrower source
  (``10.0.0.0/8``, a single address) shadows nothing here.
* Targets (GCP target tags or service accounts, Azure destinations): a deny
  shadows an allow only when the denies' targets together cover every target of
  the allow. A deny without targets covers all members. An allow with targets
  still exposes the members it targets.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from functools import lru_cache
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

#: Service tags and wildcards that stand for every address, the internet included (compared case-insensitively).
INTERNET_TAGS = frozenset({"internet", "*", "any"})

IPV4 = "IPv4"
IPV6 = "IPv6"
_FAMILIES = (IPV4, IPV6)

#: IANA protocol numbers a collector may leave unnormalized.
_PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all"}


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One normalized firewall rule, checked for shape."""

    name: str
    direction: str
    action: str
    protocol: str
    ports: tuple[tuple[int, int], ...] | None
    sources: tuple[str, ...]
    priority: int | None
    enabled: bool
    targets: frozenset[str] | None
    #: A platform default rule; None when the collector left the field out.
    builtin: bool | None = None

    def matches(self, protocol: str, port: int) -> bool:
        if self.protocol not in ("all", protocol):
            return False
        if self.ports is None:
            return True
        return any(low <= port <= high for low, high in self.ports)

    def internet_families(self) -> dict[str, list[str]]:
        """Map each address family whose whole internet this rule's sources contain to those sources."""
        found: dict[str, list[str]] = {}
        for source in self.sources:
            for family in _internet_families_of(source):
                found.setdefault(family, []).append(source)
        return found


@dataclass(frozen=True)
class Exposure:
    """One port that internet traffic of one address family reaches through one allow rule."""

    protocol: str
    port: int
    family: str
    rule: str
    sources: tuple[str, ...]
    targets: tuple[str, ...] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol, "port": self.port, "family": self.family,
            "rule": self.rule, "sources": list(self.sources),
            "targets": list(self.targets) if self.targets is not None else None,
        }


@lru_cache(maxsize=4096)
def _internet_families_of(source: str) -> tuple[str, ...]:
    # Cached because a few sources (10.0.0.0/8, 0.0.0.0/0) repeat across every firewall.
    text = source.strip()
    if text.lower() in INTERNET_TAGS:
        return _FAMILIES
    prefix = text.rpartition("/")[2] if "/" in text else None
    if prefix is None or (prefix.isdigit() and int(prefix) != 0):
        # A single address, or a prefix length other than 0, is not the whole internet, so
        # the costly ip_network parse is skipped. Netmask forms (0.0.0.0/0.0.0.0) still get parsed.
        return ()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return ()  # a service tag such as VirtualNetwork or a name, so not the internet
    if network.prefixlen != 0:
        return ()
    return (IPV4,) if network.version == 4 else (IPV6,)


def _parse_ports(value: Any, name: str) -> tuple[tuple[int, int], ...] | None:
    if value is None:
        return None
    pairs = []
    for entry in value:
        if isinstance(entry, int) and not isinstance(entry, bool):
            pairs.append((entry, entry))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2 and all(
                isinstance(bound, int) and not isinstance(bound, bool) for bound in entry):
            pairs.append((entry[0], entry[1]))
        else:
            raise ValueError(f"firewall rule {name!r}: invalid port entry {entry!r}; expected a [low, high] pair")
    return tuple(pairs)


def parse_rule(raw: Mapping[str, Any]) -> FirewallRule:
    """Build a :class:`FirewallRule` from one normalized rule; raise ValueError when a field is missing or invalid."""
    name = str(raw.get("name", "?"))
    for field in ("direction", "action", "protocol", "ports", "sources", "priority", "enabled", "targets"):
        if field not in raw:
            raise ValueError(f"firewall rule {name!r}: field {field!r} is missing")
    protocol = str(raw["protocol"]).lower()
    protocol = _PROTOCOL_NUMBERS.get(protocol, protocol)
    priority = raw["priority"]
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool)):
        raise ValueError(f"firewall rule {name!r}: invalid priority {priority!r}")
    targets = raw["targets"]
    return FirewallRule(
        name=name,
        direction=str(raw["direction"]).lower(),
        action=str(raw["action"]).lower(),
        protocol=protocol,
        ports=_parse_ports(raw["ports"], name),
        sources=tuple(str(source) for source in raw["sources"] or ()),
        priority=priority,
        enabled=bool(raw["enabled"]),
        targets=frozenset(targets) if targets is not None else None,
        builtin=raw.get("builtin"),
    )


def _targets_covered(allow: FirewallRule, denies: Iterable[FirewallRule]) -> bool:
    # NOTE: targets are compared as exact strings. A deny that targets 10.0.1.0/24 does not count
    # as covering an allow that targets 10.0.1.4/32, so such an allow is still reported as exposed.
    union: set[str] = set()
    for deny in denies:
        if deny.targets is None:
            return True
        union |= deny.targets
    return allow.targets is not None and allow.targets <= union


@dataclass(frozen=True, slots=True)
class ParsedRules:
    """A firewall's rules, parsed once and sorted for the exposure check.

    ``allows`` contains the enabled ingress allow rules whose sources contain the
    whole internet of some address family, with those families; other allows
    cannot expose anything. ``denies`` contains the enabled ingress deny rules with
    a priority and an internet source, the only denies that can shadow an allow.
    ``rules`` holds every rule when the caller asked for it, else None: most
    firewalls have no internet rule, so keeping only the two short tuples keeps
    the per-evaluation cache small.
    """

    allows: tuple[tuple[FirewallRule, dict[str, list[str]]], ...]
    denies: tuple[tuple[FirewallRule, frozenset[str]], ...]
    rules: tuple[FirewallRule, ...] | None = None


def parse_rules(raw_rules: Iterable[Mapping[str, Any]], keep_all: bool = False) -> ParsedRules:
    """Parse every rule of a firewall; raise ValueError when one is missing a field or invalid.

    With ``keep_all``, the result also carries every parsed rule in ``rules``.
    """
    rules = [parse_rule(raw) for raw in raw_rules]
    allows = []
    denies = []
    for rule in rules:
        if not rule.enabled or rule.direction != "ingress":
            continue
        if rule.action == "allow":
            families = rule.internet_families()
            if families:
                allows.append((rule, families))
        elif rule.action == "deny" and rule.priority is not None:
            deny_families = frozenset(rule.internet_families())
            if deny_families:
                denies.append((rule, deny_families))
    return ParsedRules(tuple(allows), tuple(denies), tuple(rules) if keep_all else None)


class _PortList:
    """The ports to check, sorted once so that each allow rule's ranges are looked up by bisection."""

    def __init__(self, ports: Iterable[tuple[str, int]]):
        self.ports = tuple(ports)
        order = sorted(range(len(self.ports)), key=lambda i: self.ports[i][1])
        self.order = order
        self.numbers = [self.ports[i][1] for i in order]

    def matching(self, rule: FirewallRule) -> list[int]:
        """Return the positions in ``ports`` of the ports whose protocol and number ``rule`` matches."""
        ranges = rule.ports if rule.ports is not None else ((-1, 1 << 31),)
        found = []
        for low, high in ranges:
            for j in range(bisect_left(self.numbers, low), bisect_right(self.numbers, high)):
                position = self.order[j]
                if rule.protocol in ("all", self.ports[position][0]) and position not in found:
                    found.append(position)
        return found


def _shadowing_denies(allow: FirewallRule, family: str, protocol: str, port: int,
                      denies: Sequence[tuple[FirewallRule, frozenset[str]]]) -> list[FirewallRule]:
    if allow.priority is None:
        return []
    return [
        deny for deny, families in denies
        if family in families and deny.priority <= allow.priority and deny.matches(protocol, port)
    ]


def internet_exposures(raw_rules: Iterable[Mapping[str, Any]] | ParsedRules,
                       ports: Iterable[tuple[str, int]]) -> list[Exposure]:
    """Return every (protocol, port) of ``ports`` that ingress from the internet reaches, per allow rule and family.

    ``raw_rules`` is the normalized ``rules`` fact, or the :class:`ParsedRules` of
    it, so that several checks of one firewall parse its rules once. Exposures
    are listed by port in the order of ``ports``, then by allow rule.
    """
    parsed = raw_rules if isinstance(raw_rules, ParsedRules) else parse_rules(raw_rules)
    port_list = _PortList(ports)
    # Each allow rule's ranges are matched against the port list once.
    hits: dict[int, list[tuple[FirewallRule, dict[str, list[str]]]]] = {}
    for allow, families in parsed.allows:
        for position in port_list.matching(allow):
            hits.setdefault(position, []).append((allow, families))
    exposures = []
    for position in sorted(hits):
        protocol, port = port_list.ports[position]
        for allow, families in hits[position]:
            for family, sources in families.items():
                shadows = _shadowing_denies(allow, family, protocol, port, parsed.denies)
                if shadows and _targets_covered(allow, shadows):
                    continue
                targets = tuple(sorted(allow.targets)) if allow.targets is not None else None
                exposures.append(Exposure(protocol, port, family, allow.name, tuple(sources), targets))
    return exposures


def describe(exposures: Sequence[Exposure]) -> str:
    """Summarize exposures per allow rule, for example ``tcp 22 from ::/0 (rule 'ssh-anywhere')``.

    A service tag that is exposed in one address family only is marked, for example
    ``from Internet (IPv6 only)`` when a deny for 0.0.0.0/0 shadows its IPv4 part.
    """
    grouped: dict[tuple[str, str, tuple[str, ...] | None], tuple[set[int], set[str], set[str]]] = {}
    for exposure in exposures:
        key = (exposure.rule, exposure.protocol, exposure.targets)
        port_set, source_set, family_set = grouped.setdefault(key, (set(), set(), set()))
        port_set.add(exposure.port)
        source_set.update(exposure.sources)
        family_set.add(exposure.family)
    parts = []
    for (rule_name, protocol, targets), (port_set, source_set, family_set) in grouped.items():
        port_text = ", ".join(str(port) for port in sorted(port_set))
        source_text = ", ".join(sorted(source_set))
        tagged = any(source.strip().lower() in INTERNET_TAGS for source in source_set)
        if tagged and len(family_set) == 1:
            source_text += f" ({next(iter(family_set))} only)"
        target_text = f" to targets {', '.join(targets)}" if targets is not None else ""
        parts.append(f"{protocol} {port_text} from {source_text}{target_text} (rule {rule_name!r})")
    return "; ".join(parts)
