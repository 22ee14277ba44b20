"""Credentials, the account identity and a cache of boto3 clients per region and service."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Mapping

from ztscan.provider import ConfigurationError, MissingDependencyError

log = logging.getLogger(__name__)

#: Default region of each partition, used for global services (IAM, STS, the S3 bucket listing).
PARTITION_HOME_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}

#: Error codes that mean the credentials themselves are missing, invalid or expired.
CREDENTIAL_ERROR_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "AuthFailure", "RequestExpired",
})

#: Attempts per request, the first included, before a throttled or failed call is recorded.
DEFAULT_MAX_ATTEMPTS = 4
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Identity:
    """The caller identity returned by STS."""

    account: str
    arn: str
    partition: str


def import_boto3() -> Any:
    """Import boto3, or raise MissingDependencyError naming the extra to install."""
    try:
        import boto3
    except ImportError:
        raise MissingDependencyError("aws", "aws", "boto3") from None
    return boto3


class AwsSession:
    """A boto3 session plus one client per region and service, with bounded retries and timeouts.

    botocore clients are thread-safe, so worker threads share them. Creating one
    loads its service model and endpoint rules, a cost that per-thread clients would
    multiply by the pool size. Creating clients from one boto3 session is not
    thread-safe, so creation happens under a lock.
    """

    def __init__(self, boto_session: Any, endpoint_url: str | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, max_pool_connections: int = 10):
        from botocore.config import Config

        self.boto_session = boto_session
        self.endpoint_url = endpoint_url
        self.config = Config(
            # total_max_attempts counts the first request; botocore's max_attempts counts only retries.
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            max_pool_connections=max_pool_connections,
        )
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        """Return the client for ``service`` in ``region``, creating it on first use."""
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs: dict[str, Any] = {"region_name": region, "config": self.config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self._clients[key] = self.boto_session.client(service, **kwargs)
        return client

    def home_region(self, partition: str = "aws") -> str:
        """Return the session's configured region, or the partition's default region."""
        return self.boto_session.region_name or PARTITION_HOME_REGIONS.get(partition, "us-east-1")


def open_session(options: Mapping[str, Any], max_workers: int) -> AwsSession:
    """Build the AwsSession from ``options``: a given boto3 session, or the standard credential chain."""
    boto3 = import_boto3()
    from botocore.exceptions import ProfileNotFound

    boto_session = options.get("session")
    if boto_session is None:
        profile = options.get("profile")
        try:
            boto_session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        except ProfileNotFound:
            raise ConfigurationError(
                f"the AWS profile {profile!r} was not found in the AWS config or credentials files; "
                "pass an existing profile with --profile or configure it with 'aws configure'"
            ) from None
    max_attempts = int(options.get("max_attempts") or DEFAULT_MAX_ATTEMPTS)
    return AwsSession(boto_session, options.get("endpoint_url"), max_attempts, max_pool_connections=max_workers + 2)


def caller_identity(session: AwsSession) -> Identity:
    """Return the caller identity from sts.get_caller_identity.

    Raise ConfigurationError when credentials are missing, invalid or expired; the
    message names the problem but never the credentials.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    sso_errors = _sso_error_types()
    client = session.client("sts", session.home_region())
    try:
        response = client.get_caller_identity()
    except (NoCredentialsError, PartialCredentialsError):
        raise ConfigurationError(
            "no AWS credentials were found; set them with --profile, the AWS_* environment "
            "variables, 'aws configure' or 'aws sso login'"
        ) from None
    except sso_errors as exc:
        raise ConfigurationError(
            f"the AWS SSO session could not provide credentials ({type(exc).__name__}); "
            "run 'aws sso login' for the profile and try again"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in CREDENTIAL_ERROR_CODES:
            raise ConfigurationError(
                f"the AWS credentials were rejected by STS ({code}): they are invalid or expired; "
                "refresh them (for example 'aws sso login') and try again"
            ) from None
        raise ConfigurationError(f"sts.GetCallerIdentity failed ({code}); check the AWS credentials") from None
    except BotoCoreError as exc:
        raise ConfigurationError(f"could not reach AWS STS to identify the account: {exc}") from None
    arn = response["Arn"]
    return Identity(account=response["Account"], arn=arn, partition=arn.split(":")[1])


def _sso_error_types() -> tuple[type[BaseException], ...]:
    from botocore import exceptions

    names = ("SSOError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError")
    return tuple(getattr(exceptions, name) for name in names if hasattr(exceptions, name))
