"""Build the azure-identity credential that every ARM and Graph call of a scan uses."""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping

from ztscan.provider import ConfigurationError

from ztscan_azure.clouds import CLOUDS, AzureCloud

log = logging.getLogger(__name__)

KNOWN_AUTHORITY_HOSTS = frozenset(cloud.authority_host for cloud in CLOUDS.values())


def build_credential(options: Mapping[str, Any], cloud: AzureCloud, connection_verify: Any) -> tuple[Any, str]:
    """Return ``(credential, source)`` where ``source`` names the kind of credential for the inventory metadata.

    Order: a credential object passed in ``options["credential"]`` (any object
    with ``get_token``), a certificate, a client secret read from the
    environment variable named by ``--client-secret-env``, and otherwise
    ``DefaultAzureCredential``. The secret itself is never an option, so it
    does not appear in shell history or process listings.
    """
    prebuilt = options.get("credential")
    if prebuilt is not None:
        if not callable(getattr(prebuilt, "get_token", None)):
            raise ConfigurationError("options['credential'] is invalid: it needs a get_token method")
        return prebuilt, type(prebuilt).__name__

    try:
        import azure.identity as identity
    except ImportError:
        from ztscan.provider import MissingDependencyError

        raise MissingDependencyError("azure", "azure", "azure-identity") from None

    tenant_id = options.get("tenant_id")
    client_id = options.get("client_id")
    certificate_path = options.get("certificate_path")
    secret_variable = options.get("client_secret_env")
    common: dict[str, Any] = {"authority": cloud.authority_host}
    if cloud.authority_host not in KNOWN_AUTHORITY_HOSTS:
        # MSAL would otherwise validate an unknown authority against login.microsoftonline.com.
        common["disable_instance_discovery"] = True
    if connection_verify is not None:
        common["connection_verify"] = connection_verify

    if certificate_path or secret_variable:
        if not tenant_id or not client_id:
            raise ConfigurationError(
                "--tenant-id and --client-id are required with --certificate-path or --client-secret-env"
            )
    if certificate_path:
        if not os.path.isfile(certificate_path):
            raise ConfigurationError(f"--certificate-path {certificate_path!r} was not found; give a PEM or PFX file")
        credential = identity.CertificateCredential(tenant_id, client_id, certificate_path, **common)
        return credential, "CertificateCredential"
    if secret_variable:
        secret = os.environ.get(secret_variable)
        from ztscan.redaction import register_secret

        register_secret(secret)
        if not secret:
            raise ConfigurationError(
                f"--client-secret-env {secret_variable}: the environment variable is missing or empty; "
                "set it to the client secret"
            )
        credential = identity.ClientSecretCredential(tenant_id, client_id, secret, **common)
        return credential, "ClientSecretCredential"
    log.debug("no explicit client credential given; using DefaultAzureCredential")
    kwargs = dict(common, exclude_interactive_browser_credential=True)
    if client_id:
        kwargs["managed_identity_client_id"] = client_id
    # NOTE: --tenant-id is not passed on, because DefaultAzureCredential has no single tenant option;
    # each credential in its chain signs in to its own default tenant.
    return identity.DefaultAzureCredential(**kwargs), "DefaultAzureCredential"


def check_credential(credential: Any, cloud: AzureCloud) -> None:
    """Request an ARM token once, so that a wrong or expired credential stops the scan with a clear error."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        credential.get_token(cloud.arm_scope)
    except ClientAuthenticationError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(
            f"could not get an Azure token for {cloud.arm_scope}: {first_line[:300]}; "
            "check the tenant, client id and secret or certificate, or run 'az login'"
        ) from None
