"""Which keys were valid for node X: by feed position for entries, by time for passes.

A node starts with its genesis key (the one its ``did:key`` names). Each ``key.rotate`` entry at
seq *n* ends the current key after *n* and starts the new key at *n + 1*; the old key stays listed
with its end, so passes and entries it signed earlier still verify (protocol.md §Key rotation).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.errors import SignatureError
from federation.keys import public_key_from_did, public_key_from_kid
from federation.signing import Tag, verify


@dataclass(frozen=True)
class KeyPeriod:
    """One key of a node and the span of feed positions and time it was valid for."""

    kid: str
    public: Ed25519PublicKey
    from_seq: int
    until_seq: int | None = None
    from_ts: int = 0
    until_ts: int | None = None

    def covers_seq(self, seq: int) -> bool:
        return self.from_seq <= seq and (self.until_seq is None or seq <= self.until_seq)

    def valid_at(self, ts_ms: int) -> bool:
        return self.from_ts <= ts_ms and (self.until_ts is None or ts_ms < self.until_ts)

    def describe(self) -> dict[str, Any]:
        """The public description served in descriptors and JWKS (no key material beyond kid)."""
        out: dict[str, Any] = {"kid": self.kid, "from_seq": self.from_seq, "from_ts": self.from_ts}
        if self.until_seq is not None:
            out["until_seq"] = self.until_seq
        if self.until_ts is not None:
            out["until_ts"] = self.until_ts
        return out


def rotation_proof_doc(origin: str, seq: int, new_key: str) -> dict[str, Any]:
    """What the *new* key signs in a ``key.rotate`` entry (tag ``key-rotate``)."""
    return {"new_key": new_key, "origin": origin, "seq": seq}


class Keyring:
    """Key periods per node id, fed from verified ``key.rotate`` entries."""

    def __init__(self) -> None:
        self._periods: dict[str, list[KeyPeriod]] = {}

    def periods(self, node_id: str) -> list[KeyPeriod]:
        """All key periods of a node, oldest first (the genesis key if nothing else is known)."""
        found = self._periods.get(node_id)
        if found is None:
            genesis = public_key_from_did(node_id)
            found = [KeyPeriod(node_id.removeprefix("did:key:"), genesis, from_seq=1)]
            self._periods[node_id] = found
        return found

    def current(self, node_id: str) -> KeyPeriod:
        """The key that signs the node's next entries."""
        return self.periods(node_id)[-1]

    def key_for_seq(self, node_id: str, seq: int) -> KeyPeriod:
        """The key that must have signed entry ``seq`` of ``node_id``'s feed."""
        periods = self.periods(node_id)
        # The newest key is by far the most common answer; check it first.
        for period in reversed(periods):
            if period.covers_seq(seq):
                return period
        raise SignatureError("no-key", f"no key of {node_id} covers seq {seq}")

    def keys_valid_at(self, node_id: str, ts_ms: int) -> list[KeyPeriod]:
        """Keys of ``node_id`` valid at time ``ts_ms`` (two around a rotation, else one)."""
        return [p for p in self.periods(node_id) if p.valid_at(ts_ms)]

    def key_by_kid(self, node_id: str, kid: str) -> KeyPeriod | None:
        """The period of the key named ``kid`` for ``node_id``, if it is one of its keys."""
        for period in self.periods(node_id):
            if period.kid == kid:
                return period
        return None

    def apply_rotation(self, node_id: str, seq: int, ts_ms: int, body: Mapping[str, Any]) -> None:
        """Record a ``key.rotate`` entry at ``seq``.

        Checks the new key's proof of possession; raises :class:`SignatureError` if it fails. It
        does not check the entry's own signature: ``verify_page`` applies rotations to a staged
        copy of the keyring and checks every signature of the page before that copy is kept.
        """
        new_kid = body["new_key"]
        public = public_key_from_kid(new_kid)
        proof = rotation_proof_doc(node_id, seq, new_kid)
        verify(public, Tag.KEY_ROTATE, proof, body["new_key_sig"])
        periods = self.periods(node_id)
        if any(p.kid == new_kid for p in periods):
            raise SignatureError("key-reused", "a rotation must introduce a key never used before")
        old = periods[-1]
        until_ts = ts_ms
        if body.get("compromised_since") is not None:
            until_ts = min(ts_ms, int(body["compromised_since"]))
        periods[-1] = replace(old, until_seq=seq, until_ts=until_ts)
        periods.append(KeyPeriod(new_kid, public, from_seq=seq + 1, from_ts=ts_ms))

    def set_periods(self, node_id: str, periods: Iterable[KeyPeriod]) -> None:
        """Replace what is known of a node (used to commit a staged copy)."""
        self._periods[node_id] = list(periods)

    def copy(self) -> Keyring:
        """An independent copy, for staging changes that may be thrown away."""
        other = Keyring()
        other._periods = copy.copy({k: list(v) for k, v in self._periods.items()})
        return other

    def known_nodes(self) -> list[str]:
        return sorted(self._periods)
