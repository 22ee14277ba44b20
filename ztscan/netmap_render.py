"""Write a :class:`ztscan.netmap.NetworkMap` as Graphviz DOT or Mermaid, and render DOT to SVG with Graphviz.

Legend, in both formats: a red edge from the Internet node is an internet path,
labeled with the open ports or listeners. A dashed orange edge is a path that
cannot be ruled out because a fact was not collected. A yellow fill marks a
resource tagged as holding ePHI, and a pink fill one that the internet reaches. A
red border marks a resource that the internet reaches. Each DOT
node carries a ``class`` attribute (category, ``ephi``, ``exposure-<state>``) that
Graphviz copies into the SVG.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from ztscan.netmap import UNKNOWN, Edge, NetworkMap, Node

log = logging.getLogger(__name__)

EPHI_FILL = "#fff2cc"
#: Fill of an ePHI resource that the internet reaches.
EPHI_EXPOSED_FILL = "#f4cccc"
EXPOSED_COLOR = "#cc0000"
UNKNOWN_COLOR = "#e69138"
LEGEND = ("red edge: internet path (open ports or listeners); dashed orange edge: path unknown, a fact was "
          "not collected;\nyellow fill: tagged ePHI; pink fill: ePHI reachable from the internet; "
          "red border: reachable from the internet")

_SHAPES = {
    "internet": "doublecircle", "network": "component", "subnet": "plaintext", "gateway": "cds",
    "firewall": "octagon", "instance": "box", "database": "cylinder", "load_balancer": "hexagon",
    "bucket": "folder",
}
_CATEGORY_NAMES = {"load_balancer": "load balancer", "instance": "instance", "database": "database",
                   "bucket": "bucket", "firewall": "firewall group", "gateway": "gateway", "network": "network",
                   "subnet": "subnet", "internet": ""}
_EDGE_STYLES = {
    "internet-path": f'color="{EXPOSED_COLOR}", penwidth=2, fontcolor="{EXPOSED_COLOR}"',
    "possible-path": f'color="{UNKNOWN_COLOR}", style=dashed, fontcolor="{UNKNOWN_COLOR}"',
    "protects": 'color="gray50", arrowhead=odot',
    "peering": 'color="#1f4e79", dir=both, style=bold',
    "attached": 'color="gray40"',
}


def node_lines(node: Node) -> list[str]:
    """Return the label lines of a node: name, category and region, exposure, ePHI mark, extra lines."""
    lines = [node.label]
    kind = _CATEGORY_NAMES.get(node.category, node.category)
    if node.resource is not None:
        lines.append(f"{kind} · {node.resource.scope.region}")
        if node.category == "subnet":
            cidr = node.resource.facts.get("cidr")
            public = node.resource.facts.get("public", "missing")
            lines.append(f"{cidr or ''} public: {'unknown' if public in (None, 'missing') else public}".strip())
        if node.category == "network":
            lines.append(", ".join(node.resource.facts.get("cidrs") or []))
        if node.category == "gateway":
            lines.append(str(node.resource.facts.get("gateway_type", "type unknown")))
    state = node.exposure.state if node.exposure is not None else None
    if node.ephi:
        lines.append("ePHI, REACHABLE FROM THE INTERNET" if state == "internet" else "ePHI")
    if state == "internet" and not node.ephi:
        lines.append("reachable from the internet")
    elif state == UNKNOWN:
        lines.append("internet exposure unknown")
    lines.extend(node.lines)
    return [line for line in lines if line]


def node_classes(node: Node) -> list[str]:
    classes = [node.category]
    if node.ephi:
        classes.append("ephi")
    if node.exposure is not None:
        classes.append(f"exposure-{node.exposure.state.replace(' ', '-')}")
    return classes


def _placement(graph: NetworkMap) -> tuple[dict[str, list[Node]], dict[str, dict[str, list[Node]]], list[Node]]:
    """Group nodes by network and subnet: (network members, subnet members per network, top-level nodes)."""
    in_network: dict[str, list[Node]] = defaultdict(list)
    in_subnet: dict[str, dict[str, list[Node]]] = defaultdict(lambda: defaultdict(list))
    top: list[Node] = []
    subnets = {node.id: node for node in graph.nodes.values() if node.category == "subnet"}
    for node in graph.nodes.values():
        network = node.network_id if node.network_id in graph.nodes else None
        if node.category == "subnet" and network:
            in_subnet[network][node.id].insert(0, node)
        elif node.subnet_id in subnets and subnets[node.subnet_id].network_id == network and network:
            in_subnet[network][node.subnet_id].append(node)
        elif network:
            in_network[network].append(node)
        else:
            top.append(node)
    return in_network, in_subnet, top


# -- DOT ---------------------------------------------------------------------

def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_node(node: Node, indent: str) -> str:
    attributes = [f"label={_dot_quote(chr(10).join(node_lines(node)))}", f"shape={_SHAPES.get(node.category, 'box')}",
                  f"class={_dot_quote(' '.join(node_classes(node)))}"]
    if node.ephi:
        exposed = node.exposure is not None and node.exposure.state == "internet"
        attributes.append(f'style="filled,rounded", fillcolor="{EPHI_EXPOSED_FILL if exposed else EPHI_FILL}"')
    if node.exposure is not None and node.exposure.state == "internet":
        attributes.append(f'color="{EXPOSED_COLOR}", penwidth=3')
    elif node.exposure is not None and node.exposure.state == UNKNOWN:
        attributes.append(f'color="{UNKNOWN_COLOR}", penwidth=2')
    return f"{indent}{_dot_quote(node.id)} [{', '.join(attributes)}];"


def _dot_edge(edge: Edge) -> str:
    label = f", label={_dot_quote(_wrap(edge.label))}" if edge.label else ""
    return f"  {_dot_quote(edge.source)} -> {_dot_quote(edge.target)} [{_EDGE_STYLES[edge.relation]}{label}, " \
           f"class={_dot_quote(edge.relation)}];"


def _wrap(text: str, width: int = 40) -> str:
    parts = [part.strip() for part in text.split(";") if part.strip()]
    return "\n".join(part if len(part) <= width else part[:width - 1] + "…" for part in parts)


def to_dot(graph: NetworkMap, title: str = "ztscan network map") -> str:
    """Return the map as a Graphviz DOT digraph, networks and subnets drawn as clusters."""
    in_network, in_subnet, top = _placement(graph)
    out = [f"digraph {_dot_quote(title)} {{",
           f"  graph [rankdir=LR, fontname=Helvetica, labelloc=t, label={_dot_quote(title + chr(10) + LEGEND)}];",
           "  node [fontname=Helvetica, fontsize=10, shape=box, style=rounded];",
           "  edge [fontname=Helvetica, fontsize=9];"]
    for node in top:
        out.append(_dot_node(node, "  "))
    for index, network in enumerate(sorted(set(in_network) | set(in_subnet))):
        members = in_network.get(network, [])
        subnets = in_subnet.get(network, {})
        label = graph.nodes[network].label
        out.append(f"  subgraph {_dot_quote(f'cluster_network_{index}')} {{")
        out.append(f"    label={_dot_quote('network ' + label)}; style=rounded; color=\"#1f4e79\";")
        for node in members:
            out.append(_dot_node(node, "    "))
        for sub_index, (subnet_id, sub_members) in enumerate(sorted(subnets.items())):
            out.append(f"    subgraph {_dot_quote(f'cluster_subnet_{index}_{sub_index}')} {{")
            out.append(f"      label={_dot_quote('subnet ' + graph.nodes[subnet_id].label)}; style=dashed; color=gray50;")
            for node in sub_members:
                out.append(_dot_node(node, "      "))
            out.append("    }")
        out.append("  }")
    out.extend(_dot_edge(edge) for edge in graph.edges)
    out.append("}")
    return "\n".join(out) + "\n"


# -- Mermaid -----------------------------------------------------------------

def _mermaid_text(text: str) -> str:
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("|", "#124;")
    return escaped.replace("<", "#lt;").replace(">", "#gt;").replace("\n", "<br/>")


def to_mermaid(graph: NetworkMap) -> str:
    """Return the map as a Mermaid flowchart, networks and subnets drawn as subgraphs."""
    ids = {node_id: f"n{index}" for index, node_id in enumerate(graph.nodes)}
    in_network, in_subnet, top = _placement(graph)
    # A Mermaid comment ends at the line break, so every legend line gets its own %% marker.
    out = ["flowchart LR", *(f"  %% {line}" for line in LEGEND.splitlines())]

    def declare(node: Node, indent: str) -> str:
        text = _mermaid_text("\n".join(node_lines(node)))
        if node.category == "internet":
            return f'{indent}{ids[node.id]}(("{text}"))'
        if node.category == "database":
            return f'{indent}{ids[node.id]}[("{text}")]'
        return f'{indent}{ids[node.id]}["{text}"]'

    out.extend(declare(node, "  ") for node in top)
    for index, network in enumerate(sorted(set(in_network) | set(in_subnet))):
        out.append(f'  subgraph net{index}["{_mermaid_text("network " + graph.nodes[network].label)}"]')
        out.extend(declare(node, "    ") for node in in_network.get(network, []))
        for sub_index, (subnet_id, members) in enumerate(sorted(in_subnet.get(network, {}).items())):
            out.append(f'    subgraph sub{index}_{sub_index}["{_mermaid_text("subnet " + graph.nodes[subnet_id].label)}"]')
            out.extend(declare(node, "      ") for node in members)
            out.append("    end")
        out.append("  end")
    styles = []
    for position, edge in enumerate(graph.edges):
        arrow = {"possible-path": "-.->", "peering": "<-->", "protects": "--o"}.get(edge.relation, "-->")
        label = f'|"{_mermaid_text(_wrap(edge.label))}"|' if edge.label else ""
        out.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
        if edge.relation == "internet-path":
            styles.append(f"  linkStyle {position} stroke:{EXPOSED_COLOR},stroke-width:2px")
        elif edge.relation == "possible-path":
            styles.append(f"  linkStyle {position} stroke:{UNKNOWN_COLOR}")
    out.extend(styles)
    out.append(f"  classDef ephi fill:{EPHI_FILL},stroke:#b45f06")
    out.append(f"  classDef exposed stroke:{EXPOSED_COLOR},stroke-width:3px")
    out.append(f"  classDef unknown stroke:{UNKNOWN_COLOR},stroke-width:2px,stroke-dasharray:4")
    for node in graph.nodes.values():
        classes = []
        if node.ephi:
            classes.append("ephi")
        if node.exposure is not None and node.exposure.state in ("internet", UNKNOWN):
            classes.append("exposed" if node.exposure.state == "internet" else "unknown")
        # Mermaid applies one class per statement, so ePHI and exposure are listed separately.
        out.extend(f"  class {ids[node.id]} {name}" for name in classes)
    return "\n".join(out) + "\n"


def render_svg(dot_text: str, target: Path, timeout: float = 120.0) -> bool:
    """Render DOT to SVG with the Graphviz ``dot`` program; return False when Graphviz is not installed.

    Raises RuntimeError when ``dot`` is installed but fails or times out.
    """
    program = shutil.which("dot")
    if program is None:
        return False
    try:
        result = subprocess.run([program, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                                timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz dot did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz dot failed with exit code {result.returncode}: {message}")
    from ztscan.output import write_atomic

    write_atomic(target, result.stdout.decode("utf-8"))
    return True
