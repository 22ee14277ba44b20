"""The interface a cloud provider plugin implements, and the context it collects in."""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, runtime_checkable

from ztscan.model import Inventory


class ConfigurationError(Exception):
    """A user mistake in options, credentials or input files; the CLI exits with status 2.

    The message names the input, the value and the fix. It must never contain a secret.
    """


class MissingDependencyError(ConfigurationError):
    """The cloud SDK of a provider is not installed."""

    def __init__(self, provider: str, extra: str, module: str):
        super().__init__(
            f"the {provider} provider needs the Python package {module!r}, which is not installed; "
            f"install it with: pip install 'ztscan[{extra}]'"
        )


def split_list(value: Any) -> list[str]:
    """Return the non-empty items of a comma-separated string or a list, stripped of white space.

    Options arrive as one string from the command line and as a string or a list
    from a tenants file; both forms give the same list.
    """
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


@dataclass(frozen=True)
class ApiOperation:
    """One API operation a provider may call, as named in the cloud's permission model.

    Every operation is a read, except credential operations: those obtain the
    scanner's own credentials (a token for an impersonated service account, an
    assumed role). They are granted to the caller's identity on that one
    credential, never on the scanned estate, so ``ztscan permissions`` leaves
    them out of the scanning role and lists them separately.
    """

    service: str
    operation: str
    permission: str
    purpose: str = ""
    credential: bool = False


class RequestSlots:
    """A bound on the concurrent API calls of several collections together: the tenants of one run.

    A thread takes one slot for its outermost call and gives it back when the call
    ends. Calls nested inside it run in that slot, so nesting cannot deadlock.
    Python's semaphore wakes waiting threads in the order they began to wait, but a
    call that arrives just as a slot is released can take it first, so the order
    is close to first come, first served, not exactly.
    """

    def __init__(self, size: int):
        self.size = max(1, size)
        self._semaphore = threading.BoundedSemaphore(self.size)
        self._depth = threading.local()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        depth = getattr(self._depth, "value", 0)
        if depth == 0:
            self._semaphore.acquire()
        self._depth.value = depth + 1
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0:
                self._semaphore.release()


@dataclass
class CollectContext:
    """Limits and switches shared by every collection in one run."""

    #: ``time.monotonic()`` value after which collection stops and the rest is marked ERROR.
    deadline: float | None = None
    #: Upper bound on concurrent API calls of one collection.
    max_workers: int = 8
    #: Re-raise unexpected collector exceptions instead of recording them (for plugin authors).
    strict: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: A bound shared with other collections of the run (tenant mode); providers take a slot per API call.
    request_slots: RequestSlots | None = None

    def request_slot(self) -> contextlib.AbstractContextManager[None]:
        """Return a context that takes one of the shared request slots, or does nothing without them."""
        if self.request_slots is None:
            return contextlib.nullcontext()
        return self.request_slots.slot()

    def remaining(self) -> float | None:
        """Return the seconds left before the deadline, or None when there is no deadline."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


@runtime_checkable
class Provider(Protocol):
    """A cloud provider plugin, returned from the ``ztscan_providers`` hook."""

    #: Short unique name, used as ``ztscan scan <name>``.
    name: str
    #: The pip extra that installs the provider's SDK (``pip install 'ztscan[extra]'``).
    extra: str
    #: One line for ``ztscan scan --help``.
    description: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the provider's own options to the parser of ``ztscan scan <name>``."""

    def collect(self, options: Mapping[str, Any], context: CollectContext) -> Inventory:
        """Collect the inventory of one target described by ``options``.

        ``options`` contains the parsed CLI options (or one entry of a tenants file).
        Access problems, throttling and time-outs are recorded in
        ``Inventory.errors``, never raised. Raise :class:`ConfigurationError` only for
        a mistake the user must fix before anything can be collected (a profile
        that does not exist, credentials that are missing or expired).
        """

    def operations(self) -> list[ApiOperation]:
        """Return every API operation ``collect`` may call; all of them must be reads."""
