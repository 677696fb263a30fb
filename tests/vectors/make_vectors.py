"""Generate the known-answer vectors of the protocol core.

Run ``.venv/bin/python tests/vectors/make_vectors.py`` to (re)write ``canonical.json``,
``keys.json``, ``signing.json``, ``entries.json``, ``fork.json``, ``agreement.json`` and
``cohost.json`` next to this file. Everything comes from fixed seeds, times and nonces
(Ed25519 signatures are deterministic), so every run writes the same bytes.
``tests/federation/test_vectors.py`` checks that the code still produces exactly what the files
hold: the files are the source of truth, and a code change that alters a single byte on the wire
fails the suite. ``protocol.md`` shows the same values (``tests/test_protocol_examples.py``
checks that).

The world of these vectors:

- node A: genesis key from seed ``00``×32, rotated at seq 5 to the key of seed ``02``×32;
- node B: key from seed ``01``×32;
- node C: key from seed ``03``×32, which equivocates at seq 2 (the fork proof);
- A and B twin from 2026-01-01 to 2027-01-01 (A proposes, B countersigns);
- B confirms co-hosting A's event ``ev-2026-01-15`` (entry 3 of A's feed names B), then
  withdraws.

A's first entry and the agreement are the same as in ``make_vectors_passes.py``; after that the
two sets of vectors are separate examples (there, A rotates at seq 2).

Values that ``protocol.md`` shows as bytes are strings here (UTF-8 text); values it shows as JSON
documents are JSON values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from federation.agreements import agreement_id, countersign, grant, propose, unsigned
from federation.canonical import canonicalize, parse_strict
from federation.encoding import b64u_encode, sha256_hex
from federation.entries import Entry, build_entry, rotation_body
from federation.feeds import Head, make_fork_proof, verify_page
from federation.keyring import Keyring, rotation_proof_doc
from federation.keys import NodeKey, fingerprint
from federation.signing import Tag, signing_input

HERE = Path(__file__).resolve().parent
FILES = (
    "canonical.json",
    "keys.json",
    "signing.json",
    "entries.json",
    "fork.json",
    "agreement.json",
    "cohost.json",
)

SEED_A = bytes(32)
SEED_B = bytes([1]) * 32
SEED_A2 = bytes([2]) * 32
SEED_C = bytes([3]) * 32
KEY_A = NodeKey.from_seed(SEED_A)
KEY_B = NodeKey.from_seed(SEED_B)
KEY_A2 = NodeKey.from_seed(SEED_A2)
KEY_C = NodeKey.from_seed(SEED_C)
A, B, C = KEY_A.did, KEY_B.did, KEY_C.did

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR_MS = 3_600_000
AGREEMENT_CREATED_MS = T0_MS + 1000
AGREEMENT_NONCE = "spazi-vector-agreement"


# -- canonical.json -------------------------------------------------------------------------------

# (about, input JSON text). Inputs are parsed strictly, then canonicalized.
CANONICAL_INPUTS: list[tuple[str, str]] = [
    (
        "Members sorted, whitespace removed, nested objects sorted too.",
        '{\n  "type": "space.profile",\n  "body": {"timezone": "Europe/Rome", "name": "Spazio A"},'
        '\n  "seq": 1,\n  "prev": null,\n  "ok": true\n}',
    ),
    (
        "Non-ASCII is written as UTF-8, not escaped; \\u escapes in the input are decoded.",
        '{"name": "Caff\\u00e8 Centrale", "city": "Torino", "price": "5 \\u20ac", '
        '"emoji": "\\ud83d\\ude00"}',
    ),
    (
        "Keys sort by UTF-16 code units: U+1F600 (D83D DE00) sorts before U+FB33 and U+E000,"
        " although its code point is larger.",
        '{"\\ufb33": "dalet", "\\ue000": "private use", "\\ud83d\\ude00": "grinning face",'
        ' "z": "ascii"}',
    ),
    (
        "Escapes: quote, backslash and control characters; '/' and U+007F are not escaped.",
        '{"s": "quote \\" backslash \\\\ slash \\/ tab \\t newline \\n nul \\u0000 del \\u007f"}',
    ),
    (
        "Integers within ±(2^53-1) are written in shortest form; -0 becomes 0.",
        "[9007199254740991, -9007199254740991, -0, 0, 10]",
    ),
    (
        "RFC 8785 §3.2.3 (sorting example).",
        '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With'
        ' Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",'
        '"\\u00f6":"Latin Small Letter O With Diaeresis"}',
    ),
]

# (about, input JSON text) that a receiver must refuse.
CANONICAL_REFUSALS: list[tuple[str, str]] = [
    ("A fraction.", '{"price": 4.5}'),
    ("An integer written with an exponent or a fraction part is a float.", '{"n": 1e3}'),
    ("An integer written with a fraction part is a float.", '{"n": 1.0}'),
    ("Beyond 2^53-1.", '{"n": 9007199254740992}'),
    ("Below -(2^53-1).", '{"n": -9007199254740992}'),
    ("NaN.", '{"n": NaN}'),
    ("Infinity.", '{"n": Infinity}'),
    ("A duplicate key.", '{"a": 1, "a": 1}'),
    ("A lone high surrogate.", '{"a": "\\ud800"}'),
    ("A lone low surrogate.", '{"a": "\\udc00"}'),
]


def canonical_vectors() -> dict[str, Any]:
    examples = []
    for about, source in CANONICAL_INPUTS:
        canonical = canonicalize(parse_strict(source.encode("utf-8")))
        examples.append(
            {
                "about": about,
                "input": source,
                "canonical": canonical.decode("utf-8"),
                "canonical_hex": canonical.hex(),
                "sha256": sha256_hex(canonical),
            }
        )
    refusals = [{"about": about, "input": source} for about, source in CANONICAL_REFUSALS]
    return {
        "about": "Strict canonical JSON (RFC 8785 plus Spazi's restrictions).",
        "examples": examples,
        "refused": refusals,
    }


# -- keys.json ------------------------------------------------------------------------------------


def _public_hex(key: NodeKey) -> str:
    raw = key.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def keys_vectors() -> dict[str, Any]:
    keys = []
    for name, key, seed in (
        ("A", KEY_A, SEED_A),
        ("B", KEY_B, SEED_B),
        ("A2", KEY_A2, SEED_A2),
        ("C", KEY_C, SEED_C),
    ):
        keys.append(
            {
                "name": name,
                "seed_hex": seed.hex(),
                "public_key_hex": _public_hex(key),
                "multicodec_hex": "ed01" + _public_hex(key),
                "kid": key.kid,
                "did": key.did,
                "fingerprint": fingerprint(key.did),
            }
        )
    return {
        "about": "Ed25519 seeds, their did:key node ids, kids and fingerprints. A2 is A's second"
        " key (it has a did:key of its own, but A's node id stays the did of A).",
        "keys": keys,
    }


# -- signing.json ---------------------------------------------------------------------------------

SIGNING_DOCUMENT = {"hello": "Spazi", "n": 1, "list": [True, None]}


def signing_vectors() -> dict[str, Any]:
    examples = []
    for tag in (Tag.ENTRY, Tag.AGREEMENT, Tag.DESCRIPTOR, Tag.KEY_ROTATE):
        message = signing_input(tag, SIGNING_DOCUMENT)
        examples.append(
            {
                "tag_name": tag.name,
                "tag": tag.value.decode("ascii"),
                "seed_hex": SEED_A.hex(),
                "document": SIGNING_DOCUMENT,
                "signing_input": message.decode("utf-8"),
                "signing_input_hex": message.hex(),
                "signature": b64u_encode(KEY_A.sign_raw(message)),
            }
        )
    return {
        "about": "One document signed by A under each tag: the same bytes, four signatures, none"
        " of which verifies under another tag.",
        "examples": examples,
    }


# -- entries.json ---------------------------------------------------------------------------------


def feed_a() -> list[Entry]:
    """A's feed: profile, resource, event, its cancellation, a key rotation, then the new key."""
    specs: list[tuple[NodeKey, int, str, dict[str, Any]]] = [
        (KEY_A, T0_MS, "space.profile", {"name": "Spazio A", "timezone": "Europe/Rome"}),
        (
            KEY_A,
            T0_MS + HOUR_MS,
            "resource.put",
            {
                "id": "desk-1",
                "kind": "hot_desk",
                "name": "Scrivania vicino alla finestra",
                "capacity": 1,
                "price_day_minor": 1500,
                "currency": "EUR",
            },
        ),
        (
            KEY_A,
            T0_MS + 2 * HOUR_MS,
            "event.put",
            {
                "id": "ev-2026-01-15",
                "title": "Colazione dei coworker",
                "start": "2026-01-15T09:00",
                "end": "2026-01-15T10:30",
                "timezone": "Europe/Rome",
                "capacity": 30,
                "tags": ["breakfast", "networking"],
                "cohosts": [B],
            },
        ),
        (
            KEY_A,
            T0_MS + 3 * HOUR_MS,
            "event.cancel",
            {"id": "ev-2026-01-15", "reason": "Il relatore è malato."},
        ),
        (KEY_A, T0_MS + 24 * HOUR_MS, "key.rotate", rotation_body(KEY_A, KEY_A2, A, 5)),
        (
            KEY_A2,
            T0_MS + 25 * HOUR_MS,
            "peer.announce",
            # A lists itself first (its own word on its address), then its peers.
            {
                "peers": [
                    {"id": A, "url": "https://a.example"},
                    {"id": B, "url": "https://b.example"},
                ]
            },
        ),
    ]
    entries: list[Entry] = []
    prev = None
    for seq, (key, ts, entry_type, body) in enumerate(specs, start=1):
        entry = build_entry(key, A, seq, prev, ts, entry_type, body)
        entries.append(entry)
        prev = entry.hash
    return entries


def _entry_vector(entry: Entry, key: NodeKey) -> dict[str, Any]:
    doc = entry.to_dict()
    message = signing_input(Tag.ENTRY, {k: v for k, v in doc.items() if k != "sig"})
    return {
        "seq": entry.seq,
        "type": entry.type,
        "signed_by": key.kid,
        "entry": doc,
        "signing_input": message.decode("utf-8"),
        "sig": entry.sig,
        "raw": entry.raw.decode("utf-8"),
        "hash": entry.hash,
    }


def entries_vectors() -> dict[str, Any]:
    feed = feed_a()
    signers = [KEY_A] * 5 + [KEY_A2]
    rotation = feed[4]
    proof_doc = rotation_proof_doc(A, rotation.seq, KEY_A2.kid)
    # What a peer knows of A's keys after verifying the whole feed.
    ring = Keyring()
    verify_page(A, Head(), [e.to_dict() for e in feed], ring, feed[-1].ts)
    return {
        "about": "A's feed of six entries; entry 5 rotates A's key to A2, which signs entry 6.",
        "origin": A,
        "seed_hex": SEED_A.hex(),
        "rotated_seed_hex": SEED_A2.hex(),
        "entries": [_entry_vector(e, k) for e, k in zip(feed, signers, strict=True)],
        "rotation_proof": {
            "document": proof_doc,
            "signing_input": signing_input(Tag.KEY_ROTATE, proof_doc).decode("utf-8"),
            "new_key_sig": rotation.body["new_key_sig"],
        },
        "key_periods": [period.describe() for period in ring.periods(A)],
        "heads_response": {"heads": {A: {"seq": feed[-1].seq, "hash": feed[-1].hash}}},
        "page_response": {
            "origin": A,
            "entries": [e.to_dict() for e in feed[:2]],
            "head": {"seq": feed[-1].seq, "hash": feed[-1].hash},
        },
        "refused": [small_order_entry()],
    }


def small_order_entry() -> dict[str, Any]:
    """An entry whose origin's key is the identity point (small order) and whose signature is
    R = identity, S = 0: a cofactorless check without the small-order rule accepts it for any
    message; protocol.md §Feeds step 9 refuses it (``bad-signature``)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from federation.encoding import b64u_encode
    from federation.keys import did_from_public_key

    identity = bytes([1]) + bytes(31)
    origin = did_from_public_key(Ed25519PublicKey.from_public_bytes(identity))
    entry = {
        "origin": origin,
        "seq": 1,
        "prev": None,
        "ts": 1767225600000,
        "type": "space.profile",
        "body": {"name": "Nobody signed this", "timezone": "Europe/Rome"},
        "sig": b64u_encode(identity + bytes(32)),
    }
    return {
        "about": "small-order key and R: refused (bad-signature) though any message matches",
        "entry": entry,
        "reason": "bad-signature",
    }


# -- fork.json ------------------------------------------------------------------------------------


def fork_entries() -> tuple[Entry, Entry, Entry]:
    """C's first entry, then two different entries C signed as its seq 2."""
    first = build_entry(
        KEY_C, C, 1, None, T0_MS, "space.profile", {"name": "Spazio C", "timezone": "Europe/Paris"}
    )
    body = {
        "id": "ev-1",
        "start": "2026-02-01T18:00",
        "end": "2026-02-01T20:00",
        "timezone": "Europe/Paris",
    }
    one = build_entry(
        KEY_C, C, 2, first.hash, T0_MS + HOUR_MS, "event.put", {**body, "title": "Apéro"}
    )
    other = build_entry(
        KEY_C, C, 2, first.hash, T0_MS + HOUR_MS, "event.put", {**body, "title": "Apéro annulé"}
    )
    return first, one, other


def fork_vectors() -> dict[str, Any]:
    first, one, other = fork_entries()
    proof = make_fork_proof(one, other)
    return {
        "about": "C signed two different entries as its seq 2: the fork proof holds both, sorted"
        " by entry hash.",
        "origin": C,
        "seed_hex": SEED_C.hex(),
        "first_entry": first.to_dict(),
        "hashes": sorted([one.hash, other.hash]),
        "proof": proof,
    }


# -- agreement.json -------------------------------------------------------------------------------


def agreement_docs() -> tuple[dict[str, Any], dict[str, Any]]:
    """The proposal (signed by A) and the agreement (countersigned by B)."""
    grants = [
        grant(A, B, 2, 40, ["hot_desk", "meeting_room"]),
        grant(B, A, 3, 60, ["hot_desk"]),
    ]
    proposal = propose(
        KEY_A,
        B,
        grants,
        "2026-01-01",
        "2027-01-01",
        AGREEMENT_CREATED_MS,
        nonce=AGREEMENT_NONCE,
    )
    return proposal, countersign(KEY_B, proposal, Keyring())


def agreement_vectors() -> dict[str, Any]:
    proposal, signed = agreement_docs()
    body = unsigned(signed)
    return {
        "about": "A proposes a twinning agreement to B; B countersigns. Both sign the same"
        " unsigned document under the agreement tag; its hash is the agreement id.",
        "proposer_seed_hex": SEED_A.hex(),
        "counterparty_seed_hex": SEED_B.hex(),
        "proposal": proposal,
        "unsigned": body,
        "unsigned_canonical": canonicalize(body).decode("utf-8"),
        "signing_input": signing_input(Tag.AGREEMENT, body).decode("utf-8"),
        "agreement": signed,
        "id": agreement_id(signed),
        "reject_message": {
            "type": "agreement.reject",
            "from": B,
            "to": A,
            "id": agreement_id(signed),
            "reason": "We are closed for renovation until spring.",
        },
        # A hosts B's members (the first grant): A reports the day a member of B used.
        "report_message": {
            "type": "visit.report",
            "from": A,
            "to": B,
            "agreement": agreement_id(signed),
            "member": "m-3kT9x2LqZ8vN1c",
            "day": "2026-11-19",
            "jti": "p7Jc2QxV9mW4tR8yLk3nZa",
        },
        # The same member books A's meeting room for an afternoon with the same pass.
        "booking_message": {
            "type": "booking.notice",
            "from": A,
            "to": B,
            "agreement": agreement_id(signed),
            "member": "m-3kT9x2LqZ8vN1c",
            "jti": "p7Jc2QxV9mW4tR8yLk3nZa",
            "booking": "17",
            "state": "booked",
            "day": "2026-11-19",
            "start": "14:00",
            "end": "16:00",
            "resource_kind": "meeting_room",
            "resource": "Sala Arno",
        },
    }


# -- cohost.json ----------------------------------------------------------------------------------


def feed_b_cohost() -> list[Entry]:
    """B's feed: its profile, its confirmation of co-hosting A's event, then its withdrawal."""
    event = {"origin": A, "event": "ev-2026-01-15"}
    specs: list[tuple[int, str, dict[str, Any]]] = [
        (T0_MS, "space.profile", {"name": "Spazio B", "timezone": "Europe/Rome"}),
        (T0_MS + 3 * HOUR_MS, "cohost.confirm", event),
        (T0_MS + 4 * HOUR_MS, "cohost.withdraw", {**event, "reason": "La sala è occupata."}),
    ]
    entries: list[Entry] = []
    prev = None
    for seq, (ts, entry_type, body) in enumerate(specs, start=1):
        entry = build_entry(KEY_B, B, seq, prev, ts, entry_type, body)
        entries.append(entry)
        prev = entry.hash
    return entries


def cohost_vectors() -> dict[str, Any]:
    feed = feed_b_cohost()
    return {
        "about": "B's feed: its profile, then it confirms co-hosting entry 3 of A's feed "
        "(entries.json), then withdraws.",
        "origin": B,
        "seed_hex": SEED_B.hex(),
        "event": {"origin": A, "event": "ev-2026-01-15"},
        "entries": [_entry_vector(e, KEY_B) for e in feed],
    }


# -- output ---------------------------------------------------------------------------------------


def build_all() -> dict[str, dict[str, Any]]:
    """Every vector file's content, by file name."""
    return {
        "canonical.json": canonical_vectors(),
        "keys.json": keys_vectors(),
        "signing.json": signing_vectors(),
        "entries.json": entries_vectors(),
        "fork.json": fork_vectors(),
        "agreement.json": agreement_vectors(),
        "cohost.json": cohost_vectors(),
    }


def render(content: dict[str, Any]) -> str:
    """The exact text written to a vector file."""
    return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    for name, content in build_all().items():
        (HERE / name).write_text(render(content), encoding="utf-8")
        print(f"wrote {HERE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
