"""Generate the known-answer vectors of the protocol core.

Run ``.venv/bin/python tests/vectors/make_vectors.py`` to (re)write ``canonical.json``,
``keys.json``, ``signing.json``, ``entries.json``, ``fork.json``, ``agreement.json``,
``cohost.json``, ``photos.json``, ``profile.json`` and ``projects.json`` next to this file.
Everything comes from fixed seeds, times and nonces (Ed25519 signatures are deterministic),
so every run writes the same bytes.
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
  withdraws;
- A goes on (seq 7 and 8, key A2) with a profile and an event that carry a photo, a fixed
  16 × 8 JPEG (``PHOTO_HEX``, kept as bytes so that no encoder version changes it);
- B posts a call for collaboration, a member of A answers it through A, B replies, and B
  closes the call.

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
from federation.detached import encode_detached
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
    "photos.json",
    "profile.json",
    "projects.json",
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


# -- photos.json ----------------------------------------------------------------------------------

PHOTO_HEX = (
    "ffd8ffe000104a46494600010100000100010000ffdb0043000d090a0b0a080d0b0a0b0e0e0d0f132015131212"
    "13271c1e17202e2931302e292d2c333a4a3e333646372c2d405741464c4e525352323e5a615a50604a51524fff"
    "db0043010e0e0e131113261515264f352d354f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f"
    "4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4fffc00011080008001003012200021101031101"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b51000020103030204"
    "03050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024336272"
    "82090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a"
    "737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3"
    "c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101"
    "010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705040400010277"
    "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718"
    "191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a"
    "82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9ca"
    "d2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f004ff51ff5"
    "cbff0040ff00eb7f2fa74968a2bc59eb1527bebfa7f99ec4746d1fffd9"
)


def photo_file() -> dict[str, Any]:
    """The descriptor of the fixed JPEG: what a body names, what a fetch must match."""
    data = bytes.fromhex(PHOTO_HEX)
    return {
        "hash": sha256_hex(data),
        "type": "image/jpeg",
        "size": len(data),
        "width": 16,
        "height": 8,
    }


def feed_a_photos() -> list[Entry]:
    """A's entries 7 and 8 (key A2, after entries.json's six): a profile and an event, each
    with one photo."""
    photos = [{"alt": "La sala grande con dodici scrivanie", "files": [photo_file()]}]
    specs: list[tuple[int, str, dict[str, Any]]] = [
        (
            T0_MS + 26 * HOUR_MS,
            "space.profile",
            {"name": "Spazio A", "timezone": "Europe/Rome", "photos": photos},
        ),
        (
            T0_MS + 27 * HOUR_MS,
            "event.put",
            {
                "id": "ev-2026-02-05",
                "title": "Serata fotografica",
                "start": "2026-02-05T19:00",
                "end": "2026-02-05T21:00",
                "timezone": "Europe/Rome",
                "photos": [{"alt": "", "files": [photo_file()]}],
            },
        ),
    ]
    entries: list[Entry] = []
    prev = feed_a()[-1].hash
    for seq, (ts, entry_type, body) in enumerate(specs, start=7):
        entry = build_entry(KEY_A2, A, seq, prev, ts, entry_type, body)
        entries.append(entry)
        prev = entry.hash
    return entries


def photos_vectors() -> dict[str, Any]:
    feed = feed_a_photos()
    data = bytes.fromhex(PHOTO_HEX)
    return {
        "about": "A's entries 7 and 8 (after entries.json's six, signed with A2): a profile and "
        "an event naming one photo file, and that file's bytes.",
        "origin": A,
        "rotated_seed_hex": SEED_A2.hex(),
        "file": {
            "base64url": b64u_encode(data),
            "descriptor": photo_file(),
            "path": f"/federation/v1/photos/{sha256_hex(data)}",
        },
        "entries": [_entry_vector(e, KEY_A2) for e in feed],
    }


# -- profile.json ---------------------------------------------------------------------------------

PROFILE_SALT = "c3BhemktdmVjdG9yLXNsdA"  # base64url of b"spazi-vector-slt"


def profile_body() -> dict[str, Any]:
    """The detached body of B's member profile (a fixed salt, so the bytes are fixed)."""
    return {
        "salt": PROFILE_SALT,
        "name": "Giulia",
        "bio": "Restauro mobili antichi.",
        "skills": ["restauro mobili", "doratura"],
        "languages": ["italiano", "English"],
    }


def feed_b_profile() -> list[Entry]:
    """B's feed (a history separate from cohost.json's after seq 1): its profile, a member's
    profile with a detached body, then its withdrawal."""
    raw = encode_detached("profile.put", profile_body())
    specs: list[tuple[int, str, dict[str, Any]]] = [
        (T0_MS, "space.profile", {"name": "Spazio B", "timezone": "Europe/Rome"}),
        (T0_MS + 5 * HOUR_MS, "profile.put", {"id": "p-giulia", "body_hash": sha256_hex(raw)}),
        (T0_MS + 6 * HOUR_MS, "profile.withdraw", {"id": "p-giulia"}),
    ]
    entries: list[Entry] = []
    prev = None
    for seq, (ts, entry_type, body) in enumerate(specs, start=1):
        entry = build_entry(KEY_B, B, seq, prev, ts, entry_type, body)
        entries.append(entry)
        prev = entry.hash
    return entries


def profile_vectors() -> dict[str, Any]:
    feed = feed_b_profile()
    body = profile_body()
    raw = encode_detached("profile.put", body)
    put = feed[1]
    return {
        "about": "A history of B separate from cohost.json after seq 1: a member profile at seq "
        "2 whose text is a detached body, withdrawn at seq 3. Before the withdrawal a page "
        "carries the body beside the entry; after it, no node serves the body, and the chain "
        "verifies without it.",
        "origin": B,
        "seed_hex": SEED_B.hex(),
        "detached_body": body,
        "detached_raw": raw.decode("utf-8"),
        "body_hash": sha256_hex(raw),
        "entries": [_entry_vector(e, KEY_B) for e in feed],
        "page_before_withdrawal": {
            "detached": {str(put.seq): body},
            "entries": [put.to_dict()],
            "head": {"hash": put.hash, "seq": put.seq},
            "origin": B,
        },
        "page_after_withdrawal": {
            "entries": [e.to_dict() for e in feed[1:]],
            "head": {"hash": feed[-1].hash, "seq": feed[-1].seq},
            "origin": B,
        },
        "one_entry_before_withdrawal": {"detached": body, "entry": put.to_dict()},
        "one_entry_after_withdrawal": {"detached": None, "entry": put.to_dict()},
    }


# -- projects.json --------------------------------------------------------------------------------

PROJECT = {
    "id": "restauro-2027",
    "title": "Restauro del chiostro: cerchiamo grafici",
    "description": "Un anno di lavori raccontato in un libro.\nCompenso a progetto.",
    "skills": ["grafica", "fotografia"],
    "city": "Fano",
    "remote": True,
    "deadline": "2026-02-15",
}


def feed_b_projects() -> list[Entry]:
    """B's feed: its profile, a call for collaboration, then the call closed."""
    specs: list[tuple[int, str, dict[str, Any]]] = [
        (T0_MS, "space.profile", {"name": "Spazio B", "timezone": "Europe/Rome"}),
        (T0_MS + 5 * HOUR_MS, "project.put", PROJECT),
        (T0_MS + 6 * HOUR_MS, "project.close", {"id": PROJECT["id"], "reason": "Trovati."}),
    ]
    entries: list[Entry] = []
    prev = None
    for seq, (ts, entry_type, body) in enumerate(specs, start=1):
        entry = build_entry(KEY_B, B, seq, prev, ts, entry_type, body)
        entries.append(entry)
        prev = entry.hash
    return entries


def project_vectors() -> dict[str, Any]:
    feed = feed_b_projects()
    return {
        "about": "B's feed: its profile, a call for collaboration, the call closed; a member "
        "of A answers the call through A (project.answer) and B replies (project.reply).",
        "origin": B,
        "seed_hex": SEED_B.hex(),
        "entries": [_entry_vector(e, KEY_B) for e in feed],
        "answer_message": {
            "type": "project.answer",
            "from": A,
            "to": B,
            "project": PROJECT["id"],
            "answer": "7",
            "home": A,
            "member": "m-3kT9x2LqZ8vN1c",
            "name": "Ada Lovelace",
            "message": "Impagino libri da dieci anni: vi mando il portfolio?",
        },
        "reply_message": {
            "type": "project.reply",
            "from": B,
            "to": A,
            "project": PROJECT["id"],
            "answer": "7",
            "reply": "3",
            "message": "Volentieri: ci vediamo giovedì alle 10?",
        },
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
        "photos.json": photos_vectors(),
        "profile.json": profile_vectors(),
        "projects.json": project_vectors(),
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
