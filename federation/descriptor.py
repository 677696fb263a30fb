"""The signed node descriptor served at ``/.well-known/spazi`` (protocol.md §Node descriptor).

A descriptor says who answers at a URL: the node id, its name, its keys and where its federation
endpoints are. It carries the node's ``key.rotate`` entries, so a newcomer that knows only the id
(from an invite) can follow every rotation from the genesis key the id names, without trusting
the descriptor's own key list; the descriptor is then signed (tag ``descriptor``) by the key that
chain ends on. ``verify_descriptor(doc, expected_id, …)`` is how ``peer join`` checks that the
node at a URL really holds the invited id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from federation import PROTOCOL_VERSION
from federation.canonical import canonicalize
from federation.entries import MAX_FUTURE_MS, Entry, apply_key_change, parse_entry
from federation.errors import CanonicalError, ProtocolError, SignatureError
from federation.keyring import KeyPeriod, Keyring
from federation.keys import NodeKey, is_node_id
from federation.signing import Tag, sign, verify

DESCRIPTOR_TYPE: Final = "spazi.descriptor"
DESCRIPTOR_PATH: Final = "/.well-known/spazi"
DEFAULT_ENDPOINTS: Final = {
    "heads": "/federation/v1/heads",
    "feeds": "/federation/v1/feeds/",
    "inbox": "/federation/v1/inbox",
    "jwks": "/.well-known/jwks.json",
    "forks": "/federation/v1/forks",
}
DESCRIPTOR_FIELDS: Final = frozenset(
    {"type", "protocol", "id", "name", "url", "keys", "key_entries", "endpoints", "ts", "sig"}
)
MAX_DESCRIPTOR_BYTES: Final = 256 * 1024
MAX_KEY_ENTRIES: Final = 256
MAX_NAME_CHARS: Final = 200
MAX_URL_CHARS: Final = 2000
MAX_ENDPOINT_CHARS: Final = 200

DESCRIPTOR_REASONS: Final = {
    "malformed-descriptor": "a field is missing, unknown, of the wrong type or out of bounds",
    "unsupported-protocol": "protocol is not a version this node speaks",
    "wrong-node-id": "id is not the node id expected (from an invite or a peer record)",
    "bad-key-entry": "a key_entries item is not a valid key.rotate entry of this node, in order",
    "keys-mismatch": "keys does not equal the key periods rebuilt from key_entries",
    "bad-signature": "sig does not verify with the node's current key",
    "future-timestamp": "ts is more than 5 minutes ahead of the verifier's clock",
    "stale-descriptor": "ts is older than the caller's max_age_ms",
}
"""Every reason ``verify_descriptor`` can refuse with."""

# A path under the node's url, starting with exactly one "/": never a way to name another host.
_ENDPOINT = re.compile(r"/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/\-]*")


class DescriptorError(ProtocolError):
    """A node descriptor is refused; ``reason`` is one of :data:`DESCRIPTOR_REASONS`."""

    reason = "malformed-descriptor"


@dataclass(frozen=True)
class Descriptor:
    """A verified descriptor."""

    id: str
    name: str
    url: str
    protocol: int
    keys: list[KeyPeriod]
    key_entries: list[Entry]
    endpoints: dict[str, str]
    ts: int
    doc: dict[str, Any]

    def endpoint_url(self, name: str) -> str:
        """Absolute URL of endpoint ``name``: ``url`` without a trailing ``/``, then the path."""
        return self.url.rstrip("/") + self.endpoints[name]


def _malformed(detail: str) -> DescriptorError:
    return DescriptorError("malformed-descriptor", detail)


def check_url(url: Any) -> None:
    """Raise ``malformed-descriptor`` unless ``url`` is a plain absolute http(s) URL.

    No user info, query or fragment, ASCII only (IDNs in punycode), so the URL names one origin
    and nothing else. Where the node may *connect* is the transport's SSRF policy, not this.
    """
    if not isinstance(url, str) or not 1 <= len(url) <= MAX_URL_CHARS:
        raise _malformed(f"url must be 1..{MAX_URL_CHARS} characters")
    if not url.isascii() or not url.isprintable() or " " in url:
        raise _malformed("url must be printable ASCII without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _malformed(f"url is not a valid URL: {exc}") from exc
    del port  # parsed only to refuse an invalid port
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _malformed("url must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise _malformed("url must not carry user info")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise _malformed("url must not have a query or fragment")


def _check_name(name: Any) -> None:
    # The same rule as a space.profile name, which is where the node takes it from.
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
        raise _malformed(f"name must be 1..{MAX_NAME_CHARS} characters")


def _check_endpoints(endpoints: Any) -> None:
    if not isinstance(endpoints, Mapping) or set(endpoints) != set(DEFAULT_ENDPOINTS):
        raise _malformed(f"endpoints must name exactly {sorted(DEFAULT_ENDPOINTS)}")
    for name, path in endpoints.items():
        if not (isinstance(path, str) and len(path) <= MAX_ENDPOINT_CHARS):
            raise _malformed(f"endpoints.{name} must be a path of at most {MAX_ENDPOINT_CHARS}")
        if not _ENDPOINT.fullmatch(path):
            raise _malformed(f"endpoints.{name} must be an absolute path (starting with one /)")
    if not endpoints["feeds"].endswith("/"):
        raise _malformed("endpoints.feeds ends with / (the origin id is appended)")


def _entry_dict(item: Mapping[str, Any] | Entry) -> dict[str, Any]:
    return item.to_dict() if isinstance(item, Entry) else dict(item)


def rebuild_keyring(
    node_id: str, key_entries: Sequence[Mapping[str, Any] | Entry], now_ms: int
) -> tuple[Keyring, list[Entry]]:
    """Follow ``node_id``'s ``key.rotate`` entries from its genesis key.

    Each entry is verified with the key the chain so far assigns to its seq (``parse_entry``),
    then applied. Returns the keyring (holding only ``node_id``) and the verified entries; raises
    ``DescriptorError('bad-key-entry')`` on the first entry that does not fit.
    """
    if len(key_entries) > MAX_KEY_ENTRIES:
        raise _malformed(f"at most {MAX_KEY_ENTRIES} key entries")
    ring = Keyring()
    ring.periods(node_id)
    verified: list[Entry] = []
    last_seq = 0
    for index, item in enumerate(key_entries):
        doc = _entry_dict(item) if isinstance(item, Mapping | Entry) else None
        if doc is None or doc.get("type") != "key.rotate" or doc.get("origin") != node_id:
            raise DescriptorError(
                "bad-key-entry", f"key_entries[{index}] is not a key.rotate entry of {node_id}"
            )
        seq = doc.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= last_seq:
            raise DescriptorError("bad-key-entry", "key_entries must be in ascending seq order")
        try:
            entry = parse_entry(doc, ring, now_ms)
            apply_key_change(ring, entry)
        except ProtocolError as exc:  # EntryError, CanonicalError, IdentityError…
            raise DescriptorError(
                "bad-key-entry", f"key_entries[{index}] (seq {seq}): {exc.reason}: {exc.detail}"
            ) from exc
        verified.append(entry)
        last_seq = seq
    return ring, verified


def build_descriptor(
    key: NodeKey,
    node_id: str,
    name: str,
    url: str,
    key_entries: Sequence[Mapping[str, Any] | Entry],
    ts_ms: int,
    endpoints: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Build and sign the descriptor of ``node_id`` with its current ``key``.

    ``key_entries`` are all the node's ``key.rotate`` entries in seq order (none before the
    first rotation); ``key`` must be the key they end on. ``ts_ms`` is Unix milliseconds.
    """
    if not is_node_id(node_id):
        raise _malformed("id must be an Ed25519 did:key")
    _check_name(name)
    check_url(url)
    endpoint_map = dict(endpoints if endpoints is not None else DEFAULT_ENDPOINTS)
    _check_endpoints(endpoint_map)
    ring, entries = rebuild_keyring(node_id, key_entries, ts_ms)
    if ring.current(node_id).kid != key.kid:
        raise DescriptorError(
            "bad-key-entry", "the signing key is not the one the key entries end on"
        )
    doc: dict[str, Any] = {
        "type": DESCRIPTOR_TYPE,
        "protocol": PROTOCOL_VERSION,
        "id": node_id,
        "name": name,
        "url": url,
        "keys": [period.describe() for period in ring.periods(node_id)],
        "key_entries": [entry.to_dict() for entry in entries],
        "endpoints": endpoint_map,
        "ts": ts_ms,
    }
    doc["sig"] = sign(key, Tag.DESCRIPTOR, doc)
    return doc


def verify_descriptor(
    doc: Any,
    expected_id: str | None,
    now_ms: int,
    *,
    max_age_ms: int | None = None,
) -> tuple[Descriptor, Keyring]:
    """Verify a received descriptor; return it and the keyring its key entries rebuild.

    ``expected_id`` is the node id the caller means to reach (from an invite code or its peer
    table); None only to discover an id shown to an admin for confirmation. The keyring holds
    only this node's periods, rebuilt from its genesis key; merge it only if it extends what
    the caller already knows from the node's feed. Raises :class:`DescriptorError`.
    """
    if not isinstance(doc, Mapping):
        raise _malformed("a descriptor is a JSON object")
    if set(doc) != DESCRIPTOR_FIELDS:
        missing = sorted(DESCRIPTOR_FIELDS - set(doc))
        extra = sorted(set(doc) - DESCRIPTOR_FIELDS)
        raise _malformed(f"fields missing {missing}, unexpected {extra}")
    try:
        size = len(canonicalize(doc))
    except CanonicalError as exc:
        raise _malformed(exc.detail) from exc
    if size > MAX_DESCRIPTOR_BYTES:
        raise _malformed(f"descriptor is {size} bytes, limit {MAX_DESCRIPTOR_BYTES}")
    if doc["type"] != DESCRIPTOR_TYPE:
        raise _malformed(f"type must be {DESCRIPTOR_TYPE!r}")
    protocol = doc["protocol"]
    if not isinstance(protocol, int) or isinstance(protocol, bool):
        raise _malformed("protocol must be an integer")
    if protocol != PROTOCOL_VERSION:
        raise DescriptorError("unsupported-protocol", f"protocol {protocol} is not supported")
    node_id = doc["id"]
    if not isinstance(node_id, str) or not is_node_id(node_id):
        raise _malformed("id must be an Ed25519 did:key")
    if expected_id is not None and node_id != expected_id:
        raise DescriptorError("wrong-node-id", f"the node at this URL is {node_id}")
    _check_name(doc["name"])
    check_url(doc["url"])
    _check_endpoints(doc["endpoints"])
    ts = doc["ts"]
    if not isinstance(ts, int) or isinstance(ts, bool) or ts < 0:
        raise _malformed("ts must be Unix milliseconds")
    if ts > now_ms + MAX_FUTURE_MS:
        raise DescriptorError("future-timestamp", "the descriptor is dated in the future")
    if max_age_ms is not None and ts < now_ms - max_age_ms:
        raise DescriptorError("stale-descriptor", "the descriptor is older than allowed")
    if not isinstance(doc["key_entries"], list) or not isinstance(doc["keys"], list):
        raise _malformed("keys and key_entries must be arrays")
    ring, entries = rebuild_keyring(node_id, doc["key_entries"], now_ms)
    periods = ring.periods(node_id)
    if doc["keys"] != [period.describe() for period in periods]:
        raise DescriptorError("keys-mismatch", "keys disagrees with the node's key entries")
    unsigned = {k: v for k, v in doc.items() if k != "sig"}
    try:
        verify(periods[-1].public, Tag.DESCRIPTOR, unsigned, doc["sig"])
    except SignatureError as exc:
        raise DescriptorError("bad-signature", exc.detail) from exc
    descriptor = Descriptor(
        id=node_id,
        name=doc["name"],
        url=doc["url"],
        protocol=protocol,
        keys=list(periods),
        key_entries=entries,
        endpoints=dict(doc["endpoints"]),
        ts=ts,
        doc=dict(doc),
    )
    return descriptor, ring
