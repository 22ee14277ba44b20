"""The technology asset inventory: rows, owner, encryption state, exposure, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ztscan.assets import COLUMNS, assets_csv, assets_json, build_assets
from ztscan.model import Inventory

from .evidence_inventory import (
    ACCOUNT, DATABASE, PRIVATE_BUCKET, PUBLIC_DATABASE, UNKNOWN_INSTANCE, VOLUME, WEB, WORKER, clinic_inventory,
    resource,
)


@pytest.fixture(scope="module")
def assets():
    return {asset.id: asset for asset in build_assets(clinic_inventory())}


def test_settings_left_out(assets):
    assert "password-policy" not in assets


def test_every_other_resource_listed(assets):
    expected = {item.id for item in clinic_inventory().resources if item.kind != "identity.password_policy"}
    assert set(assets) == expected


def test_scope_columns(assets):
    assert assets[WEB].provider == "aws"
    assert assets[WEB].account == ACCOUNT
    assert assets[WEB].region == "us-east-1"
    assert assets[WEB].kind == "compute.instance"


def test_owner_from_tags(assets):
    assert assets[WEB].owner == "platform-team"
    assert assets[PRIVATE_BUCKET].owner == "radiology"
    assert assets[WORKER].owner == ""


ENCRYPTION = {
    "volume-plain": (VOLUME, "not encrypted"),
    "bucket-customer-key": (PRIVATE_BUCKET, "encrypted (customer key)"),
    "database-encrypted": (DATABASE, "encrypted"),
    "database-plain": (PUBLIC_DATABASE, "not encrypted"),
    "instance-from-volumes": (WEB, "not encrypted (1 of 1 volumes)"),
    "instance-without-volumes": (WORKER, "unknown"),
}


@pytest.mark.parametrize("resource_id,expected", ENCRYPTION.values(), ids=ENCRYPTION.keys())
def test_encryption_state(assets, resource_id: str, expected: str):
    assert assets[resource_id].encryption == expected


def test_missing_encryption_fact_unknown():
    inventory = Inventory(resources=[resource("storage.volume", "v", attached_to=[])])
    assert build_assets(inventory)[0].encryption == "unknown"


def test_exposure_columns(assets):
    assert assets[WEB].exposure == "internet"
    assert "tcp 443" in assets[WEB].exposure_details
    assert assets[UNKNOWN_INSTANCE].exposure == "unknown"
    assert assets[VOLUME].exposure == "not applicable"


def test_ephi_column(assets):
    assert assets[WEB].ephi is True
    assert assets[WORKER].ephi is False


def test_custom_ephi_tag():
    inventory = clinic_inventory()
    inventory.resources[0].tags["phi-data"] = "1"
    marked = {asset.id for asset in build_assets(inventory, ephi_tag="phi-data") if asset.ephi}
    assert marked == {inventory.resources[0].id}


def test_csv_header_and_rows(assets):
    rows = list(csv.DictReader(io.StringIO(assets_csv(list(assets.values())))))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(assets)
    web = next(row for row in rows if row["id"] == WEB)
    assert web["ephi"] == "yes"
    assert web["tags"] == "Owner=platform-team; ePHI=yes"


def test_csv_neutralizes_formulas():
    inventory = Inventory(resources=[resource("storage.bucket", "b", "=HYPERLINK(\"x\")", encrypted=True)])
    row = next(csv.DictReader(io.StringIO(assets_csv(build_assets(inventory)))))
    assert row["name"].startswith("'=")


def test_json_document(assets):
    document = json.loads(assets_json(list(assets.values()), "ephi", {"provider": "aws"}))
    assert document["ephi_tag"] == "ephi"
    assert document["provider"] == "aws"
    assert document["count"] == len(assets)
    assert set(document["assets"][0]) == set(COLUMNS)
