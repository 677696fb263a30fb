"""Signatures checked on several threads: the same answer as one thread, in any process."""

from __future__ import annotations

import os
import signal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation import sigbatch
from federation.errors import EntryError
from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from federation.sigbatch import (
    MAX_THREADS,
    MIN_PER_THREAD,
    SignatureCheck,
    auto_threads,
    first_invalid,
)
from federation.signing import Tag, sign
from tests.federation.builders import (
    KEY_A,
    KEY_A2,
    KEY_B,
    KEY_C,
    NOW_MS,
    A,
    build_feed,
    dicts,
    rotated_feed,
    sign_unchecked,
)

SIZE = 5 * MIN_PER_THREAD  # enough for five threads to get a share each
_PUBLIC = KEY_A.private.public_key()
_MESSAGES = [f"message {i}".encode() * 20 for i in range(SIZE)]
_VALID: list[SignatureCheck] = [(_PUBLIC, KEY_A.private.sign(m), m) for m in _MESSAGES]
FEED = build_feed(KEY_A, 3 * MIN_PER_THREAD)


def _with_bad(bad: set[int], size: int = SIZE) -> list[SignatureCheck]:
    """The valid checks with the message changed (so the signature fails) at ``bad``."""
    return [
        (public, signature, message + b"!" if index in bad else message)
        for index, (public, signature, message) in enumerate(_VALID[:size])
    ]


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(0, SIZE),
    bad=st.sets(st.integers(0, SIZE - 1), max_size=4),
    threads=st.integers(1, 6),
)
def test_first_invalid_is_the_first_bad_signature_whatever_the_threads(
    size: int, bad: set[int], threads: int
) -> None:
    checks = _with_bad(bad, size)
    in_range = [index for index in bad if index < size]
    expected = min(in_range) if in_range else None
    assert first_invalid(checks, threads) == expected
    assert first_invalid(checks, 1) == expected


def test_a_bad_signature_in_the_last_part_is_found() -> None:
    # With several parts, the caller's part passes and the answer comes from a pool thread.
    assert first_invalid(_with_bad({SIZE - 1}), threads=4) == SIZE - 1
    assert first_invalid(_with_bad(set()), threads=4) is None


def test_auto_threads_is_within_bounds() -> None:
    assert 1 <= auto_threads() <= MAX_THREADS
    assert auto_threads() <= (os.cpu_count() or 1)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_verify_page_on_threads_returns_the_same_entries(threads: int) -> None:
    ring = Keyring()
    assert verify_page(A, Head(), dicts(FEED), ring, NOW_MS, threads=threads) == FEED


@pytest.mark.parametrize("threads", [1, 3])
def test_a_bad_signature_before_another_problem_is_the_one_reported(threads: int) -> None:
    docs = dicts(FEED)
    docs[150]["sig"] = dicts(build_feed(KEY_B, 1))[0]["sig"]  # well-formed, wrong signer
    docs[170]["seq"] = 999  # a later, structural problem
    with pytest.raises(EntryError) as info:
        verify_page(A, Head(), docs, Keyring(), NOW_MS, threads=threads)
    assert info.value.reason == "bad-signature"
    assert "entry 151 " in info.value.detail


@pytest.mark.parametrize("threads", [1, 3])
def test_a_problem_before_a_bad_signature_is_the_one_reported(threads: int) -> None:
    docs = dicts(FEED)
    docs[120]["seq"] = 5000  # a gap at entry 121
    docs[150]["body"] = {**docs[150]["body"], "title": "changed after signing"}
    with pytest.raises(EntryError) as info:
        verify_page(A, Head(), docs, Keyring(), NOW_MS, threads=threads)
    assert info.value.reason == "seq-gap"


# 100 events, key.rotate to KEY_A2 at 101, 100 events signed by KEY_A2
ROTATED = rotated_feed(rotate_at=101, after=100)


@pytest.mark.parametrize("threads", [1, 3])
def test_a_rotation_inside_a_threaded_page_takes_effect(threads: int) -> None:
    ring = Keyring()
    assert verify_page(A, Head(), dicts(ROTATED), ring, NOW_MS, threads=threads) == ROTATED
    assert [p.kid for p in ring.periods(A)] == [KEY_A.kid, KEY_A2.kid]


@pytest.mark.parametrize("threads", [1, 3])
def test_a_forged_rotation_is_named_as_a_bad_signature(threads: int) -> None:
    """A rotation signed by someone else, with a proof that fails too: checking entry by entry
    finds the forged signature first, and so must the batched check."""
    docs = dicts(ROTATED)
    forged_body = {**docs[100]["body"], "new_key_sig": sign(KEY_C, Tag.KEY_ROTATE, {"x": 1})}
    docs[100] = sign_unchecked(KEY_C, {**docs[100], "body": forged_body})
    ring = Keyring()
    with pytest.raises(EntryError) as info:
        verify_page(A, Head(), docs, ring, NOW_MS, threads=threads)
    assert info.value.reason == "bad-signature"
    assert "entry 101 " in info.value.detail
    assert [p.kid for p in ring.periods(A)] == [KEY_A.kid]


def test_a_grown_pool_still_takes_work_given_to_the_old_one() -> None:
    """A caller that got the pool just before another grew it must still be able to use it."""
    old = sigbatch._get_pool(1)
    bigger = sigbatch._get_pool(old._max_workers + 3)
    assert bigger is not old
    assert old.submit(sigbatch._scan, _with_bad({5}), 0, 10).result() == 5
    assert first_invalid(_with_bad({SIZE - 2}), threads=2) == SIZE - 2


def test_a_forked_child_gets_its_own_pool() -> None:
    """Threads do not survive fork: a child must not submit to the parent's pool (it would
    wait forever), so the child builds a pool of its own."""
    assert first_invalid(_with_bad({300}), threads=3) == 300  # the parent's pool now exists
    pid = os.fork()
    if pid == 0:  # the child: answer within 20 s or die of SIGALRM
        signal.alarm(20)
        ok = first_invalid(_with_bad({200}), threads=3) == 200
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
