"""Network rules: internet exposure of firewalls, default groups, flow logs, plain HTTP, public databases."""

from __future__ import annotations

from ztscan.model import Outcome, Resource, failed, not_applicable, passed
from ztscan.rules.base import InventoryIndex, rule
from ztscan.rules.exposure import ParsedRules, describe, internet_exposures, parse_rule, parse_rules

#: Remote administration ports: SSH and RDP.
ADMIN_PORTS = (("tcp", 22), ("tcp", 3389))

#: Database and cache ports: SQL Server (and its UDP browser service), Oracle, MySQL, PostgreSQL,
#: Redis, Cassandra, Elasticsearch, Memcached, CouchDB and MongoDB.
DATABASE_PORTS = (
    ("tcp", 1433), ("udp", 1434), ("tcp", 1521), ("tcp", 2483), ("tcp", 2484), ("tcp", 3306),
    ("tcp", 5432), ("tcp", 5984), ("tcp", 6379), ("tcp", 9042), ("tcp", 9200), ("tcp", 9300),
    ("tcp", 11211), ("udp", 11211), ("tcp", 27017), ("tcp", 27018), ("tcp", 27019),
)


def _parsed_rules(resource: Resource, index: InventoryIndex | None) -> ParsedRules:
    """Return the resource's parsed firewall rules, parsed once per evaluation for ZT-NET-001, 002 and 003.

    Every rule is kept only for default groups, the only firewalls ZT-NET-003 reads them of.
    """
    raw = resource.fact("rules")
    keep_all = resource.facts.get("is_default_group") is True
    if index is None:
        return parse_rules(raw, keep_all)
    return index.derived(resource, "parsed_firewall_rules", lambda _: parse_rules(raw, keep_all))


def _exposure_outcome(resource: Resource, index: InventoryIndex | None, ports: tuple[tuple[str, int], ...],
                      port_group: str) -> Outcome:
    exposures = internet_exposures(_parsed_rules(resource, index), ports)
    checked = [f"{protocol} {port}" for protocol, port in ports]
    if exposures:
        return failed(
            f"ingress from the internet allowed to {port_group}: {describe(exposures)}",
            exposures=[exposure.to_dict() for exposure in exposures],
        )
    return passed(f"no {port_group} reachable from the internet", ports_checked=checked)


@rule("ZT-NET-001", "network.firewall", facts=("rules",))
def no_internet_admin_ports(resource: Resource, index: InventoryIndex) -> Outcome:
    return _exposure_outcome(resource, index, ADMIN_PORTS, "administration ports")


@rule("ZT-NET-002", "network.firewall", facts=("rules",))
def no_internet_database_ports(resource: Resource, index: InventoryIndex) -> Outcome:
    return _exposure_outcome(resource, index, DATABASE_PORTS, "database ports")


@rule("ZT-NET-003", "network.firewall", facts=("is_default_group", "rules"))
def default_group_restricts_all(resource: Resource, index: InventoryIndex) -> Outcome:
    # Builtin rules (GCP implied rules) cannot be removed, so they do not count.
    if not resource.fact("is_default_group"):
        return not_applicable("not the platform's default group")
    allowing = []
    parsed_rules = _parsed_rules(resource, index).rules
    for parsed in parsed_rules if parsed_rules is not None else map(parse_rule, resource.fact("rules")):
        if parsed.builtin is None:
            raise ValueError(f"firewall rule {parsed.name!r}: field 'builtin' is missing")
        if parsed.enabled and parsed.action == "allow" and not parsed.builtin:
            allowing.append(parsed)
    if allowing:
        listed = ", ".join(f"{parsed.direction} {parsed.name!r}" for parsed in allowing)
        return failed(f"default group allows traffic: {listed}", allow_rules=[parsed.name for parsed in allowing])
    return passed("default group allows no traffic")


@rule("ZT-NET-004", "network", facts=("flow_logs_enabled",))
def network_flow_logs(resource: Resource, index: InventoryIndex) -> Outcome:
    enabled = resource.fact("flow_logs_enabled")
    if enabled:
        return passed("flow logs are on for the network", flow_logs_enabled=True)
    return failed("flow logs are off for the network", flow_logs_enabled=enabled)


@rule("ZT-NET-005", "network.load_balancer", facts=("listeners", "scheme"))
def no_plain_http_listeners(resource: Resource, index: InventoryIndex) -> Outcome:
    listeners = resource.fact("listeners")
    plain = [
        listener for listener in listeners
        if str(listener["protocol"]).upper() == "HTTP" and not listener["redirects_to_https"]
    ]
    scheme = resource.fact("scheme")
    if plain:
        ports = ", ".join(str(listener["port"]) for listener in plain)
        noun = "port" if len(plain) == 1 else "ports"
        return failed(
            f"{scheme} load balancer serves plain HTTP without a redirect to HTTPS on {noun} {ports}",
            plain_http_ports=[listener["port"] for listener in plain], scheme=scheme,
        )
    return passed(f"no plain HTTP listener among {len(listeners)} listeners", scheme=scheme)


@rule("ZT-NET-006", "database", facts=("publicly_accessible",))
def databases_not_public(resource: Resource, index: InventoryIndex) -> Outcome:
    if resource.fact("publicly_accessible"):
        return failed("database is reachable from the public internet", publicly_accessible=True)
    return passed("database is not publicly accessible", publicly_accessible=False)


@rule("ZT-NET-007", "network.subnet", facts=("flow_logs_enabled",))
def subnet_flow_logs(resource: Resource, index: InventoryIndex) -> Outcome:
    enabled = resource.fact("flow_logs_enabled")
    if enabled is None:
        return not_applicable("the platform has no per-subnet flow log setting")
    if enabled:
        return passed("flow logs are on for the subnet", flow_logs_enabled=True)
    return failed("flow logs are off for the subnet", flow_logs_enabled=False)


RULES = (
    no_internet_admin_ports,
    no_internet_database_ports,
    default_group_restricts_all,
    network_flow_logs,
    no_plain_http_listeners,
    databases_not_public,
    subnet_flow_logs,
)
