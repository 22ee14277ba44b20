"""Detect secrets written inline in a tenants file, and name how to reference each one instead.

A key whose name is a secret's (``client_secret``, ``password``,
``aws_secret_access_key`` and others) is rejected whatever its value. A value
shaped like a key (an AWS access key id or secret key, a PEM private key, a
service-account key file, an Azure client secret) is rejected under any key.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Protocol


class ProblemSink(Protocol):
    """The collector of validation problems, such as ztscan.tenants.Problems."""

    def add(self, where: str, message: str) -> None: ...


AWS_HINT = ("AWS keys are never read from this file: give a named profile (profile), or a role to assume "
            "from the hub credentials (role_arn, external_id)")
AZURE_HINT = ("put the secret in an environment variable and give the variable's name as client_secret_env, "
              "or give a certificate file as certificate_path")
GCP_HINT = "give the path of the service-account key file as key_file, or a service account to impersonate"
GENERIC_HINT = "store it in an environment variable or a file and reference it by name or path"

#: Keys that would contain a secret inline, each with how to reference the secret instead.
SECRET_KEYS: dict[str, str] = {
    "aws_access_key_id": AWS_HINT, "aws_secret_access_key": AWS_HINT, "aws_session_token": AWS_HINT,
    "access_key_id": AWS_HINT, "secret_access_key": AWS_HINT, "session_token": AWS_HINT,
    "access_key": AWS_HINT, "secret_key": AWS_HINT,
    "client_secret": AZURE_HINT, "secret": AZURE_HINT, "password": AZURE_HINT, "passwd": AZURE_HINT,
    "certificate_password": AZURE_HINT, "client_certificate": AZURE_HINT,
    "private_key": GCP_HINT, "private_key_id": GCP_HINT, "credentials": GCP_HINT, "key_json": GCP_HINT,
    "token": GENERIC_HINT, "access_token": GENERIC_HINT, "refresh_token": GENERIC_HINT, "api_key": GENERIC_HINT,
}

#: Shapes of secret values: (pattern, what it looks like, how to reference it instead).
SECRET_VALUES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), "an AWS access key id", AWS_HINT),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a PEM private key", GCP_HINT),
    (re.compile(r"\"private_key\"\s*:"), "a service-account key file's content", GCP_HINT),
    (re.compile(r"^[A-Za-z0-9_.~-]{3}\dQ~[A-Za-z0-9_.~-]{30,}$"), "an Azure client secret", AZURE_HINT),
)
#: The shape of an AWS secret access key: 40 characters of base64 with upper and lower case and digits.
AWS_SECRET_SHAPE = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9/+]{40}$")
#: Fields whose values may legitimately be random strings, so only the unambiguous shapes apply to them.
RANDOM_VALUE_FIELDS = {"external_id"}


def find_inline_secrets(data: Any, path: str, where: str, problems: ProblemSink) -> None:
    """Report every secret-named key and every secret-shaped value, at any depth.

    At the top level, each tenant entry is searched under its own name, so the
    message names the tenant that contains the secret.
    """
    if path == "" and isinstance(data, Mapping) and isinstance(data.get("tenants"), list):
        find_inline_secrets({key: value for key, value in data.items() if key != "tenants"}, "-", where, problems)
        for index, entry in enumerate(data["tenants"]):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            label = f"tenant {name!r}" if isinstance(name, str) else f"tenant entry {index + 1}"
            find_inline_secrets(entry, "-", label, problems)
        return
    prefix = "" if path == "-" else path
    if isinstance(data, Mapping):
        for key, value in data.items():
            field_path = f"{prefix}.{key}" if prefix else str(key)
            if str(key).lower() in SECRET_KEYS:
                # No colon after the field name: the error output is redacted, and "client_secret: text"
                # is the shape of a leaked secret, so the explanation would be blanked out.
                problems.add(where, f"{field_path} is a secret field, and secrets must not be written in the "
                             f"tenants file; {SECRET_KEYS[str(key).lower()]}")
                continue
            find_inline_secrets(value, field_path, where, problems)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            find_inline_secrets(item, f"{prefix}[{index}]", where, problems)
    elif isinstance(data, str):
        _check_secret_value(data, prefix, where, problems)


def _check_secret_value(value: str, field_path: str, where: str, problems: ProblemSink) -> None:
    leaf = field_path.rsplit(".", 1)[-1]
    for pattern, shape, hint in SECRET_VALUES:
        if pattern.search(value):
            problems.add(where, f"{field_path}: the value looks like {shape}; secrets must not be written "
                         f"in the tenants file; {hint}")
            return
    if leaf not in RANDOM_VALUE_FIELDS and AWS_SECRET_SHAPE.match(value):
        problems.add(where, f"{field_path}: the value looks like an AWS secret access key; secrets must not be "
                     f"written in the tenants file; {AWS_HINT}")
