"""Credentials, the account identity and a cache of boto3 clients per region and service."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from ztscan import __version__
from ztscan.provider import CollectContext, ConfigurationError, MissingDependencyError

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


_DEADLINE_ERROR: list[type[Exception]] = []


def deadline_error() -> type[Exception]:
    """Return the exception raised for a request past the scan deadline, built on first use (botocore loads lazily)."""
    if not _DEADLINE_ERROR:
        from botocore.exceptions import BotoCoreError

        class DeadlineExceeded(BotoCoreError):
            """A request or retry that would start after the scan deadline; botocore does not retry it."""

            fmt = "the scan deadline passed before this request was sent"

        _DEADLINE_ERROR.append(DeadlineExceeded)
    return _DEADLINE_ERROR[0]


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


#: Added to the User-Agent of every request ztscan sends to AWS.
USER_AGENT = f"ztscan/{__version__}"


class AwsSession:
    """A boto3 session plus one client per region and service, with bounded retries and timeouts.

    botocore clients are thread-safe, so worker threads share them. Creating one
    loads its service model and endpoint rules, a cost that per-thread clients would
    multiply by the pool size. Creating clients from one boto3 session is not
    thread-safe, so creation happens under a lock.
    """

    def __init__(self, boto_session: Any, endpoint_url: str | None = None,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, max_pool_connections: int = 10,
                 context: CollectContext | None = None, read_timeout: float = READ_TIMEOUT_SECONDS):
        from botocore.config import Config

        self.boto_session = boto_session
        self.endpoint_url = endpoint_url
        self.context = context
        self.read_timeout = read_timeout
        self.config = Config(
            # total_max_attempts counts the first request; botocore's max_attempts counts only retries.
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=read_timeout,
            max_pool_connections=max_pool_connections,
            # Marks every request, so CloudTrail shows which calls the scanner made.
            user_agent_extra=USER_AGENT,
        )
        self.custom_endpoint = endpoint_url or configured_endpoint(boto_session)
        if self.custom_endpoint:
            # A custom endpoint (moto, LocalStack, a proxy) has no per-account host names.
            self.config = self.config.merge(Config(inject_host_prefix=False))
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        """Return the client for ``service`` in ``region``, creating it on first use."""
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._client_config()}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self._clients[key] = self.boto_session.client(service, **kwargs)
                # The STS identity call comes before collection and is made even past the deadline,
                # so that the collectors can record their kinds as DeadlineExceeded in a known account.
                if self.context is not None and self.context.deadline is not None and service != "sts":
                    client.meta.events.register("before-send", self._check_deadline)
                if self.custom_endpoint and service == "s3control":
                    client.meta.events.register("before-sign.s3-control", _strip_account_host)
        return client

    def _client_config(self) -> Any:
        """Return the client configuration, with timeouts no longer than the time left before the deadline.

        botocore applies the timeouts to every attempt, so without this a server that
        never responds keeps each request waiting for the full read timeout, past the deadline.
        """
        remaining = self.context.remaining() if self.context is not None else None
        if remaining is None:
            return self.config
        from botocore.config import Config

        bound = max(0.5, remaining)
        return self.config.merge(Config(connect_timeout=min(CONNECT_TIMEOUT_SECONDS, bound),
                                        read_timeout=min(self.read_timeout, bound)))

    def _check_deadline(self, **_: Any) -> None:
        """Stop a request, retries included, that would be sent after the scan deadline."""
        if self.context is not None and self.context.expired():
            raise deadline_error()()

    def home_region(self, partition: str = "aws") -> str:
        """Return the session's configured region, or the partition's default region."""
        return self.boto_session.region_name or PARTITION_HOME_REGIONS.get(partition, "us-east-1")


def configured_endpoint(boto_session: Any) -> str | None:
    """Return the custom endpoint set by AWS_ENDPOINT_URL (or its S3 Control variant) or the profile, if any."""
    for name in ("AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ENDPOINT_URL"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return boto_session._session.get_scoped_config().get("endpoint_url") or None
    except Exception:  # an unknown profile is reported later, by the caller
        return None


def _strip_account_host(request: Any, **_: Any) -> None:
    """Send an S3 Control request to the custom endpoint itself, not to ACCOUNT.endpoint.

    botocore's S3 Control endpoint rules put the account id in front of the host
    even for a custom endpoint, and ``inject_host_prefix=False`` does not change
    that (botocore 1.44), so ``http://123456789012.127.0.0.1:PORT`` would be
    requested. The account id stays in the x-amz-account-id header.
    """
    parts = urlsplit(request.url)
    account, dot, rest = parts.netloc.partition(".")
    if dot and len(account) == 12 and account.isdigit():
        request.url = urlunsplit(parts._replace(netloc=rest))


def open_session(options: Mapping[str, Any], max_workers: int, context: CollectContext | None = None) -> AwsSession:
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
    _register_credentials(boto_session)
    max_attempts = int(options.get("max_attempts") or DEFAULT_MAX_ATTEMPTS)
    read_timeout = float(options.get("read_timeout") or READ_TIMEOUT_SECONDS)
    return AwsSession(boto_session, options.get("endpoint_url"), max_attempts, max_pool_connections=max_workers + 2,
                      context=context, read_timeout=read_timeout)


def _register_credentials(boto_session: Any) -> None:
    """Register the secret key and session token with ztscan's redaction, so no error message can quote them."""
    from ztscan.redaction import register_secret

    try:
        credentials = boto_session.get_credentials()
    except Exception:  # the credential chain's own errors surface in caller_identity
        return
    if credentials is not None:
        register_secret(getattr(credentials, "secret_key", None))
        register_secret(getattr(credentials, "token", None))


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
        from ztscan.redaction import redact

        raise ConfigurationError(f"could not reach AWS STS to identify the account: {redact(str(exc))}") from None
    arn = response["Arn"]
    return Identity(account=response["Account"], arn=arn, partition=arn.split(":")[1])


def _sso_error_types() -> tuple[type[BaseException], ...]:
    from botocore import exceptions

    names = ("SSOError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError")
    return tuple(getattr(exceptions, name) for name in names if hasattr(exceptions, name))
