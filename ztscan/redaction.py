"""Remove credentials from text that ztscan reports or logs: error messages from clouds and SDKs.

Cloud APIs and proxies sometimes quote the request's ``Authorization`` header
or a token in an error message, and SDK exceptions can carry request details.
Every collection error message passes through :func:`redact`
(``CollectionError`` calls it), and so do the providers' error formatters
before they log. Two mechanisms apply:

- patterns for credential shapes: bearer and basic tokens, JSON web tokens,
  PEM private keys, and ``name=value`` pairs whose name says secret, token,
  password, signature or API key;
- exact values that the providers register with :func:`register_secret` when
  they read a credential (an AWS secret key or session token, an Azure client
  secret, a Google access token), so that a secret quoted in any shape is caught.
"""

from __future__ import annotations

import re
import threading

REDACTED = "[REDACTED]"

#: Registered values shorter than this are not replaced, so that a short value
#: (a test's "x") does not blank out ordinary words.
MIN_SECRET_LENGTH = 8

_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/=]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    re.compile(r"(?i)\b([a-z0-9_\-]*(secret|token|password|passwd|signature|sig|api[_-]?key))"
               r"(\s*[=:]\s*|\"\s*:\s*\")([^\s\"',;&]{4,})"),
)

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | bytes | None) -> None:
    """Remember a credential value so that :func:`redact` removes it wherever it appears."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="ignore")
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets.add(value)


def _replace_pattern(match: re.Match[str]) -> str:
    groups = match.groups()
    if len(groups) == 4 and groups[2] is not None:
        return f"{groups[0]}{groups[2]}{REDACTED}"
    if len(groups) >= 1 and groups[0] and groups[0].lower() in ("bearer", "basic"):
        return f"{groups[0]} {REDACTED}"
    return REDACTED


def redact(text: str) -> str:
    """Return ``text`` with registered secrets and credential-shaped substrings replaced by [REDACTED]."""
    if not text:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(_replace_pattern, text)
    return text
