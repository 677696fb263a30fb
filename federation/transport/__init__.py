"""Outbound HTTP to peers with the SSRF and size rules applied in one place (protocol.md
§Security considerations, items 1 and 5; §Size limits).

``PeerClient`` is the only way a node calls another node; ``safety`` holds the URL and address
rules it enforces (also usable on their own, e.g. to check a peer URL an admin typed).
"""

from federation.transport.client import (
    MAX_RESPONSE_BYTES,
    PeerClient,
    PeerHTTPError,
    Signer,
    endpoint,
)
from federation.transport.safety import (
    GuardedHTTPAdapter,
    Target,
    address_allowed,
    check_address,
    check_url,
)

__all__ = [
    "MAX_RESPONSE_BYTES",
    "GuardedHTTPAdapter",
    "PeerClient",
    "PeerHTTPError",
    "Signer",
    "Target",
    "address_allowed",
    "check_address",
    "check_url",
    "endpoint",
]
