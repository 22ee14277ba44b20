"""Project discovery under an organization or folder through Resource Manager v3 over REST.

Resource Manager lists only the direct children of a parent, so discovery walks
the folder tree. Only ACTIVE projects are scanned. A parent that cannot be read
is recorded as a collection error in a scope named after it, so a partly
visible organization shows up as an incomplete scan rather than a smaller one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ztscan.model import CollectionError, Scope

from ztscan_gcp.clients import GcpApis
from ztscan_gcp.common import PROVIDER

log = logging.getLogger(__name__)

#: Upper bound on folder nesting, above the 10 levels Resource Manager allows.
MAX_FOLDER_DEPTH = 12


@dataclass
class Discovery:
    """The projects found, with their display names, and the parents that could not be listed."""

    projects: dict[str, str] = field(default_factory=dict)
    errors: list[CollectionError] = field(default_factory=list)


def discover(apis: GcpApis, parent: str) -> Discovery:
    """Find every ACTIVE project under ``parent`` (``organizations/123`` or ``folders/456``)."""
    found = Discovery()
    projects_client = apis.projects_client()
    folders_client = apis.folders_client()
    pending = [(parent, 0)]
    while pending:
        current, depth = pending.pop()
        scope = Scope(PROVIDER, current)
        _, projects = apis.call(
            found.errors, scope, "cloudresourcemanager", "projects.list", "account",
            lambda: list(projects_client.list_projects(parent=current, retry=apis.retry(), timeout=apis.timeout())))
        for project in projects or ():
            if project.state.name == "ACTIVE":
                found.projects[project.project_id] = project.display_name or project.project_id
        if depth >= MAX_FOLDER_DEPTH:
            log.warning("folder tree under %s is deeper than %d levels; not descending further", current, depth)
            continue
        _, folders = apis.call(
            found.errors, scope, "cloudresourcemanager", "folders.list", "account",
            lambda: list(folders_client.list_folders(parent=current, retry=apis.retry(), timeout=apis.timeout())))
        for folder in folders or ():
            if folder.state.name == "ACTIVE":
                pending.append((folder.name, depth + 1))
    log.debug("found %d projects under %s", len(found.projects), parent)
    return found
