"""Account setups shared by the collector tests and the end-to-end named cases."""

from __future__ import annotations

from typing import Any

from .hooks import ACCOUNT, request_parameters, response

PAGE_SIZE = 100
#: The GetBucketEncryption response AWS returns for a bucket with no explicit configuration (since January 2023).
SSE_S3_DEFAULT = {"ServerSideEncryptionConfiguration": {"Rules": [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}}


def add_paged_users(session: Any, count: int = 250) -> tuple[list[str], list[dict[str, Any]]]:
    """Create ``count`` users, all with MFA except the last, who has a console password and no MFA.

    moto returns every user in one ListUsers page, so ListUsers returns
    moto's users in pages of 100, as AWS pages them. Returns the user names and
    the list of ListUsers requests served.
    """
    import boto3
    from moto.iam.models import iam_backends

    # Bulk setup goes straight to moto's IAM backend: 750 API calls would dominate the test's time.
    backend = iam_backends[ACCOUNT]["aws"]
    names = [f"user-{i:03d}" for i in range(count)]
    for name in names:
        backend.create_user(session.region_name, name)
    for name in names[:-1]:
        backend.enable_mfa_device(name, f"arn:aws:iam::{ACCOUNT}:mfa/{name}", "123456", "654321")
    session.client("iam").create_login_profile(UserName=names[-1], Password="Secret-123-abc")
    all_users = boto3.Session(region_name=session.region_name).client("iam").list_users()["Users"]
    served: list[dict[str, Any]] = []

    def page(params: dict[str, Any], **_: Any):
        served.append(params)
        start = int(request_parameters(params).get("Marker") or 0)
        more = start + PAGE_SIZE < len(all_users)
        parsed = {"Users": all_users[start:start + PAGE_SIZE], "IsTruncated": more}
        if more:
            parsed["Marker"] = str(start + PAGE_SIZE)
        return response(200, parsed)

    session.events.register("before-call.iam.ListUsers", page)
    return names, served
