"""Plain helpers shared by the federation tests: fixed keys, example bodies and feeds.

Fixtures that wrap these live in ``conftest.py``; tests that need a value at import time (for
hypothesis strategies or parametrisation) import from here directly.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from federation.agreements import countersign, grant, propose
from federation.entries import Entry, apply_key_change, build_entry, rotation_body
from federation.keyring import Keyring
from federation.keys import NodeKey
from federation.signing import Tag, sign

SEED_A = bytes(32)
SEED_B = bytes([1]) * 32
SEED_A2 = bytes([2]) * 32
SEED_C = bytes([3]) * 32

KEY_A = NodeKey.from_seed(SEED_A)
KEY_B = NodeKey.from_seed(SEED_B)
KEY_A2 = NodeKey.from_seed(SEED_A2)
KEY_C = NodeKey.from_seed(SEED_C)
A, B, C = KEY_A.did, KEY_B.did, KEY_C.did

# 2026-01-01T00:00:00Z: a fixed "now" so no test depends on the wall clock.
NOW_MS = 1_767_225_600_000
FIVE_MINUTES_MS = 5 * 60 * 1000


def event_body(i: int = 1) -> dict[str, Any]:
    """A realistic ``event.put`` body using every optional field."""
    return {
        "id": f"ev-{i}",
        "title": f"Coworking breakfast #{i}",
        "description": "Bring your laptop and meet the other members over coffee.",
        "start": "2026-03-04T09:00",
        "end": "2026-03-04T10:30",
        "timezone": "Europe/Rome",
        "capacity": 30,
        "tags": ["breakfast", "networking"],
        "price_minor": 500,
        "currency": "EUR",
        "cohosts": [B],
        "url": f"https://thecube.example/events/{i}",
    }


def agreement_doc() -> dict[str, Any]:
    """A fully signed agreement between A (proposer) and B."""
    grants = [
        grant(A, B, 2, 40, ["hot_desk", "meeting_room"]),
        grant(B, A, 3, 60, ["hot_desk"]),
    ]
    proposal = propose(
        KEY_A, B, grants, "2026-01-01", "2027-01-01", NOW_MS, nonce="fixed-nonce-0123456789"
    )
    return countersign(KEY_B, proposal, Keyring())


def example_bodies() -> dict[str, dict[str, Any]]:
    """One valid body per entry type (key.rotate is for A's seq 2, rotating to A2)."""
    return {
        "space.profile": {
            "name": "TheCube",
            "description": "A coworking space by the canal.",
            "address": "Via Roma 1",
            "city": "Torino",
            "district": "San Salvario",
            "country": "IT",
            "timezone": "Europe/Rome",
            "latitude_e6": 45_070_312,
            "longitude_e6": 7_686_856,
            "opening_hours": [
                {"days": ["Monday", "Tuesday"], "opens": "08:00", "closes": "20:00"},
                {"days": ["Friday"], "opens": "18:00", "closes": "02:00"},
            ],
            "amenities": ["wifi", "coffee"],
            "contact": {"email": "hello@thecube.example", "phone": "+39 011 123456"},
            "links": [{"title": "Home", "url": "https://thecube.example/"}],
        },
        "resource.put": {
            "id": "desk-1",
            "kind": "hot_desk",
            "name": "Hot desk by the window",
            "capacity": 1,
            "price_day_minor": 1500,
            "currency": "EUR",
        },
        "resource.remove": {"id": "desk-1"},
        "event.put": event_body(1),
        "event.cancel": {"id": "ev-1", "reason": "The speaker is ill."},
        "cohost.confirm": {"origin": A, "event": "ev-1"},
        "cohost.withdraw": {"origin": A, "event": "ev-1", "reason": "Our room is taken."},
        "project.put": {
            "id": "call-1",
            "title": "Illustrators for a children's book",
            "description": "Ten plates.\nPaid per plate.",
            "skills": ["illustration", "print"],
            "city": "Fano",
            "remote": False,
            "deadline": "2026-03-01",
            "url": "https://warehouse.example/calls/1",
        },
        "project.close": {"id": "call-1", "reason": "We found them."},
        "agreement.publish": {"agreement": agreement_doc()},
        "agreement.terminate": {"id": "ab" * 32, "reason": "Space closing."},
        "pass.revoke": {"jti_hashes": ["cd" * 32, "ef" * 32]},
        "key.rotate": rotation_body(KEY_A, KEY_A2, A, 2),
        "peer.announce": {"peers": [{"id": B, "url": "https://b.example"}]},
        "profile.put": {"id": "p-1", "body_hash": "12" * 32},
        "profile.withdraw": {"id": "p-1"},
    }


def build_feed(
    key: NodeKey,
    count: int,
    start_seq: int = 1,
    prev: str | None = None,
    ts0: int = NOW_MS - 1_000_000,
    origin: str | None = None,
) -> list[Entry]:
    """``count`` event.put entries continuing after ``(start_seq - 1, prev)``."""
    origin = origin or key.did
    entries = []
    for seq in range(start_seq, start_seq + count):
        entry = build_entry(key, origin, seq, prev, ts0 + seq, "event.put", event_body(seq))
        entries.append(entry)
        prev = entry.hash
    return entries


def rotated_feed(
    rotate_at: int = 3, after: int = 2, new_key: NodeKey = KEY_A2, **rotation: Any
) -> list[Entry]:
    """A's feed: events up to ``rotate_at - 1``, key.rotate at ``rotate_at``, then ``after``
    events signed by ``new_key``."""
    before = build_feed(KEY_A, rotate_at - 1)
    body = rotation_body(KEY_A, new_key, A, rotate_at, **rotation)
    rot = build_entry(KEY_A, A, rotate_at, before[-1].hash, NOW_MS - 500, "key.rotate", body)
    later = build_feed(new_key, after, start_seq=rotate_at + 1, prev=rot.hash, origin=A)
    return [*before, rot, *later]


def rotated_keyring() -> Keyring:
    """A keyring where A rotated to KEY_A2 at seq 2, one day after NOW_MS (2026-01-02T00:00Z)."""
    ring = Keyring()
    profile = build_entry(
        KEY_A, A, 1, None, NOW_MS, "space.profile", {"name": "A", "timezone": "UTC"}
    )
    rotate = build_entry(
        KEY_A,
        A,
        2,
        profile.hash,
        NOW_MS + 86_400_000,
        "key.rotate",
        rotation_body(KEY_A, KEY_A2, A, 2),
    )
    apply_key_change(ring, rotate)
    return ring


def sign_unchecked(key: NodeKey, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Sign an entry document without any validation, to make well-signed but invalid entries."""
    unsigned = {k: copy.deepcopy(v) for k, v in doc.items() if k != "sig"}
    return {**unsigned, "sig": sign(key, Tag.ENTRY, unsigned)}


def dicts(entries: list[Entry]) -> list[dict[str, Any]]:
    """Entries as the plain dicts a peer would send."""
    return [e.to_dict() for e in entries]
