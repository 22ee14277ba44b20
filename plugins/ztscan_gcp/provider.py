"""The GCP provider: options, project selection and the collection of each project."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from ztscan.model import CollectionError, Inventory, Scope, ScopeRecord, ScopeState
from ztscan.provider import ApiOperation, CollectContext, ConfigurationError, split_list

from ztscan_gcp.common import PROVIDER, ProjectRun

log = logging.getLogger(__name__)

#: The resource kinds each collector produces, so that a crashed collector leaves ERROR on all of them.
COLLECTOR_KINDS = {
    "compute": ("compute.instance", "storage.volume"),
    "network": ("network", "network.subnet", "network.firewall"),
    "storage": ("storage.bucket",),
    "sql": ("database",),
    "iam": ("account", "identity.tenant_policy", "identity.user", "audit.trail", "identity.service_account"),
    "kms": ("crypto.key",),
}

_OPERATIONS = (
    ("compute", "projects.get", "compute.projects.get", "project-wide instance metadata (OS Login, serial port)"),
    ("compute", "instances.aggregatedList", "compute.instances.list", "instances in every zone"),
    ("compute", "disks.aggregatedList", "compute.disks.list", "persistent disks and their keys"),
    ("compute", "networks.list", "compute.networks.list", "VPC networks"),
    ("compute", "subnetworks.aggregatedList", "compute.subnetworks.list", "subnetworks and flow logs"),
    ("compute", "firewalls.list", "compute.firewalls.list", "VPC firewall rules"),
    ("storage", "buckets.list", "storage.buckets.list", "buckets and their settings"),
    ("storage", "buckets.getIamPolicy", "storage.buckets.getIamPolicy", "public bucket bindings"),
    ("sqladmin", "instances.list", "cloudsql.instances.list", "Cloud SQL instances"),
    ("iam", "serviceAccounts.list", "iam.serviceAccounts.list", "service accounts"),
    ("iam", "serviceAccounts.keys.list", "iam.serviceAccountKeys.list", "user-managed keys and their age"),
    ("cloudresourcemanager", "projects.getIamPolicy", "resourcemanager.projects.getIamPolicy",
     "primitive role grants and audit log configuration"),
    ("cloudresourcemanager", "projects.get", "resourcemanager.projects.get",
     "the parent folder or organization, for inherited audit log configuration"),
    ("cloudresourcemanager", "folders.get", "resourcemanager.folders.get", "parent folders of a project"),
    ("cloudresourcemanager", "folders.getIamPolicy", "resourcemanager.folders.getIamPolicy",
     "audit log configuration inherited from folders"),
    ("cloudresourcemanager", "organizations.getIamPolicy", "resourcemanager.organizations.getIamPolicy",
     "audit log configuration inherited from the organization"),
    ("cloudresourcemanager", "projects.list", "resourcemanager.projects.list",
     "projects under --organization or --folder"),
    ("cloudresourcemanager", "folders.list", "resourcemanager.folders.list",
     "folders under --organization or --folder"),
    ("cloudkms", "locations.list", "cloudkms.locations.list", "KMS locations with --kms-locations all"),
    ("cloudkms", "keyRings.list", "cloudkms.keyRings.list", "key rings per location"),
    ("cloudkms", "cryptoKeys.list", "cloudkms.cryptoKeys.list", "crypto keys and rotation periods"),
    ("iamcredentials", "serviceAccounts.generateAccessToken", "iam.serviceAccounts.getAccessToken",
     "a token of the service account named by --impersonate (only with that option)"),
)


#: Services whose operations obtain the scanner's own credentials rather than read the estate.
_CREDENTIAL_SERVICES = frozenset({"iamcredentials"})


class GcpProvider:
    """Collects Google Cloud projects with the google-cloud client libraries over REST."""

    name = "gcp"
    extra = "gcp"
    description = "Google Cloud: projects, or every project under an organization or folder"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("Google Cloud")
        group.add_argument("--projects", metavar="ID[,ID...]",
                           help="comma-separated project ids to scan")
        group.add_argument("--organization", metavar="ORG_ID",
                           help="scan every active project the credential can see under this organization")
        group.add_argument("--folder", metavar="FOLDER_ID",
                           help="scan every active project the credential can see under this folder")
        group.add_argument("--key-file", metavar="PATH",
                           help="service-account key file (default: application default credentials)")
        group.add_argument("--impersonate", metavar="SERVICE_ACCOUNT",
                           help="service account email to impersonate with the credential")
        group.add_argument("--endpoint", action="append", metavar="API=URL", default=[],
                           help="API endpoint override, repeatable, for example "
                           "compute=https://compute-myendpoint.p.googleapis.com (Private Service Connect)")
        group.add_argument("--kms-locations", metavar="LOCATION[,LOCATION...]",
                           help="Cloud KMS locations to list, or 'all' (default: global plus every region "
                           "where the project has resources)")

    def operations(self) -> list[ApiOperation]:
        return [ApiOperation(service, operation, permission, purpose, credential=service in _CREDENTIAL_SERVICES)
                for service, operation, permission, purpose in _OPERATIONS]

    def permission_policy(self) -> dict[str, Any]:
        """Return a GCP custom role with every permission a scan uses, for ``gcloud iam roles create --file``.

        ``iam.serviceAccounts.getAccessToken`` is left out: it mints tokens, so it is not a read.
        It is needed only with ``--impersonate``, by the caller on the one impersonated
        service account (roles/iam.serviceAccountTokenCreator there), never on the scanned projects.
        """
        return {
            "title": "ztscan reader",
            "description": "Read-only access for ztscan scans of Compute Engine, Cloud Storage, Cloud SQL, IAM, "
                           "Cloud KMS and Resource Manager settings",
            "stage": "GA",
            "includedPermissions": sorted({operation.permission for operation in self.operations()
                                           if not operation.credential}),
        }

    def collect(self, options: Mapping[str, Any], context: CollectContext) -> Inventory:
        from ztscan_gcp.clients import GcpApis, RetryPolicy
        from ztscan_gcp.credentials import build_credentials, parse_endpoints

        started = datetime.now(timezone.utc).isoformat()
        if not (split_list(options.get("projects")) or options.get("organization") or options.get("folder")):
            # Checked before the credential is built: application default credentials probe
            # the metadata server, which a usage mistake should not wait for.
            raise ConfigurationError("no GCP target given; pass --projects ID[,ID...], --organization ORG_ID "
                                     "or --folder FOLDER_ID")
        endpoints = parse_endpoints(options.get("endpoint"))
        credentials, source = build_credentials(options, endpoints)
        retry_policy = options.get("retry") or RetryPolicy()
        if isinstance(retry_policy, Mapping):
            retry_policy = RetryPolicy(**retry_policy)
        apis = GcpApis(credentials, endpoints, retry_policy, context)

        inventory = Inventory(started_at=started)
        projects = self._select_projects(options, apis, inventory)
        kms_locations = split_list(options.get("kms_locations")) or None
        workers = max(1, min(context.max_workers, len(projects) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ztscan-gcp") as pool:
            runs = list(pool.map(
                lambda project: self._collect_project(dataclasses.replace(apis, _session=None), project,
                                                      kms_locations, context),
                projects))
        for run in runs:
            inventory.resources.extend(run.resources)
            inventory.errors.extend(run.errors)
            inventory.scopes.append(ScopeRecord(Scope(PROVIDER, run.project), ScopeState.SCANNED))
        inventory.finished_at = datetime.now(timezone.utc).isoformat()
        inventory.metadata.update({"provider": PROVIDER, "credential": source, "projects": sorted(projects)})
        return inventory

    def _select_projects(self, options: Mapping[str, Any], apis: Any, inventory: Inventory) -> dict[str, str]:
        from ztscan_gcp.projects import discover

        projects = {project: project for project in split_list(options.get("projects"))}
        parents = []
        if options.get("organization"):
            parents.append(f"organizations/{str(options['organization']).removeprefix('organizations/')}")
        if options.get("folder"):
            parents.append(f"folders/{str(options['folder']).removeprefix('folders/')}")
        if not projects and not parents:
            raise ConfigurationError("no GCP target given; pass --projects ID[,ID...], --organization ORG_ID "
                                     "or --folder FOLDER_ID")
        for parent in parents:
            found = discover(apis, parent)
            for project, display_name in found.projects.items():
                projects.setdefault(project, display_name)
            inventory.errors.extend(found.errors)
            for scope in sorted({error.scope for error in found.errors}):
                inventory.scopes.append(ScopeRecord(scope, ScopeState.FAILED, "project discovery failed"))
        return projects

    def _collect_project(self, apis: Any, project: str, kms_locations: list[str] | None,
                         context: CollectContext) -> ProjectRun:
        from ztscan_gcp import compute, iam, kms, network, sql, storage

        run = ProjectRun(project, apis)
        started = time.monotonic()
        steps: list[tuple[str, Callable[[], None]]] = [
            ("compute", lambda: compute.collect(run)),
            # network runs after compute, which lists the instances attached to each network.
            ("network", lambda: network.collect(run)),
            ("storage", lambda: storage.collect(run)),
            ("sql", lambda: sql.collect(run)),
            ("iam", lambda: iam.collect(run)),
            # kms runs last: without --kms-locations it lists the regions the others found.
            ("kms", lambda: kms.collect(run, kms_locations)),
        ]
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # a collector bug must become ERROR findings, not a lost project
                if context.strict:
                    raise
                log.exception("GCP %s collector crashed in project %s", name, project)
                for kind in COLLECTOR_KINDS[name]:
                    run.errors.append(CollectionError(run.scope(), "ztscan", f"{name}.collect", "CollectorCrashed",
                                                      f"{type(exc).__name__}: {exc}", kind))
        log.debug("collected project %s: %d resources, %d errors in %.2f s", project, len(run.resources),
                  len(run.errors), time.monotonic() - started)
        return run
