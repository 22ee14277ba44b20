"""IAM collection: credential report facts, per-user fallbacks, administrator rights, paging."""

from __future__ import annotations

import json

import pytest

from ztscan_aws.iam import collect_password_policy, collect_users_and_root

from .accounts import add_paged_users
from .hooks import CallRecorder, by_name, collect_with, inject

ADMIN_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
READ_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})


def _collect(session):
    return collect_with(session, collect_users_and_root, region="global")


def _users(inventory):
    return by_name(inventory, "identity.user")


def test_keys_without_password(session):
    iam = session.client("iam")
    iam.create_user(UserName="etl")
    iam.create_access_key(UserName="etl")

    inventory = _collect(session)
    user = _users(inventory)["etl"]

    assert user.facts["console_access"] is False
    assert user.facts["mfa_enabled"] is False
    assert len(user.facts["access_keys"]) == 1
    assert user.facts["access_keys"][0]["active"] is True
    assert user.facts["access_keys"][0]["last_used"] is None
    assert inventory.errors == []


def test_console_user_from_report(session):
    iam = session.client("iam")
    iam.create_user(UserName="nurse")
    iam.create_login_profile(UserName="nurse", Password="Secret-123-abc")

    user = _users(_collect(session))["nurse"]

    assert user.facts["console_access"] is True
    assert user.facts["password_last_changed"] is not None


def test_login_profile_error_not_no_password(session):
    iam = session.client("iam")
    iam.create_user(UserName="doctor")
    iam.create_user(UserName="clerk")
    inject(session, "iam", "GenerateCredentialReport", code="AccessDenied")
    inject(session, "iam", "GetLoginProfile", code="AccessDenied",
           when=lambda params: params.get("UserName") == "doctor")

    inventory = _collect(session)
    users = _users(inventory)

    assert "console_access" not in users["doctor"].facts
    assert users["clerk"].facts["console_access"] is False  # NoSuchEntity from moto: no password
    errors = [e for e in inventory.errors if e.operation == "GetLoginProfile"]
    assert len(errors) == 1
    assert errors[0].code == "AccessDenied"
    assert errors[0].resource_id == users["doctor"].id
    assert "console_access" in errors[0].facts
    assert errors[0].kind == "identity.user"


def test_fallback_reads_mfa_and_keys(session):
    iam = session.client("iam")
    iam.create_user(UserName="admin")
    iam.create_login_profile(UserName="admin", Password="Secret-123-abc")
    key = iam.create_access_key(UserName="admin")["AccessKey"]["AccessKeyId"]
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="admin")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="admin", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    inject(session, "iam", "GetCredentialReport", code="ReportNotPresent", status=410)

    user = _users(_collect(session))["admin"]

    assert user.facts["console_access"] is True
    assert user.facts["mfa_enabled"] is True
    assert [k["id"] for k in user.facts["access_keys"]] == [key]


@pytest.fixture
def admin_policy_account(session):
    iam = session.client("iam")
    admin_arn = iam.create_policy(PolicyName="FullAdmin", PolicyDocument=ADMIN_DOCUMENT)["Policy"]["Arn"]
    read_arn = iam.create_policy(PolicyName="ReadOnly", PolicyDocument=READ_DOCUMENT)["Policy"]["Arn"]
    for name in ("via-policy", "via-inline", "reader"):
        iam.create_user(UserName=name)
    iam.attach_user_policy(UserName="via-policy", PolicyArn=admin_arn)
    iam.attach_user_policy(UserName="via-inline", PolicyArn=admin_arn)
    iam.put_user_policy(UserName="via-inline", PolicyName="inline-admin", PolicyDocument=ADMIN_DOCUMENT)
    iam.attach_user_policy(UserName="reader", PolicyArn=read_arn)
    iam.create_group(GroupName="ops")
    iam.attach_group_policy(GroupName="ops", PolicyArn=read_arn)
    iam.put_group_policy(GroupName="ops", PolicyName="ops-admin", PolicyDocument=ADMIN_DOCUMENT)
    iam.create_user(UserName="via-group")
    iam.add_user_to_group(GroupName="ops", UserName="via-group")
    return session


@pytest.mark.parametrize("path", ["authorization-details", "listing-calls"])
def test_admin_rights_computed(admin_policy_account, path):
    session = admin_policy_account
    if path == "listing-calls":
        inject(session, "iam", "GetAccountAuthorizationDetails", code="AccessDenied")

    users = _users(_collect(session))

    assert users["via-policy"].facts["admin_rights"] is True
    assert users["via-policy"].facts["admin_via_direct_policy"] is True
    assert users["via-policy"].facts["admin_policies"] == ["FullAdmin"]
    assert users["via-group"].facts["admin_rights"] is True
    assert users["via-group"].facts["admin_via_direct_policy"] is False
    assert users["reader"].facts["admin_rights"] is False
    assert users["reader"].facts["admin_via_direct_policy"] is False


def test_policy_version_denied(admin_policy_account):
    session = admin_policy_account
    inject(session, "iam", "GetAccountAuthorizationDetails", code="AccessDenied")
    inject(session, "iam", "GetPolicyVersion", code="AccessDenied")

    inventory = _collect(session)
    users = _users(inventory)

    assert "admin_rights" not in users["via-policy"].facts
    assert "admin_via_direct_policy" not in users["via-policy"].facts
    # The inline '*' on '*' policy proves the rights even though FullAdmin is unreadable.
    assert users["via-inline"].facts["admin_rights"] is True
    assert users["via-inline"].facts["admin_via_direct_policy"] is True
    assert users["via-inline"].facts["admin_policies"] == ["inline-admin"]
    assert "admin_policies" not in users["via-policy"].facts
    errors = [e for e in inventory.errors if e.operation == "GetPolicyVersion" and e.resource_id == users["via-policy"].id]
    assert len(errors) == 1
    assert errors[0].code == "AccessDenied"
    assert "admin_rights" in errors[0].facts


def test_250_users_from_details(session):
    names, served = add_paged_users(session)
    recorder = CallRecorder(session)

    users = _users(_collect(session))

    assert served == []
    assert recorder.count("iam", "GetAccountAuthorizationDetails") == 1
    assert len(users) == 250
    assert users[names[-1]].facts["console_access"] is True


def test_250_users_three_pages(session):
    names, served = add_paged_users(session)
    inject(session, "iam", "GetAccountAuthorizationDetails", code="AccessDenied")

    users = _users(_collect(session))

    assert len(served) == 3
    assert len(users) == 250
    assert users[names[-1]].facts["mfa_enabled"] is False
    assert users[names[-1]].facts["console_access"] is True
    assert all(users[name].facts["mfa_enabled"] for name in names[:-1])


def test_root_from_report_row(session):
    """AWS includes a <root_account> row, which moto leaves out."""
    iam = session.client("iam")
    iam.create_user(UserName="someone")
    header = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
              "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
              "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
              "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
              "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
              "cert_1_last_rotated,cert_2_active,cert_2_last_rotated")
    root = ("<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
            "2026-11-01T00:00:00+00:00,not_supported,not_supported,true,true,2021-01-01T00:00:00+00:00,"
            "N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
    inject(session, "iam", "GetCredentialReport",
           parsed={"Content": f"{header}\n{root}\n".encode(), "ReportFormat": "text/csv"})

    inventory = _collect(session)
    root_user = next(r for r in inventory.resources if r.kind == "identity.root")

    assert root_user.facts["mfa_enabled"] is True
    assert root_user.facts["access_keys_present"] is True
    assert root_user.facts["hardware_mfa"] is True  # no virtual MFA device is assigned to root
    # The user missing from the report gets its facts from per-user calls.
    assert _users(inventory)["someone"].facts["console_access"] is False


def test_password_policy_absent(session):
    inventory = collect_with(session, collect_password_policy, region="global")
    policy = next(r for r in inventory.resources if r.kind == "identity.password_policy")
    assert policy.facts["present"] is False
    assert policy.facts["min_length"] is None
