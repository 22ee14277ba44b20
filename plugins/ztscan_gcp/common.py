"""State shared by the collectors of one project, and helpers for GCP names and messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from ztscan.model import GLOBAL, CollectionError, Resource, Scope

from ztscan_gcp.clients import GcpApis

PROVIDER = "gcp"

T = TypeVar("T")


@dataclass
class ProjectRun:
    """The collection of one project: its API access, the resources found and the errors met."""

    project: str
    apis: GcpApis
    resources: list[Resource] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    #: Regions and multi-regions where the project has resources, for the KMS location choice.
    regions: set[str] = field(default_factory=set)
    #: Instances as REST dicts, once listed (None when the listing failed or did not run).
    instances: list[dict[str, Any]] | None = None
    #: The project IAM policy as a REST dict, once read (None when the call failed or did not run).
    iam_policy: dict[str, Any] | None = None

    def scope(self, region: str = GLOBAL) -> Scope:
        return Scope(PROVIDER, self.project, region or GLOBAL)

    def add(self, kind: str, resource_id: str, name: str, region: str, facts: dict[str, Any]) -> Resource:
        resource = Resource(kind=kind, id=resource_id, scope=self.scope(region), name=name, facts=facts)
        self.resources.append(resource)
        if region and region != GLOBAL:
            self.regions.add(region)
        return resource

    def call(self, service: str, operation: str, kind: str, produce: Callable[[], T],
             facts: tuple[str, ...] = (), resource_id: str | None = None,
             region: str = GLOBAL) -> tuple[bool, T | None]:
        """Make one API call, recording a failure in this project's errors (see GcpApis.call)."""
        return self.apis.call(self.errors, self.scope(region), service, operation, kind, produce,
                              facts, resource_id)

    def missing(self, kind: str, facts: tuple[str, ...], service: str, operation: str,
                message: str, resource_id: str | None = None, region: str = GLOBAL,
                code: str = "DependencyFailed") -> None:
        """Record that ``facts`` of ``kind`` are missing, because an earlier call failed or no API exposes them."""
        self.errors.append(CollectionError(self.scope(region), service, operation, code,
                                           message, kind, facts, resource_id))


def message_to_dict(message: Any) -> dict[str, Any]:
    """Convert a proto-plus message to the camelCase dict of the REST API's JSON."""
    return type(message).to_dict(message, use_integers_for_enums=False, preserving_proto_field_name=False,
                                 always_print_fields_with_no_presence=False)


def last_segment(url: str | None) -> str:
    """Return the last path segment of a self link or resource name (``zones/us-east1-b`` -> ``us-east1-b``)."""
    return (url or "").rstrip("/").rsplit("/", 1)[-1]


def relative_name(url: str | None) -> str:
    """Return ``projects/...`` of a self link, so that links from different endpoints compare equal."""
    text = url or ""
    index = text.find("projects/")
    return text[index:] if index >= 0 else text


def zone_region(zone: str | None) -> str:
    """Return the region of a zone name or URL (``us-central1-a`` -> ``us-central1``)."""
    name = last_segment(zone)
    return name.rsplit("-", 1)[0] if name.count("-") >= 2 else name


def location_region(item: dict[str, Any]) -> str:
    """Return the region of a zonal or regional Compute Engine resource."""
    if item.get("zone"):
        return zone_region(item["zone"])
    if item.get("region"):
        return last_segment(item["region"])
    return GLOBAL


def metadata_value(metadata: dict[str, Any] | None, key: str) -> str | None:
    """Return the value of ``key`` in a Compute Engine metadata object, or None when absent."""
    for item in (metadata or {}).get("items", ()) or ():
        if item.get("key") == key:
            return str(item.get("value", ""))
    return None


def metadata_flag(value: str | None) -> bool | None:
    """Interpret a metadata switch such as ``enable-oslogin``, or return None when the key is absent."""
    if value is None:
        return None
    return value.strip().lower() in ("true", "1", "yes", "y", "on")
