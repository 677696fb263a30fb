"""Checking many Ed25519 signatures at once, spread over a few threads.

A synced page holds up to a thousand entries, and checking their signatures is most of the work
of receiving it. libsodium (:func:`federation.keys.verify_entry_signature`) releases the GIL
while it verifies, as ``cryptography`` does, so plain threads check
signatures in parallel on a machine with more than one core: no processes, no pickling. The
calling thread takes a share itself, so ``threads=2`` means the caller plus one pool thread.

The call stays synchronous: :func:`first_invalid` returns once every signature it was given has
been checked, and reports the *first* bad one in the order given, so a caller's error names the
same entry whatever the number of threads. (Checking a page in the background while the previous
one is stored was tried and is slower: a verifying thread needs the GIL back between two
signatures, and a caller busy in Python holds it for a whole switch interval.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.keys import verify_entry_signature

# (public key, signature, signed bytes)
SignatureCheck = tuple[Ed25519PublicKey, bytes, bytes]

MAX_THREADS = 8
# Below this many signatures per thread, handing work to a thread costs more than it saves.
MIN_PER_THREAD = 64

_lock = threading.Lock()
# One pool per process, created on first use, as (size, pool).
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _forget_after_fork() -> None:
    """In a forked child: the parent's pool has no threads here, and the lock may be held."""
    global _lock, _pool
    _lock, _pool = threading.Lock(), None


if hasattr(os, "register_at_fork"):  # POSIX; elsewhere there is no fork
    os.register_at_fork(after_in_child=_forget_after_fork)


def auto_threads() -> int:
    """Threads to use when the operator did not say: one per CPU this process may run on."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_THREADS))


def first_invalid(checks: Sequence[SignatureCheck], threads: int = 1) -> int | None:
    """Index of the first check whose signature does not verify, or None when all verify.

    With ``threads`` > 1 and enough checks, the sequence is cut into contiguous parts checked at
    the same time, the first by the calling thread; the answer is the same as with one thread.
    """
    parts = min(max(1, threads), MAX_THREADS, len(checks) // MIN_PER_THREAD)
    if parts <= 1:
        return _scan(checks, 0, len(checks))
    size = len(checks)
    bounds = [(size * i // parts, size * (i + 1) // parts) for i in range(parts)]
    pool = _get_pool(parts - 1)
    futures = [pool.submit(_scan, checks, low, high) for low, high in bounds[1:]]
    try:
        first = _scan(checks, *bounds[0])
    finally:
        # Wait for every part even if ours failed: no check outlives the call.
        others = [future.result() for future in futures]
    if first is not None:
        return first
    return next((index for index in others if index is not None), None)


def _scan(checks: Sequence[SignatureCheck], low: int, high: int) -> int | None:
    for index in range(low, high):
        if not verify_entry_signature(*checks[index]):
            return index
    return None


def _get_pool(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None or _pool[0] < workers:
            # A smaller pool is dropped, not shut down: a caller may still be submitting to it.
            # Its threads end once it is garbage (ThreadPoolExecutor wakes them through a weakref).
            executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spazi-verify")
            _pool = (workers, executor)
        return _pool[1]
