"""Synthetic inventories for the engine benchmark: a realistic mix of kinds with facts the rules read.

Resources come in blocks of 1,000 that each form one AWS-shaped account spread
over four regions. About one resource in five fails a rule. About one resource
in a thousand misses one fact and carries a per-resource collection error, so
the ERROR path runs. Every age-based fact is relative to :data:`EVALUATED_AT`,
so the verdicts do not depend on the day the benchmark runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from ztscan.kinds import KINDS
from ztscan.model import GLOBAL, CollectionError, Inventory, Resource, Scope

#: The evaluation time the benchmark pins with ztscan.rules.clock.frozen.
EVALUATED_AT = datetime(2026, 6, 1, tzinfo=timezone.utc)

BLOCK_SIZE = 1000
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")

#: Resources per 1,000-resource account, by kind. The account-wide kinds come on top, then
#: storage.volume fills the block up to BLOCK_SIZE.
REGIONAL_MIX = {
    "identity.user": 100,
    "identity.service_account": 10,
    "network": 8,
    "network.subnet": 40,
    "network.firewall": 120,
    "network.load_balancer": 15,
    "compute.instance": 250,
    "storage.bucket": 80,
    "database": 30,
    "crypto.key": 40,
    "audit.trail": 2,
    "storage.encryption_default": len(REGIONS),
    "network.public_ip": 5,
    "crypto.vault": 2,
    "backup.plan": 2,
}
ACCOUNT_KINDS = ("account", "identity.root", "identity.password_policy", "identity.tenant_policy")

#: Share of resources that get a failing value in a fact a rule reads.
FAIL_RATE = 0.2
#: Share of resources whose facts miss one entry, explained by a per-resource collection error.
MISSING_RATE = 0.001


def _iso(days_ago: float) -> str:
    return (EVALUATED_AT - timedelta(days=days_ago)).isoformat()


def _firewall_rule(name: str, port: int, source: str) -> dict[str, Any]:
    return {
        "direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[port, port]],
        "sources": [source], "source_refs": [], "priority": None, "enabled": True,
        "builtin": False, "targets": None, "name": name,
    }


def _user(rng: random.Random, bad: bool) -> dict[str, Any]:
    console = rng.random() < 0.7
    password_last_used = None
    if console:
        password_last_used = _iso(150 if bad else 3)
    keys = [{
        "id": f"AKIA{rng.randrange(10**12):012d}", "active": True,
        "created": _iso(200 if bad else 30), "last_used": _iso(120 if bad else 2),
    } for _ in range(rng.randint(0, 2))]
    return {
        "console_access": console, "mfa_enabled": not bad,
        "password_last_used": password_last_used,
        "password_last_changed": _iso(60), "created": _iso(400),
        "access_keys": keys, "admin_rights": bad, "admin_via_direct_policy": bad,
        "admin_policies": ["AdministratorAccess"] if bad else [],
    }


def _firewall(rng: random.Random, bad: bool) -> dict[str, Any]:
    rules = [_firewall_rule(f"rule-{i}", rng.choice((443, 8443, 80)), "10.0.0.0/8") for i in range(rng.randint(2, 5))]
    if bad:
        rules.append(_firewall_rule("open", rng.choice((22, 3389, 5432)), "0.0.0.0/0"))
    return {"rules": rules, "is_default_group": rng.random() < 0.1, "network_id": "vpc-1", "attached_to": []}


def _bucket(rng: random.Random, bad: bool) -> dict[str, Any]:
    return {
        "encrypted": True, "encryption": "SSE-S3", "key_type": "provider", "tls_enforced": not bad,
        "min_tls_version": None, "public_access_blocked": not bad, "public": bad if rng.random() < 0.5 else None,
        "versioning": not bad, "access_logging": rng.random() < 0.5, "network_default_deny": None,
        "uniform_access": None,
    }


def _database(rng: random.Random, bad: bool) -> dict[str, Any]:
    return {
        "engine": rng.choice(("postgres", "mysql", "aurora-postgresql")), "storage_encrypted": not bad,
        "publicly_accessible": bad, "backup_retention_days": 1 if bad else 14, "cluster_id": None,
        "tls_required": None, "min_tls_version": "1.0" if bad else "1.2", "auditing_enabled": None,
    }


_FACTS: dict[str, Callable[[random.Random, bool], dict[str, Any]]] = {
    "account": lambda rng, bad: {"display_name": "benchmark", "public_grants": []},
    "identity.root": lambda rng, bad: {"mfa_enabled": not bad, "hardware_mfa": None, "access_keys_present": bad},
    "identity.password_policy": lambda rng, bad: {
        "present": True, "min_length": 8 if bad else 14, "require_uppercase": True, "require_lowercase": True,
        "require_numbers": True, "require_symbols": True, "max_age_days": 90, "reuse_prevention": 24},
    "identity.tenant_policy": lambda rng, bad: {
        "mfa_required_all_users": not bad, "mfa_required_admins": True, "mfa_assessable": True,
        "mfa_reason": "", "security_defaults": None},
    "identity.user": _user,
    "identity.service_account": lambda rng, bad: {
        "user_managed_keys": [{"id": "k1", "created": _iso(200 if bad else 10), "expires": None}],
        "admin_rights": bad, "disabled": False},
    "network": lambda rng, bad: {"is_default": rng.random() < 0.25, "flow_logs_enabled": not bad,
                                 "cidrs": ["10.0.0.0/16"], "peerings": []},
    "network.subnet": lambda rng, bad: {"network_id": "vpc-1", "cidr": "10.0.1.0/24", "flow_logs_enabled": None,
                                        "private_google_access": None, "public": bad},
    "network.firewall": _firewall,
    "network.load_balancer": lambda rng, bad: {
        "scheme": "internet-facing",
        "listeners": [{"port": 443, "protocol": "HTTPS", "redirects_to_https": False},
                      {"port": 80, "protocol": "HTTP", "redirects_to_https": not bad}]},
    "compute.instance": lambda rng, bad: {
        "public_ips": ["203.0.113.7"] if bad else [], "metadata_token_required": not bad,
        "firewall_ids": ["sg-1"], "network_id": "vpc-1", "os_login": None, "serial_port_enabled": None,
        "shielded_vm": None, "default_service_account_full_scope": None, "encryption_at_host": None},
    "storage.volume": lambda rng, bad: {"encrypted": not bad, "key_type": None if bad else "provider",
                                        "attached_to": ["i-1"]},
    "storage.encryption_default": lambda rng, bad: {"enabled": not bad},
    "storage.bucket": _bucket,
    "database": _database,
    "crypto.key": lambda rng, bad: {
        "managed_by": rng.choice(("customer", "customer", "provider")), "rotation_supported": True,
        "rotation_enabled": not bad, "rotation_period_days": 365, "state": "Enabled"},
    "network.public_ip": lambda rng, bad: {"address": "198.51.100.4", "attached_to": None if bad else "i-1"},
    "crypto.vault": lambda rng, bad: {"soft_delete": True, "purge_protection": not bad},
    "backup.plan": lambda rng, bad: {"resources": ["db-1"], "retention_days": 3 if bad else 35},
    "audit.trail": lambda rng, bad: {"multi_region": True, "logging": not bad, "log_validation": True,
                                     "management_events": True, "data_access_events": bad},
}


def _block_plan() -> list[tuple[str, str]]:
    """Return (kind, region) pairs for one account block of BLOCK_SIZE resources."""
    plan = [(kind, GLOBAL) for kind in ACCOUNT_KINDS]
    for kind, count in REGIONAL_MIX.items():
        global_kind = kind.startswith("identity.") or kind == "storage.bucket"
        plan += [(kind, GLOBAL if global_kind else REGIONS[i % len(REGIONS)]) for i in range(count)]
    plan += [("storage.volume", REGIONS[i % len(REGIONS)]) for i in range(BLOCK_SIZE - len(plan))]
    return plan


def build_inventory(size: int, seed: int = 7) -> Inventory:
    """Build an inventory of ``size`` resources (a multiple of BLOCK_SIZE) in size/BLOCK_SIZE accounts."""
    if size % BLOCK_SIZE:
        raise ValueError(f"size {size} is not a multiple of {BLOCK_SIZE}")
    rng = random.Random(seed)
    plan = _block_plan()
    inventory = Inventory(started_at=EVALUATED_AT.isoformat(), finished_at=EVALUATED_AT.isoformat())
    for block in range(size // BLOCK_SIZE):
        account = f"{100000000000 + block}"
        for number, (kind, region) in enumerate(plan):
            scope = Scope("aws", account, region)
            facts = _FACTS[kind](rng, rng.random() < FAIL_RATE)
            resource_id = f"arn:aws:{kind}:{region}:{account}:r{number}"
            if rng.random() < MISSING_RATE and facts:
                missing = rng.choice(sorted(facts))
                del facts[missing]
                inventory.errors.append(CollectionError(
                    scope, "synthetic", "Describe", "AccessDenied", "not authorized", kind,
                    facts=(missing,), resource_id=resource_id))
            inventory.add(Resource(kind, resource_id, scope, name=f"r{number}", facts=facts))
    return inventory


def check_mix_covers_kinds() -> list[str]:
    """Return the declared kinds the synthetic mix does not produce (reported by the benchmark)."""
    produced = set(_FACTS)
    return sorted(set(KINDS) - produced)
