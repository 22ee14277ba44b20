"""The network map: exposure decisions, and the structure of the generated DOT and Mermaid graphs."""

from __future__ import annotations

import re

import pydot
import pytest

from ztscan.model import Inventory
from ztscan.netmap import INTERNET, build_network_map, exposures, is_ephi, open_ingress
from ztscan.netmap_render import to_dot, to_mermaid

from .evidence_inventory import (
    DATABASE, DB_GROUP, IGW, PEER_VPC, PORTAL, PRIVATE_BUCKET, PUBLIC_BUCKET, PUBLIC_DATABASE, PUBLIC_SUBNET,
    UNKNOWN_INSTANCE, VPC, WEB, WEB_GROUP, WORKER, clinic_inventory, firewall_rule, resource,
)


# pydot 4 calls pyparsing names that pyparsing 3.2 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:DeprecationWarning")


def parse_dot(text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1
    return graphs[0]


def unquote(value: str | None) -> str:
    return (value or "").strip('"')


def all_nodes(graph) -> dict[str, dict[str, str]]:
    """Return every node of the graph and its subgraphs, keyed by unquoted name, with its attributes."""
    found = {}
    for node in graph.get_nodes():
        name = unquote(node.get_name())
        if name not in ("node", "edge", "graph"):
            found[name] = {key: unquote(value) for key, value in node.get_attributes().items()}
    for subgraph in graph.get_subgraphs():
        found.update(all_nodes(subgraph))
    return found


def cluster_members(graph) -> dict[str, set[str]]:
    """Map each cluster's label to the names of the nodes it contains, nested clusters included."""
    members = {}
    for subgraph in graph.get_subgraphs():
        label = unquote(subgraph.get_label())
        members[label] = set(all_nodes(subgraph))
        members.update(cluster_members(subgraph))
    return members


def edges(graph) -> list[tuple[str, str, str, str]]:
    return [(unquote(edge.get_source()), unquote(edge.get_destination()), unquote(edge.get("class")),
             unquote(edge.get("label"))) for edge in graph.get_edges()]


@pytest.fixture(scope="module")
def dot_graph():
    return parse_dot(to_dot(build_network_map(clinic_inventory())))


def test_exposure_states():
    states = {resource_id: exposure.state for resource_id, exposure in exposures(clinic_inventory()).items()}
    assert states[WEB] == "internet"
    assert states[WORKER] == "internal"
    assert states[UNKNOWN_INSTANCE] == "unknown"
    assert states[DATABASE] == "internal"
    assert states[PUBLIC_DATABASE] == "internet"
    assert states[PORTAL] == "internet"
    assert states[PUBLIC_BUCKET] == "internet"
    assert states[PRIVATE_BUCKET] == "internal"


def test_private_subnet_blocks_path():
    inventory = clinic_inventory()
    web = next(item for item in inventory.resources if item.id == WEB)
    web.facts["subnet_id"] = "subnet-private"
    assert exposures(inventory)[WEB].state == "internal"


def test_missing_firewall_rules_is_unknown():
    inventory = clinic_inventory()
    group = next(item for item in inventory.resources if item.id == WEB_GROUP)
    del group.facts["rules"]
    exposure = exposures(inventory)[WEB]
    assert exposure.state == "unknown"
    assert "were not collected" in exposure.describe()


def test_missing_bucket_facts_is_unknown():
    inventory = Inventory(resources=[resource("storage.bucket", "b", encrypted=True)])
    assert exposures(inventory)["b"].state == "unknown"


def test_missing_public_ips_is_unknown():
    inventory = Inventory(resources=[resource("compute.instance", "i", firewall_ids=[])])
    assert exposures(inventory)["i"].state == "unknown"


CASES = {
    "single-port": ([firewall_rule("ssh", 22, "0.0.0.0/0")], ["tcp 22 (rule 'ssh')"]),
    "private-source": ([firewall_rule("ssh", 22, "10.0.0.0/8")], []),
    "ipv6-any": ([firewall_rule("rdp", 3389, "::/0")], ["tcp 3389 (rule 'rdp')"]),
    "udp": ([firewall_rule("dns", 53, "0.0.0.0/0", protocol="udp")], ["udp 53 (rule 'dns')"]),
}


@pytest.mark.parametrize("rules,expected", CASES.values(), ids=CASES.keys())
def test_open_ingress(rules, expected):
    assert open_ingress(rules) == expected


def test_open_ingress_range_with_deny():
    allow = {**firewall_rule("wide", 0, "*"), "ports": [[1000, 2000]], "priority": 200}
    deny = {**firewall_rule("block", 1500, "Internet", action="deny"), "priority": 100}
    assert open_ingress([allow, deny]) == ["tcp 1000-1499 (rule 'wide')", "tcp 1501-2000 (rule 'wide')"]


def test_open_ingress_all_ports():
    rule = {**firewall_rule("any", 0, "0.0.0.0/0"), "protocol": "all", "ports": None}
    assert "tcp all ports (rule 'any')" in open_ingress([rule])


@pytest.mark.parametrize("value,expected", [("true", True), ("Yes", True), ("false", False), ("no", False)],
                         ids=["true", "yes", "false", "no"])
def test_ephi_tag_value(value: str, expected: bool):
    assert is_ephi(resource("database", "d", tags={"EPHI": value})) is expected


def test_dot_nodes_have_categories(dot_graph):
    nodes = all_nodes(dot_graph)
    assert nodes[INTERNET]["class"] == "internet"
    assert nodes[WEB]["class"].split()[0] == "instance"
    assert nodes[PUBLIC_DATABASE]["class"].split()[0] == "database"
    assert nodes[PORTAL]["class"].split()[0] == "load_balancer"
    assert nodes[IGW]["class"] == "gateway"
    assert nodes[DB_GROUP]["class"] == "firewall"


def test_dot_internet_paths(dot_graph):
    paths = {target for source, target, relation, _ in edges(dot_graph)
             if source == INTERNET and relation == "internet-path"}
    assert paths == {WEB, PUBLIC_DATABASE, PORTAL, PUBLIC_BUCKET}


def test_dot_unknown_path_is_dashed(dot_graph):
    unknown = [(target, label) for source, target, relation, label in edges(dot_graph) if relation == "possible-path"]
    assert [target for target, _ in unknown] == [UNKNOWN_INSTANCE]
    assert "not collected" in unknown[0][1]


def test_dot_path_labels_name_ports(dot_graph):
    labels = {target: label for source, target, relation, label in edges(dot_graph) if relation == "internet-path"}
    assert "tcp 443" in labels[WEB]
    assert "tcp 5432" in labels[PUBLIC_DATABASE]
    assert "HTTPS 443" in labels[PORTAL]


def test_dot_ephi_highlighted(dot_graph):
    nodes = all_nodes(dot_graph)
    highlighted = {name for name, attributes in nodes.items() if "ephi" in attributes.get("class", "").split()}
    assert highlighted == {VPC, WEB, DATABASE, PUBLIC_DATABASE, PRIVATE_BUCKET}
    assert "REACHABLE FROM THE INTERNET" in nodes[PUBLIC_DATABASE]["label"]
    assert "REACHABLE" not in nodes[DATABASE]["label"]


def test_dot_exposure_classes(dot_graph):
    nodes = all_nodes(dot_graph)
    assert "exposure-internet" in nodes[WEB]["class"].split()
    assert "exposure-internal" in nodes[WORKER]["class"].split()
    assert "exposure-unknown" in nodes[UNKNOWN_INSTANCE]["class"].split()


def test_dot_clusters_place_resources(dot_graph):
    clusters = cluster_members(dot_graph)
    assert WEB in clusters["subnet public-a"]
    assert WEB in clusters["network prod"]
    assert UNKNOWN_INSTANCE not in clusters["subnet public-a"]
    assert PUBLIC_SUBNET not in clusters["subnet private-a"]
    assert PUBLIC_BUCKET not in clusters["network prod"]


def test_dot_peering_and_gateway(dot_graph):
    relations = {(source, target, relation) for source, target, relation, _ in edges(dot_graph)}
    assert (PEER_VPC, VPC, "peering") in relations or (VPC, PEER_VPC, "peering") in relations
    assert (INTERNET, IGW, "attached") in relations
    assert (IGW, VPC, "attached") in relations


def test_dot_firewall_protects(dot_graph):
    relations = {(source, target) for source, target, relation, _ in edges(dot_graph) if relation == "protects"}
    assert (WEB_GROUP, WEB) in relations
    assert (DB_GROUP, PUBLIC_DATABASE) in relations


def test_dot_quotes_hostile_names():
    inventory = Inventory(resources=[resource("storage.bucket", 'b"x\\y', 'evil"name\n{}', public=True)])
    nodes = all_nodes(parse_dot(to_dot(build_network_map(inventory))))
    assert len(nodes) == 2


def test_mermaid_structure():
    text = to_mermaid(build_network_map(clinic_inventory()))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert text.count("subgraph ") == text.count("\n    end") + text.count("\n  end")
    declared = set(re.findall(r"^\s*(n\d+)[\[(]", text, flags=re.MULTILINE))
    links = re.findall(r"^\s*(n\d+) \S+?(?:\|\"[^\"]*\"\|)? (n\d+)$", text, flags=re.MULTILINE)
    assert len(links) == len(build_network_map(clinic_inventory()).edges)
    assert {name for pair in links for name in pair} <= declared
    assert len(re.findall(r"linkStyle \d+ stroke:#cc0000", text)) == 4


def test_mermaid_comments_stay_on_comment_lines():
    text = to_mermaid(build_network_map(clinic_inventory()))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    body = [line.strip() for line in lines[1:]]
    legend = [line for line in body if line.startswith("%%")]
    assert len(legend) >= 2
    for line in body:
        assert line.startswith(("%%", "n", "subgraph", "end", "classDef", "class", "style", "linkStyle")), line


def test_mermaid_escapes_quotes():
    inventory = Inventory(resources=[resource("storage.bucket", "b", 'a "quoted" <b>|name', public=True)])
    text = to_mermaid(build_network_map(inventory))
    assert '"quoted"' not in text
    assert "#quot;quoted#quot;" in text


def test_one_sided_peering_drawn_once():
    inventory = clinic_inventory()
    peer = next(item for item in inventory.resources if item.id == PEER_VPC)
    peer.facts["peerings"] = []
    peerings = [edge for edge in build_network_map(inventory).edges if edge.relation == "peering"]
    assert len(peerings) == 1
