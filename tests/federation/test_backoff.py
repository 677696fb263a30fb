"""Backoff for failing peers: full jitter within an exponentially growing, capped ceiling."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.backoff import DEFAULT_BASE_MS, DEFAULT_CAP_MS, PeerHealth, next_delay

NOW = 1_767_225_600_000


def test_no_failures_means_no_wait() -> None:
    assert next_delay(0, 1.0, 60.0, random.Random(1)) == 0.0


@given(
    failures=st.integers(min_value=1, max_value=10_000),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_delay_is_within_the_capped_exponential_ceiling(failures: int, seed: int) -> None:
    base, cap = 2.0, 300.0
    delay = next_delay(failures, base, cap, random.Random(seed))
    assert 0.0 <= delay <= min(cap, base * 2 ** min(failures - 1, 64))


def test_ceiling_grows_exponentially_until_the_cap() -> None:
    # The maximum over many draws approaches the ceiling: 1, 2, 4, 8, ... then stays at the cap.
    def observed_max(failures: int) -> float:
        rng = random.Random(42)
        return max(next_delay(failures, 1.0, 50.0, rng) for _ in range(2000))

    maxima = [observed_max(n) for n in range(1, 9)]
    expected = [1, 2, 4, 8, 16, 32, 50, 50]
    for got, ceiling in zip(maxima, expected, strict=True):
        assert 0.95 * ceiling <= got <= ceiling
    assert observed_max(10_000) <= 50.0  # a month-long outage does not overflow anything


def test_jitter_spreads_retries() -> None:
    rng = random.Random(7)
    draws = [next_delay(5, 1.0, 1000.0, rng) for _ in range(200)]
    assert len(set(draws)) == 200
    assert min(draws) < 4.0 < max(draws)  # both halves of [0, 16] are used


def test_seeded_rng_is_reproducible() -> None:
    a = [next_delay(n, 1.0, 60.0, random.Random(3)) for n in range(1, 6)]
    b = [next_delay(n, 1.0, 60.0, random.Random(3)) for n in range(1, 6)]
    assert a == b


def test_health_backs_off_and_resets_on_success() -> None:
    rng = random.Random(11)
    health = PeerHealth()
    assert health.due(NOW)
    now = NOW
    for expected_failures in range(1, 6):
        health = health.on_failure(now, "timeout: peer did not answer", rng, base_ms=1000)
        assert health.failures == expected_failures
        assert health.last_error == "timeout: peer did not answer"
        assert health.last_failure == now
        assert now <= health.next_try <= now + 1000 * 2 ** (expected_failures - 1)
        now = health.next_try
    assert health.last_success is None

    later = now + 5
    recovered = health.on_success(later)
    assert recovered.failures == 0
    assert recovered.last_success == later
    assert recovered.last_error is None
    assert recovered.due(later)
    # The history of the last failure stays visible to admins.
    assert recovered.last_failure == health.last_failure


def test_health_is_capped() -> None:
    rng = random.Random(5)
    health = PeerHealth(failures=500)
    nxt = health.on_failure(NOW, "connection-failed", rng)
    assert NOW <= nxt.next_try <= NOW + DEFAULT_CAP_MS
    assert nxt.failures == 501
    assert DEFAULT_BASE_MS < DEFAULT_CAP_MS


def test_health_is_immutable_and_truncates_errors() -> None:
    health = PeerHealth()
    after = health.on_failure(NOW, "x" * 5000, random.Random(1))
    assert health.failures == 0  # the original value is untouched
    assert after.last_error is not None and len(after.last_error) == 500
    with pytest.raises(AttributeError):
        after.failures = 3  # type: ignore[misc]
