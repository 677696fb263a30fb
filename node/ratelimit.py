"""In-memory rate limits of one server process: token buckets and failure counts per key.

They live on the :class:`node.runtime.Node` of the process, so each gunicorn worker (and each
``spazi worker``) enforces its own share: with N workers a sender gets up to N times the limit,
which still bounds a flood, and nothing is written to the database for a refused request. The
caller passes the time (the node's monotonic clock), so tests drive them with a fake clock.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import deque
from typing import Any

MAX_KEYS = 10_000  # keys kept per table; beyond it the oldest are forgotten


def address_key(address: str) -> str:
    """The key a client address is limited under: an IPv4 address as it is, an IPv6 address by
    its /64 network. One IPv6 host usually holds a whole /64 and can pick a new address from it
    for every request, so limiting single IPv6 addresses would limit nothing."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]  # not an address (a test client, a unix socket): as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class TokenBuckets:
    """One bucket per key: ``burst`` tokens at most, refilled at ``per_second``."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def take(self, key: str, burst: float, per_second: float, now: float) -> bool:
        """Take one token from ``key``'s bucket; False (and nothing taken) when it is empty."""
        with self._lock:
            tokens, then = self._buckets.pop(key, (burst, now))
            tokens = min(burst, tokens + max(0.0, now - then) * per_second)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            _trim(self._buckets, self._max_keys)
            return allowed


class FailureCounts:
    """When each key failed, to count its failures within a window."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def add(self, key: str, now: float) -> None:
        """Record one failure of ``key`` at ``now``."""
        with self._lock:
            times = self._failures.pop(key, deque(maxlen=64))
            times.append(now)
            self._failures[key] = times
            _trim(self._failures, self._max_keys)

    def count(self, key: str, window: float, now: float) -> int:
        """Failures of ``key`` in the last ``window`` seconds."""
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return 0
            while times and times[0] <= now - window:
                times.popleft()
            return len(times)


def _trim(table: dict[str, Any], max_keys: int) -> None:
    while len(table) > max_keys:
        del table[next(iter(table))]  # the least recently touched key (re-inserted on use)


class RateLimits:
    """The limits of one process: peering requests per address, invite guesses."""

    def __init__(self) -> None:
        self.peer_requests = TokenBuckets()
        self.invite_failures = FailureCounts()
