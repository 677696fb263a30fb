"""Look a node's key up by name without teaching the keyring about strangers.

``Keyring.periods`` caches a genesis period for any node id it is asked about. That is right for
entries received through sync, but passes and signed requests name their issuer themselves: a
stream of requests naming random ``did:key`` ids would grow a long-lived keyring without bound.
These helpers answer from what the keyring already knows and, for a node it has never seen,
from the node id alone (its genesis key), leaving the keyring untouched.
"""

from __future__ import annotations

from federation.errors import IdentityError
from federation.keyring import KeyPeriod, Keyring
from federation.keys import DID_KEY_PREFIX, public_key_from_did


def node_periods(keyring: Keyring, node_id: str) -> list[KeyPeriod]:
    """Key periods of ``node_id``: the keyring's, or only the genesis key for an unknown node.

    Raises :class:`IdentityError` when ``node_id`` is not an Ed25519 ``did:key``.
    """
    genesis = public_key_from_did(node_id)  # validates node_id before anything else
    if node_id in keyring.known_nodes():
        return list(keyring.periods(node_id))
    return [KeyPeriod(node_id[len(DID_KEY_PREFIX) :], genesis, from_seq=1)]


def find_key(keyring: Keyring, node_id: str, kid: str) -> KeyPeriod | None:
    """The period of the key named ``kid`` among ``node_id``'s keys, or None.

    A malformed ``node_id`` also answers None: whoever named it has no key we know.
    """
    try:
        periods = node_periods(keyring, node_id)
    except IdentityError:
        return None
    for period in periods:
        if period.kid == kid:
            return period
    return None


def valid_during_second(period: KeyPeriod, seconds: int) -> bool:
    """True when ``period`` was valid at some instant of the Unix second ``seconds``.

    Passes and HTTP signatures count whole seconds while key periods count milliseconds; a key
    that took over in the middle of a second is valid for that second (and the key it replaced
    too, until its end).
    """
    start_ms = seconds * 1000
    return period.from_ts < start_ms + 1000 and (
        period.until_ts is None or start_ms < period.until_ts
    )
