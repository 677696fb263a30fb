"""Feeds: a page of entries as the continuation of a known head, and fork proofs.

``verify_page`` is the gate every received entry passes before storage: each entry must be
signed by its origin (never trusted because of who relayed it), numbered one after the other,
linked to the previous entry's hash, within size and time limits, and of a known type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from federation.entries import (
    Entry,
    PendingEntry,
    apply_key_change,
    bad_signature,
    parse_entry,
    prepare_entry,
)
from federation.errors import EntryError, ForkProofError, ProtocolError
from federation.keyring import Keyring
from federation.sigbatch import first_invalid

MAX_PAGE_ENTRIES = 1000


@dataclass(frozen=True)
class Head:
    """The last known position of a feed: seq 0 with no hash means empty."""

    seq: int = 0
    hash: str | None = None


def verify_page(
    origin: str,
    head: Head,
    entries: Sequence[Mapping[str, Any]],
    keyring: Keyring,
    now_ms: int,
    checked: bool = False,
    max_entries: int = MAX_PAGE_ENTRIES,
    threads: int = 1,
) -> list[Entry]:
    """Verify ``entries`` as the entries right after ``head`` in ``origin``'s feed.

    Returns the verified entries; raises :class:`EntryError` naming the first problem. Key
    rotations in the page take effect for the entries after them; ``keyring`` is only updated when
    the whole page verifies, so a refused page leaves no trace. ``checked`` says the entries came
    from ``parse_strict``. ``threads`` > 1 checks the signatures on that many threads at once
    (:mod:`federation.sigbatch`); the result and the error named are the same as with one.
    """
    if len(entries) > max_entries:
        raise EntryError("page-too-large", f"{len(entries)} entries, limit {max_entries}")
    staged = keyring.copy()
    expected_seq, expected_prev = head.seq + 1, head.hash
    pending: list[PendingEntry] = []
    problem: ProtocolError | None = None
    # Every check but the signatures, in order, up to the first problem; then the signatures of
    # the entries before it, together. A bad signature earlier in the page is reported before
    # the later problem, exactly as checking entry by entry would.
    for doc in entries:
        try:
            item = _prepare_next(origin, doc, expected_seq, expected_prev, staged, now_ms, checked)
        except ProtocolError as exc:
            problem = exc
            break
        pending.append(item)
        if item.entry.type == "key.rotate":  # test here: a call per entry shows in the sync rate
            try:
                # The rotation's own signature is checked with the rest of the page; if it is
                # bad, that is reported first, and the staged key never reaches ``keyring``.
                apply_key_change(staged, item.entry)
            except ProtocolError as exc:
                problem = exc
                break
        expected_seq, expected_prev = item.entry.seq + 1, item.entry.hash
    bad = first_invalid([item.check for item in pending], threads)
    if bad is not None:
        raise bad_signature(pending[bad])
    if problem is not None:
        raise problem
    keyring.set_periods(origin, staged.periods(origin))
    return [item.entry for item in pending]


def _prepare_next(
    origin: str,
    doc: Any,
    expected_seq: int,
    expected_prev: str | None,
    staged: Keyring,
    now_ms: int,
    checked: bool,
) -> PendingEntry:
    """Check ``doc`` as the next entry of the page, all but its signature (and, for a rotation,
    its proof of possession, which the caller applies once the entry is queued for checking)."""
    if type(doc) is not dict and not isinstance(doc, Mapping):  # the ABC check is slow
        raise EntryError("malformed-entry", "an entry must be an object")
    if doc.get("origin") != origin:
        raise EntryError("wrong-origin", f"entry of {doc.get('origin')!r} in {origin}'s feed")
    if doc.get("seq") != expected_seq:
        raise EntryError("seq-gap", f"expected seq {expected_seq}, got {doc.get('seq')!r}")
    if doc.get("prev") != expected_prev:
        raise EntryError("bad-prev", f"entry {expected_seq} does not follow {expected_prev}")
    return prepare_entry(doc, staged, now_ms, checked=checked)


def make_fork_proof(a: Entry, b: Entry) -> dict[str, Any]:
    """The proof that ``a`` and ``b`` equivocate: two signed entries at one (origin, seq)."""
    if a.origin != b.origin or a.seq != b.seq or a.hash == b.hash:
        raise ForkProofError(detail="a fork needs two different entries at one origin and seq")
    first, second = sorted((a, b), key=lambda e: e.hash)
    return {
        "type": "spazi.fork-proof",
        "origin": a.origin,
        "seq": a.seq,
        "entries": [first.to_dict(), second.to_dict()],
    }


def verify_fork_proof(proof: Any, keyring: Keyring | None = None) -> tuple[Entry, Entry]:
    """Check a fork proof on its own: both entries valid, same origin and seq, different hashes.

    ``keyring`` supplies rotated keys of the origin; without one the genesis key named by the
    origin's id is used, which suffices for any fork before the origin's first rotation.
    """
    ring = keyring if keyring is not None else Keyring()
    if not isinstance(proof, Mapping) or set(proof) != {"type", "origin", "seq", "entries"}:
        raise ForkProofError(detail="a fork proof has type, origin, seq and entries")
    if proof["type"] != "spazi.fork-proof":
        raise ForkProofError(detail="type must be spazi.fork-proof")
    pair = proof["entries"]
    if not isinstance(pair, list) or len(pair) != 2:
        raise ForkProofError(detail="a fork proof holds exactly two entries")
    try:
        a, b = (parse_entry(doc, ring) for doc in pair)
    except ProtocolError as exc:
        raise ForkProofError(detail=f"an entry does not verify: {exc.reason}") from exc
    if not (a.origin == b.origin == proof["origin"] and a.seq == b.seq == proof["seq"]):
        raise ForkProofError(detail="entries are not at the proof's origin and seq")
    if a.hash == b.hash:
        raise ForkProofError(detail="the two entries are the same")
    return a, b
