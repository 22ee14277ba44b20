"""The evaluation time that rules compare ages against, and ISO time parsing.

Rules call :func:`now` instead of reading the system clock directly, so that a
test, or ``ztscan evaluate`` judging a snapshot at its collection time, can pin
the time with :func:`frozen` and every age-based verdict stays deterministic.
The pin is a context variable: it applies to the code running in the ``with``
block's thread (and context), not to evaluations running in other threads.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Iterator

_frozen_at: ContextVar[datetime | None] = ContextVar("ztscan_frozen_at", default=None)


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time; a trailing ``Z`` means UTC and a time without an offset is taken as UTC.

    Raises ValueError, naming the value, when it is not an ISO 8601 time.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"invalid ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def now() -> datetime:
    """Return the evaluation time: the frozen time inside :func:`frozen`, else the current UTC time."""
    pinned = _frozen_at.get()
    if pinned is not None:
        return pinned
    return datetime.now(timezone.utc)


def age_days(value: str) -> float:
    """Return how many days before :func:`now` the ISO time ``value`` lies (negative for future times)."""
    return (now() - parse_time(value)) / timedelta(days=1)


@contextmanager
def frozen(timestamp: str | datetime) -> Iterator[datetime]:
    """Pin :func:`now` to ``timestamp`` (an ISO string or an aware datetime) inside the ``with`` block."""
    moment = parse_time(timestamp) if isinstance(timestamp, str) else timestamp
    if moment.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime; add tzinfo=timezone.utc")
    token = _frozen_at.set(moment)
    try:
        yield moment
    finally:
        _frozen_at.reset(token)
