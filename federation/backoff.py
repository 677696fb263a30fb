"""Exponential backoff with full jitter and a cap for failing peers (protocol.md §Sync and
§Security considerations, item 10).

After the n-th consecutive failure the next attempt waits a uniformly random time in
``[0, min(cap, base * 2**(n-1))]`` ("full jitter"): the ceiling grows exponentially so a dead peer
costs little, the cap bounds how long a recovered peer waits, and the randomness keeps many nodes
that lost the same peer from retrying in lockstep.

Only the outcome of *our* calls to a peer moves its health. An inbound message from a peer (a heads
hint, a peering request) proves nothing about whether our calls to it work — and a broken or hostile
peer could otherwise reset its own backoff just by talking to us — so the node never calls
:meth:`PeerHealth.on_success` for inbound traffic. Times are integer Unix milliseconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

DEFAULT_BASE_MS = 5_000
DEFAULT_CAP_MS = 60 * 60 * 1000
MAX_ERROR_CHARS = 500


def next_delay(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """The wait before the next attempt after ``failures`` consecutive failures (full jitter).

    Zero failures means no wait. Units are the caller's (``base`` and ``cap`` share them).
    """
    if failures <= 0 or base <= 0 or cap <= 0:
        return 0.0
    # Stop doubling once the cap is reached; 2**failures for a long outage would be a huge int.
    ceiling = float(base)
    for _ in range(failures - 1):
        if ceiling >= cap:
            break
        ceiling *= 2
    return rng.uniform(0.0, min(float(cap), ceiling))


@dataclass(frozen=True)
class PeerHealth:
    """How calls to one peer have been going: a value, each event returns the next one."""

    failures: int = 0
    next_try: int = 0
    last_error: str | None = None
    last_success: int | None = None
    last_failure: int | None = None

    def due(self, now: int) -> bool:
        """True when it is time to call the peer again."""
        return now >= self.next_try

    def on_success(self, now: int) -> PeerHealth:
        """A call *we* made to the peer succeeded: reset the failure count (never for inbound)."""
        return replace(self, failures=0, next_try=now, last_error=None, last_success=now)

    def on_failure(
        self,
        now: int,
        error: str,
        rng: random.Random,
        *,
        base_ms: int = DEFAULT_BASE_MS,
        cap_ms: int = DEFAULT_CAP_MS,
    ) -> PeerHealth:
        """A call we made failed with ``error`` (a reason string): back off further."""
        failures = self.failures + 1
        delay = next_delay(failures, base_ms, cap_ms, rng)
        return replace(
            self,
            failures=failures,
            next_try=now + round(delay),
            last_error=error[:MAX_ERROR_CHARS],
            last_failure=now,
        )
