"""Project discovery under an organization or folder, through Resource Manager v3 over REST."""

from __future__ import annotations

import pytest

from ztscan.model import ScopeState
from ztscan.provider import ConfigurationError

from tests.plugins.gcp import builders as b
from tests.plugins.gcp.conftest import collect

ORG = "organizations/9001"


def _project(project_id: str, parent: str, state: str = "ACTIVE") -> dict:
    return {"name": f"projects/{abs(hash(project_id)) % 10**9}", "parent": parent, "projectId": project_id,
            "state": state, "displayName": project_id.replace("-", " ").title()}


def _folder(name: str, parent: str, state: str = "ACTIVE") -> dict:
    return {"name": name, "parent": parent, "displayName": name, "state": state}


def _install_tree(server) -> None:
    server.set_list("/v3/projects", [_project("clinic-prod", ORG), _project("old-lab", ORG, "DELETE_REQUESTED")],
                    field_name="projects", query={"parent": ORG})
    server.set_list("/v3/folders", [_folder("folders/1", ORG), _folder("folders/2", ORG)],
                    field_name="folders", query={"parent": ORG})
    server.set_list("/v3/projects", [_project("clinic-dev", "folders/1")], field_name="projects",
                    query={"parent": "folders/1"})
    server.set_list("/v3/folders", [_folder("folders/11", "folders/1")], field_name="folders",
                    query={"parent": "folders/1"})
    server.set_list("/v3/projects", [_project("billing", "folders/11")], field_name="projects",
                    query={"parent": "folders/11"})
    server.set_list("/v3/folders", [], field_name="folders", query={"parent": "folders/11"})
    server.set_list("/v3/projects", [], field_name="projects", query={"parent": "folders/2"})
    server.set_list("/v3/folders", [], field_name="folders", query={"parent": "folders/2"})
    for project in ("clinic-prod", "clinic-dev", "billing"):
        b.ProjectLayout(project).install(server)


def test_organization_walks_folders(server):
    _install_tree(server)
    inventory = collect(server, projects=None, organization="9001")
    assert inventory.metadata["projects"] == ["billing", "clinic-dev", "clinic-prod"]
    assert {record.scope.account for record in inventory.scopes} == {"billing", "clinic-dev", "clinic-prod"}


def test_folder_scope(server):
    _install_tree(server)
    inventory = collect(server, projects=None, folder="folders/1")
    assert inventory.metadata["projects"] == ["billing", "clinic-dev"]


def test_denied_folder_is_failed_scope(server):
    _install_tree(server)
    server.fail("/v3/projects?parent=folders%2F11", 403)
    inventory = collect(server, projects=None, organization="9001")
    assert inventory.metadata["projects"] == ["clinic-dev", "clinic-prod"]
    failed = [record for record in inventory.scopes if record.state is ScopeState.FAILED]
    assert [record.scope.account for record in failed] == ["folders/11"]
    assert any(e.scope.account == "folders/11" and e.kind == "account" for e in inventory.errors)


def test_no_target_is_configuration_error(server):
    with pytest.raises(ConfigurationError, match="--projects"):
        collect(server, projects=None)
