"""Seeded fault decisions for the fault-injection servers.

A decision depends only on the seed, the request's key (method, path, query or
AWS operation and parameters) and how many times that key was seen before, never
on the order in which threads send requests. So a seed gives the same faults on
every run, even though the scanner sends requests from a thread pool.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

#: Fault kinds the servers know how to produce.
THROTTLE = "throttle"
SERVER_ERROR = "server-error"
UNAVAILABLE = "unavailable"
SLOW = "slow"
RESET = "reset"
DENIED = "denied"
HANG = "hang"

RANDOM_KINDS = (THROTTLE, SERVER_ERROR, UNAVAILABLE, SLOW, RESET)


@dataclass
class Rule:
    """Always inject ``kind`` on requests whose operation matches ``pattern``, at most ``times`` times."""

    pattern: re.Pattern[str]
    kind: str
    times: int | None = None
    used: int = 0


@dataclass
class FaultPlan:
    """Which requests fail, and how.

    ``rate`` is the probability that a request gets one of ``kinds``. A key never
    fails more than ``max_consecutive`` times in a row: set it below the client's
    attempt budget to model throttling that retries absorb, or to None for
    unbounded random failures.
    """

    seed: int = 0
    rate: float = 0.0
    kinds: tuple[str, ...] = (THROTTLE,)
    max_consecutive: int | None = None
    #: Operations (regular expressions over the operation name) that random faults may hit; None: all.
    only: re.Pattern[str] | None = None
    rules: list[Rule] = field(default_factory=list)
    seen: Counter = field(default_factory=Counter)
    streak: Counter = field(default_factory=Counter)
    injected: Counter = field(default_factory=Counter)
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def always(self, operation_regex: str, kind: str, times: int | None = None) -> "FaultPlan":
        """Inject ``kind`` on every matching request (or the next ``times`` ones)."""
        self.rules.append(Rule(re.compile(operation_regex), kind, times))
        return self

    def decide(self, operation: str, key: str) -> str | None:
        """Return the fault kind for this request, or None to serve it normally."""
        with self._lock:
            self.requests += 1
            for rule in self.rules:
                if rule.pattern.search(operation) and (rule.times is None or rule.used < rule.times):
                    rule.used += 1
                    self.injected[rule.kind] += 1
                    return rule.kind
            occurrence = self.seen[key]
            self.seen[key] += 1
            if self.rate <= 0 or (self.only is not None and not self.only.search(operation)):
                return None
            if self.max_consecutive is not None and self.streak[key] >= self.max_consecutive:
                self.streak[key] = 0
                return None
            digest = hashlib.sha256(f"{self.seed}|{key}|{occurrence}".encode()).digest()
            draw = int.from_bytes(digest[:8], "big") / 2**64
            if draw >= self.rate:
                self.streak[key] = 0
                return None
            kind = self.kinds[digest[8] % len(self.kinds)]
            self.streak[key] += 1
            self.injected[kind] += 1
            return kind

    def total_injected(self) -> int:
        with self._lock:
            return sum(self.injected.values())
