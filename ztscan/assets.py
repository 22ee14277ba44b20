"""The technology asset inventory: one row per asset, with owner, encryption state and internet exposure.

The HHS proposed rule of January 2025 (proposed 45 CFR 164.308(a)(1)) would require
every regulated entity to keep a written inventory of the technology assets that create,
receive, maintain or transmit ePHI. This module builds the cloud part of that
inventory from a collected :class:`ztscan.model.Inventory`. Assets outside the
cloud (laptops, medical devices, software licences) must be added by hand.

A fact that was not collected is shown as ``unknown``, never as a verdict.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from typing import Any

from ztscan.model import Inventory, Resource
from ztscan.netmap import DEFAULT_EPHI_TAG, NOT_APPLICABLE, UNKNOWN, exposures, is_ephi

#: Kinds that are account settings rather than assets, left out of the inventory.
SETTING_KINDS = frozenset({"identity.password_policy", "identity.tenant_policy", "storage.encryption_default"})
#: Tag names that name an owner, in order of preference (compared case-insensitively).
OWNER_TAGS = ("owner", "owner-email", "owner_email", "ownedby", "team", "contact", "created-by", "createdby")

COLUMNS = ("id", "kind", "provider", "account", "region", "name", "owner", "ephi", "encryption", "exposure",
           "exposure_details", "tags")


@dataclass(frozen=True)
class Asset:
    """One row of the asset inventory."""

    id: str
    kind: str
    provider: str
    account: str
    region: str
    name: str
    owner: str
    ephi: bool
    #: "encrypted", "encrypted (customer key)", "not encrypted", "unknown", "not applicable".
    encryption: str
    #: "internet", "internal", "unknown" or "not applicable".
    exposure: str
    exposure_details: str
    tags: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def owner_of(resource: Resource) -> str:
    """Return the value of the first owner tag of ``resource``, or an empty string."""
    lowered = {name.lower(): value for name, value in resource.tags.items()}
    for name in OWNER_TAGS:
        if lowered.get(name):
            return lowered[name]
    return ""


def _with_key(state: str, key_type: Any) -> str:
    return f"{state} (customer key)" if key_type == "customer" else state


def encryption_state(resource: Resource, volumes_by_instance: dict[str, list[Resource]]) -> str:
    """Describe whether ``resource`` is encrypted at rest; ``unknown`` when the fact was not collected."""
    facts = resource.facts
    if resource.kind in ("storage.volume", "storage.bucket"):
        if "encrypted" not in facts:
            return UNKNOWN
        return _with_key("encrypted", facts.get("key_type")) if facts["encrypted"] else "not encrypted"
    if resource.kind == "database":
        if "storage_encrypted" not in facts:
            return UNKNOWN
        return "encrypted" if facts["storage_encrypted"] else "not encrypted"
    if resource.kind == "compute.instance":
        return _instance_encryption(volumes_by_instance.get(resource.id, []))
    return NOT_APPLICABLE


def _instance_encryption(volumes: list[Resource]) -> str:
    """Describe an instance's encryption from its attached volumes: ``unknown`` when none was collected."""
    if not volumes:
        return UNKNOWN
    states = [volume.facts.get("encrypted") for volume in volumes]
    if any(state is None for state in states):
        return UNKNOWN
    plain = sum(1 for state in states if not state)
    if plain:
        return f"not encrypted ({plain} of {len(states)} volumes)"
    return f"encrypted (all {len(states)} volumes)"


def build_assets(inventory: Inventory, ephi_tag: str = DEFAULT_EPHI_TAG) -> list[Asset]:
    """Return the asset inventory of ``inventory``, sorted by provider, account, region, kind and id."""
    volumes_by_instance: dict[str, list[Resource]] = {}
    for volume in inventory.of_kind("storage.volume"):
        for instance_id in volume.facts.get("attached_to") or []:
            volumes_by_instance.setdefault(instance_id, []).append(volume)
    exposure_by_id = exposures(inventory)
    assets = []
    for resource in inventory.resources:
        if resource.kind in SETTING_KINDS:
            continue
        exposure = exposure_by_id.get(resource.id)
        assets.append(Asset(
            id=resource.id,
            kind=resource.kind,
            provider=resource.scope.provider,
            account=resource.scope.account,
            region=resource.scope.region,
            name=resource.name,
            owner=owner_of(resource),
            ephi=is_ephi(resource, ephi_tag),
            encryption=encryption_state(resource, volumes_by_instance),
            exposure=exposure.state if exposure else NOT_APPLICABLE,
            exposure_details="; ".join(exposure.details) if exposure else "",
            tags=dict(sorted(resource.tags.items())),
        ))
    return sorted(assets, key=lambda asset: (asset.provider, asset.account, asset.region, asset.kind, asset.id))


def _csv_safe(value: str) -> str:
    """Prefix values that a spreadsheet would run as a formula, because tags and names come from the cloud."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def assets_csv(assets: list[Asset]) -> str:
    """Return the inventory as CSV with a header row; tags are written as ``name=value`` pairs joined by ``; ``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for asset in assets:
        row = asset.to_dict()
        row["ephi"] = "yes" if asset.ephi else "no"
        row["tags"] = "; ".join(f"{name}={value}" for name, value in asset.tags.items())
        writer.writerow([_csv_safe(str(row[column])) for column in COLUMNS])
    return buffer.getvalue()


def assets_json(assets: list[Asset], ephi_tag: str, metadata: dict[str, Any] | None = None) -> str:
    """Return the inventory as a JSON document with the ePHI tag used and the collection facts."""
    document = {
        "ephi_tag": ephi_tag,
        **(metadata or {}),
        "count": len(assets),
        "assets": [asset.to_dict() for asset in assets],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
