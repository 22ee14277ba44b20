"""The google-auth credential a GCP scan uses.

In order of precedence: a credentials object passed in ``options["credentials"]``
(tests and embedding programs), a key file (``--key-file``), or application
default credentials. ``--impersonate`` then wraps that credential in a
short-lived token of the named service account. google-auth requests tokens
from the ``token_uri`` written in a service-account key file, so a key file for
a private token endpoint works unchanged.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from ztscan.provider import ConfigurationError

from ztscan_gcp.clients import DEFAULT_ENDPOINTS

log = logging.getLogger(__name__)

#: OAuth scope requested for every API. What the scan may read is decided by the IAM roles
#: of the identity (for example Viewer plus Security Reviewer), not by this scope.
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
#: Lifetime in seconds of an impersonated token. google-auth refreshes it when it expires.
IMPERSONATION_LIFETIME = 3600


def build_credentials(options: Mapping[str, Any], endpoints: Mapping[str, str]) -> tuple[Any, str]:
    """Return the credential to scan with and a short description of its source (never a secret)."""
    base, source = _base_credentials(options)
    target = options.get("impersonate")
    if not target:
        return base, source
    from google.auth import impersonated_credentials

    override = None
    if endpoints.get("iamcredentials"):
        override = (f"{endpoints['iamcredentials'].rstrip('/')}/v1/projects/-/serviceAccounts/"
                    f"{target}:generateAccessToken")
    credentials = impersonated_credentials.Credentials(
        source_credentials=base, target_principal=target, target_scopes=list(SCOPES),
        lifetime=IMPERSONATION_LIFETIME, iam_endpoint_override=override)
    return credentials, f"{source}, impersonating {target}"


def _base_credentials(options: Mapping[str, Any]) -> tuple[Any, str]:
    explicit = options.get("credentials")
    if explicit is not None:
        return explicit, f"credentials object {type(explicit).__name__}"
    import google.auth
    from google.auth import exceptions as auth_exceptions

    key_file = options.get("key_file")
    if key_file:
        return _key_file_credentials(str(key_file)), f"key file {key_file}"
    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except auth_exceptions.DefaultCredentialsError as exc:
        raise ConfigurationError(
            f"no Google credentials found: {_first_line(exc)}; run 'gcloud auth application-default login', "
            "set GOOGLE_APPLICATION_CREDENTIALS, or pass --key-file"
        ) from None
    return credentials, "application default credentials"


def _key_file_credentials(path: str) -> Any:
    """Load a service-account key file (or an authorized-user file) without printing or logging its content."""
    import json

    from google.auth import exceptions as auth_exceptions
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except OSError as exc:
        raise ConfigurationError(f"--key-file {path}: cannot read the file: {exc.strerror}") from None
    except ValueError:
        raise ConfigurationError(f"--key-file {path}: the file is not valid JSON; pass a key file "
                                 "downloaded from IAM > Service accounts > Keys") from None
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
        if kind == "authorized_user":
            return user_credentials.Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise ConfigurationError(f"--key-file {path}: invalid {kind} file: {_first_line(exc)}") from None
    raise ConfigurationError(
        f"--key-file {path}: unsupported credential type {kind!r}; pass a service_account key file, or set "
        "GOOGLE_APPLICATION_CREDENTIALS for workload identity federation configuration files")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_endpoints(values: Any) -> dict[str, str]:
    """Parse ``--endpoint API=URL`` values (a list of strings or a mapping) into a checked mapping.

    Plain ``http://`` is accepted only for a loopback host, because the credential's
    bearer token travels with every request.
    """
    from urllib.parse import urlsplit

    if not values:
        return {}
    pairs = values.items() if isinstance(values, Mapping) else (_split(value) for value in values)
    endpoints = {}
    for api, url in pairs:
        if api not in DEFAULT_ENDPOINTS:
            raise ConfigurationError(
                f"--endpoint {api}={url}: unknown API {api!r}; use one of {', '.join(sorted(DEFAULT_ENDPOINTS))}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"--endpoint {api}={url}: invalid URL; give it as https://HOST[:PORT]")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigurationError(
                f"--endpoint {api}={url}: plain http is allowed only for 127.0.0.1, localhost or ::1 "
                "because the access token would travel unencrypted; use https")
        endpoints[api] = url.rstrip("/")
    return endpoints


def _split(value: str) -> tuple[str, str]:
    api, separator, url = str(value).partition("=")
    if not separator or not api.strip() or not url.strip():
        raise ConfigurationError(f"--endpoint {value!r}: expected API=URL, for example compute=https://compute.p.googleapis.com")
    return api.strip().lower(), url.strip()
