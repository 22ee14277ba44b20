"""Cloud KMS key rings and crypto keys.

Cloud KMS has no project-wide key listing: key rings are listed per location,
and there are more than 40 locations. Without ``--kms-locations`` ztscan lists
``global`` plus every region and multi-region where the other collectors found
resources of the project, because a key protects data near it. Keys in a
location with no other resource of the project are then missed;
``--kms-locations all`` lists every location Cloud KMS offers to the project.
"""

from __future__ import annotations

from typing import Any

from ztscan.model import GLOBAL

from ztscan_gcp.common import ProjectRun, message_to_dict

_STATES = {
    "ENABLED": "Enabled",
    "DISABLED": "Disabled",
    "DESTROYED": "Destroyed",
    "DESTROY_SCHEDULED": "PendingDeletion",
    "PENDING_GENERATION": "PendingGeneration",
    "PENDING_IMPORT": "PendingImport",
    "IMPORT_FAILED": "ImportFailed",
    "GENERATION_FAILED": "GenerationFailed",
}


def _seconds(duration: str | None) -> int | None:
    """Parse a JSON Duration such as ``7776000s``."""
    if not duration:
        return None
    return int(float(duration.rstrip("s")))


def crypto_key_facts(key: dict[str, Any]) -> dict[str, Any]:
    """Normalize one crypto key. Only symmetric encryption keys rotate automatically."""
    period = _seconds(key.get("rotationPeriod"))
    primary = key.get("primary") or {}
    template = key.get("versionTemplate") or {}
    # Keys backed by an external key manager cannot rotate their material in Cloud KMS.
    external = template.get("protectionLevel") in ("EXTERNAL", "EXTERNAL_VPC")
    state = _STATES.get(primary.get("state", ""), primary.get("state") or "NoPrimaryVersion")
    return {
        "managed_by": "customer",
        "rotation_supported": key.get("purpose") == "ENCRYPT_DECRYPT" and not external,
        "rotation_enabled": period is not None,
        "rotation_period_days": period // 86400 if period is not None else None,
        "state": state,
    }


def kms_locations(run: ProjectRun, requested: list[str] | None) -> list[str] | None:
    """Return the locations to list, or None when listing every location failed."""
    if requested and requested != ["all"]:
        return requested
    if requested == ["all"]:
        ok, locations = run.call(
            "cloudkms", "locations.list", "crypto.key",
            lambda: [location.location_id for location in run.apis.kms().list_locations(
                request={"name": f"projects/{run.project}"}, retry=run.apis.retry(), timeout=run.apis.timeout())])
        return sorted(locations or []) if ok else None
    return sorted({GLOBAL} | run.regions)


def collect(run: ProjectRun, requested: list[str] | None = None) -> None:
    """Collect the crypto keys of one project in the chosen locations."""
    locations = kms_locations(run, requested)
    if locations is None:
        return
    client = run.apis.kms()
    for location in locations:
        parent = f"projects/{run.project}/locations/{location}"
        _, rings = run.call(
            "cloudkms", "keyRings.list", "crypto.key",
            lambda: [ring.name for ring in client.list_key_rings(
                parent=parent, retry=run.apis.retry(), timeout=run.apis.timeout())],
            region=location)
        for ring in rings or ():
            _, keys = run.call(
                "cloudkms", "cryptoKeys.list", "crypto.key",
                lambda: [message_to_dict(key) for key in client.list_crypto_keys(
                    parent=ring, retry=run.apis.retry(), timeout=run.apis.timeout())],
                region=location)
            for key in keys or ():
                run.add("crypto.key", f"//cloudkms.googleapis.com/{key['name']}", key["name"].rsplit("/", 1)[-1],
                        location, crypto_key_facts(key))
