"""The network map: networks, subnets, gateways, firewall groups, workloads and data stores, and internet paths.

:func:`build_network_map` turns an inventory into a provider-neutral graph of
:class:`Node` and :class:`Edge` objects; :mod:`ztscan.netmap_render` writes it as
Graphviz DOT and Mermaid. Every workload or data store gets an :class:`Exposure`:

* ``internet``: a path from the internet exists (a public address behind a firewall
  group that allows ingress from the internet, a publicly accessible database, an
  internet-facing load balancer, a public bucket).
* ``internal``: the collected facts show no such path.
* ``unknown``: a fact the decision needs was not collected, so the map cannot tell.
  A missing fact is never shown as "no path".

Firewall rules are evaluated by :mod:`ztscan.rules.exposure`, the same code that
the network rules use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ztscan.model import Inventory, Resource
from ztscan.rules.exposure import internet_exposures, parse_rule

INTERNET = "internet"
INTERNAL = "internal"
UNKNOWN = "unknown"
NOT_APPLICABLE = "not applicable"

#: The tag that marks resources holding ePHI when the user names none.
DEFAULT_EPHI_TAG = "ephi"
#: Tag values that do not mark a resource as holding ePHI (compared case-insensitively).
FALSE_TAG_VALUES = frozenset({"false", "no", "0", "none", "n"})

#: Kinds drawn on the map, and the node category each becomes.
MAP_KINDS = {
    "network": "network",
    "network.subnet": "subnet",
    "network.gateway": "gateway",
    "network.firewall": "firewall",
    "compute.instance": "instance",
    "database": "database",
    "network.load_balancer": "load_balancer",
    "storage.bucket": "bucket",
}
#: Kinds whose internet exposure the map decides: workloads and data stores.
EXPOSED_KINDS = ("compute.instance", "database", "network.load_balancer", "storage.bucket")

_ALL_PORTS = (0, 65535)
_PORT_PROTOCOLS = ("tcp", "udp")


@dataclass(frozen=True)
class Exposure:
    """Whether the internet reaches one resource, and how."""

    state: str
    #: Human-readable reasons: the open ports and rules, or the fact that was not collected.
    details: tuple[str, ...] = ()
    #: Firewall group ids through which the path runs.
    via: tuple[str, ...] = ()

    def describe(self) -> str:
        return self.state if not self.details else f"{self.state}: {'; '.join(self.details)}"


@dataclass
class Node:
    id: str
    category: str
    label: str
    resource: Resource | None = None
    network_id: str | None = None
    subnet_id: str | None = None
    ephi: bool = False
    exposure: Exposure | None = None
    #: Extra label lines, for example the ingress rules of a firewall group.
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    #: "internet-path", "possible-path" (a needed fact is unknown), "protects", "peering", "attached".
    relation: str
    label: str = ""


@dataclass
class NetworkMap:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    _edge_keys: set[tuple[str, frozenset[str]]] = field(default_factory=set, repr=False)

    def add_edge(self, edge: Edge) -> None:
        """Append ``edge`` unless an edge of the same relation already joins the same two nodes, either way."""
        key = (edge.relation, frozenset((edge.source, edge.target)))
        if key not in self._edge_keys:
            self._edge_keys.add(key)
            self.edges.append(edge)

    def internet_paths(self) -> list[Edge]:
        return [edge for edge in self.edges if edge.relation == "internet-path"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [{"id": node.id, "category": node.category, "label": node.label, "ephi": node.ephi,
                       "network_id": node.network_id, "subnet_id": node.subnet_id,
                       "exposure": node.exposure.describe() if node.exposure else None}
                      for node in self.nodes.values()],
            "edges": [{"source": edge.source, "target": edge.target, "relation": edge.relation, "label": edge.label}
                      for edge in self.edges],
        }


def is_ephi(resource: Resource, tag: str = DEFAULT_EPHI_TAG) -> bool:
    """Return True when ``resource`` carries the ePHI tag (name compared case-insensitively) with a true value."""
    expected_name = tag.lower()
    for name, value in resource.tags.items():
        if name.lower() == expected_name:
            return value.strip().lower() not in FALSE_TAG_VALUES
    return False


def open_ingress(rules: list[dict[str, Any]]) -> list[str]:
    """Return the port ranges that ingress from the internet reaches, as ``tcp 22`` or ``udp 1000-2000 (rule 'x')``.

    The allowed set only changes at the bounds of some rule's port range, so the
    rules are evaluated once per segment between consecutive bounds, which is
    exact. Raises ValueError when a rule is malformed.
    """
    parsed = [parse_rule(raw) for raw in rules]
    protocols = set(_PORT_PROTOCOLS)
    protocols.update(rule.protocol for rule in parsed if rule.protocol != "all")
    bounds = {_ALL_PORTS[0], _ALL_PORTS[1] + 1}
    for rule in parsed:
        for low, high in rule.ports or ():
            bounds.update((low, high + 1))
    starts = sorted(bound for bound in bounds if bound <= _ALL_PORTS[1])
    segments = [(start, (starts + [_ALL_PORTS[1] + 1])[index + 1] - 1) for index, start in enumerate(starts)]
    found = []
    for protocol in sorted(protocols):
        if protocol not in _PORT_PROTOCOLS:
            if internet_exposures(rules, [(protocol, 0)]):
                found.append(protocol)
            continue
        merged: list[list[Any]] = []
        for low, high in segments:
            hits = internet_exposures(rules, [(protocol, low)])
            if not hits:
                continue
            names = sorted({hit.rule for hit in hits})
            if merged and merged[-1][1] == low - 1 and merged[-1][2] == names:
                merged[-1][1] = high
            else:
                merged.append([low, high, names])
        for low, high, names in merged:
            if (low, high) == _ALL_PORTS:
                ports = "all ports"
            elif low == high:
                ports = str(low)
            else:
                ports = f"{low}-{high}"
            found.append(f"{protocol} {ports} (rule {', '.join(repr(name) for name in names)})")
    return found


class _Analyzer:
    """Decides the exposure of each workload and data store from the inventory's facts."""

    def __init__(self, inventory: Inventory):
        self.by_id = {resource.id: resource for resource in inventory.resources}

    def exposure(self, resource: Resource) -> Exposure:
        handler = {
            "compute.instance": self._instance,
            "database": self._database,
            "network.load_balancer": self._load_balancer,
            "storage.bucket": self._bucket,
        }.get(resource.kind)
        return handler(resource) if handler else Exposure(NOT_APPLICABLE)

    def firewall_ingress(self, firewall_ids: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
        """Return (open port descriptions, firewall ids with open ports, reasons the exposure is unknown)."""
        opened, via, unknown = [], [], []
        for firewall_id in firewall_ids:
            firewall = self.by_id.get(firewall_id)
            if firewall is None:
                unknown.append(f"firewall group {firewall_id} was not collected")
                continue
            if not firewall.has("rules"):
                unknown.append(f"the rules of firewall group {firewall.name or firewall_id} were not collected")
                continue
            try:
                ports = open_ingress(firewall.facts["rules"])
            except ValueError as exc:
                unknown.append(f"firewall group {firewall.name or firewall_id}: {exc}")
                continue
            if ports:
                opened.extend(ports)
                via.append(firewall_id)
        return opened, via, unknown

    def _instance(self, resource: Resource) -> Exposure:
        if not resource.has("public_ips"):
            return Exposure(UNKNOWN, ("public addresses were not collected",))
        addresses = resource.facts["public_ips"] or []
        if not addresses:
            return Exposure(INTERNAL, ("no public address",))
        subnet = self.by_id.get(resource.facts.get("subnet_id") or "")
        if subnet is not None and subnet.facts.get("public") is False:
            return Exposure(INTERNAL, (f"public address {', '.join(addresses)} but subnet has no internet route",))
        if not resource.has("firewall_ids"):
            return Exposure(UNKNOWN, (f"public address {', '.join(addresses)}; firewall groups were not collected",))
        where = f"public address {', '.join(addresses)}"
        if not resource.facts["firewall_ids"]:
            return Exposure(UNKNOWN, (where, "no firewall group applies, so the platform default decides"))
        opened, via, unknown = self.firewall_ingress(resource.facts["firewall_ids"])
        if opened:
            return Exposure(INTERNET, (where, *opened), tuple(via))
        if unknown:
            return Exposure(UNKNOWN, (where, *unknown))
        return Exposure(INTERNAL, (f"{where} but no firewall group allows ingress from the internet",))

    def _database(self, resource: Resource) -> Exposure:
        if not resource.has("publicly_accessible"):
            return Exposure(UNKNOWN, ("public accessibility was not collected",))
        if not resource.facts["publicly_accessible"]:
            return Exposure(INTERNAL, ("not publicly accessible",))
        if not resource.has("firewall_ids"):
            return Exposure(INTERNET, ("publicly accessible; its firewall groups were not collected",))
        opened, via, unknown = self.firewall_ingress(resource.facts["firewall_ids"] or [])
        if opened:
            return Exposure(INTERNET, ("publicly accessible", *opened), tuple(via))
        if unknown:
            return Exposure(UNKNOWN, ("publicly accessible", *unknown))
        return Exposure(INTERNAL, ("publicly accessible but no firewall group allows ingress from the internet",))

    def _load_balancer(self, resource: Resource) -> Exposure:
        if not resource.has("scheme"):
            return Exposure(UNKNOWN, ("scheme was not collected",))
        if resource.facts["scheme"] != "internet-facing":
            return Exposure(INTERNAL, (f"scheme {resource.facts['scheme']}",))
        if not resource.has("listeners"):
            return Exposure(INTERNET, ("internet-facing; listeners were not collected",))
        listeners = [f"listener {item.get('protocol', '?')} {item.get('port', '?')}"
                     for item in resource.facts["listeners"] or []]
        return Exposure(INTERNET, ("internet-facing", *(listeners or ["no listeners"])))

    def _bucket(self, resource: Resource) -> Exposure:
        public = resource.facts.get("public")
        if public is True:
            return Exposure(INTERNET, ("a policy, ACL or binding grants access to everyone",))
        if resource.facts.get("public_access_blocked") is True:
            return Exposure(INTERNAL, ("public access is blocked",))
        if public is False:
            return Exposure(INTERNAL, ("no grant to everyone",))
        return Exposure(UNKNOWN, ("whether the bucket is public was not collected",))


def exposures(inventory: Inventory) -> dict[str, Exposure]:
    """Return the exposure of every workload and data store in ``inventory``, keyed by resource id."""
    analyzer = _Analyzer(inventory)
    return {resource.id: analyzer.exposure(resource)
            for resource in inventory.resources if resource.kind in EXPOSED_KINDS}


def build_network_map(inventory: Inventory, ephi_tag: str = DEFAULT_EPHI_TAG) -> NetworkMap:
    """Build the network map of ``inventory``; resources tagged ``ephi_tag`` are marked as holding ePHI."""
    analyzer = _Analyzer(inventory)
    graph = NetworkMap()
    graph.nodes[INTERNET] = Node(INTERNET, "internet", "Internet")
    for resource in inventory.resources:
        category = MAP_KINDS.get(resource.kind)
        if category is None:
            continue
        node = Node(resource.id, category, resource.name or resource.id.rsplit("/", 1)[-1], resource=resource,
                    ephi=is_ephi(resource, ephi_tag))
        node.network_id = _network_of(resource)
        node.subnet_id = resource.facts.get("subnet_id") if resource.kind == "compute.instance" else None
        if resource.kind in EXPOSED_KINDS:
            node.exposure = analyzer.exposure(resource)
        graph.nodes[resource.id] = node

    for node in list(graph.nodes.values()):
        _add_edges(graph, node)
    return graph


def _network_of(resource: Resource) -> str | None:
    if resource.kind == "network":
        return resource.id
    if resource.kind == "network.gateway":
        ids = resource.facts.get("network_ids") or []
        return ids[0] if len(ids) == 1 else None
    value = resource.facts.get("network_id")
    return value if isinstance(value, str) else None


def _add_edges(graph: NetworkMap, node: Node) -> None:
    resource = node.resource
    if resource is None:
        return
    facts = resource.facts
    if node.category == "network":
        for peer in facts.get("peerings") or []:
            if peer not in graph.nodes:
                graph.nodes[peer] = Node(peer, "network", f"peer {peer.rsplit('/', 1)[-1]} (not collected)")
            graph.add_edge(Edge(node.id, peer, "peering", "peering"))
    elif node.category == "gateway":
        for network_id in facts.get("network_ids") or []:
            if network_id in graph.nodes:
                graph.add_edge(Edge(node.id, network_id, "attached", str(facts.get("gateway_type", ""))))
        if facts.get("gateway_type") == "internet":
            graph.add_edge(Edge(INTERNET, node.id, "attached", "internet gateway"))
    elif node.category == "firewall":
        node.lines = _rule_lines(resource)
        for target in facts.get("attached_to") or []:
            if target in graph.nodes and graph.nodes[target].category in ("instance", "database", "load_balancer"):
                graph.add_edge(Edge(node.id, target, "protects"))
    if node.category in ("instance", "database", "load_balancer"):
        for firewall_id in facts.get("firewall_ids") or []:
            if firewall_id in graph.nodes:
                graph.add_edge(Edge(firewall_id, node.id, "protects"))
    exposure = node.exposure
    if exposure is None or exposure.state == INTERNAL:
        return
    relation = "internet-path" if exposure.state == INTERNET else "possible-path"
    if exposure.state == INTERNET:
        label = "; ".join(exposure.details[1:] if len(exposure.details) > 1 else exposure.details)
    else:
        label = f"unknown: {exposure.details[-1]}" if exposure.details else "unknown"
    graph.add_edge(Edge(INTERNET, node.id, relation, label))


def _rule_lines(resource: Resource, limit: int = 6) -> list[str]:
    """Summarize the enabled ingress allow rules of a firewall group, at most ``limit`` lines."""
    if not resource.has("rules"):
        return ["rules not collected"]
    lines = []
    for raw in resource.facts["rules"] or []:
        try:
            rule = parse_rule(raw)
        except ValueError:
            lines.append(f"invalid rule {raw.get('name', '?')!r}" if isinstance(raw, dict) else "invalid rule")
            continue
        if rule.direction != "ingress" or not rule.enabled or rule.builtin:
            continue
        ports = "all" if rule.ports is None else ",".join(
            str(low) if low == high else f"{low}-{high}" for low, high in rule.ports)
        sources = ",".join(rule.sources) or "groups"
        lines.append(f"{rule.action} {rule.protocol} {ports} from {sources}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"and {len(lines) - limit} more rules"]
    return lines or ["no ingress rules"]
