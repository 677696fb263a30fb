"""Protocol errors. Every refusal carries a stable machine-readable ``reason``.

The reason strings are part of the wire contract (they become the ``type`` suffix of RFC 9457
problem documents and what a front desk shows), so they never change once published.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class: something received or built does not follow the protocol."""

    reason: str = "protocol-error"

    def __init__(self, reason: str | None = None, detail: str = "") -> None:
        if reason is not None:
            self.reason = reason
        self.detail = detail or self.reason
        super().__init__(f"{self.reason}: {self.detail}" if detail else self.reason)


class CanonicalError(ProtocolError):
    """A document cannot be put in (or parsed as) strict canonical JSON."""

    reason = "non-canonical-json"


class KeyFileError(ProtocolError):
    """A key file is missing, unreadable, unsafe or not an Ed25519 key."""

    reason = "bad-key-file"


class IdentityError(ProtocolError):
    """A node id (did:key) or key encoding is malformed."""

    reason = "bad-identity"


class SignatureError(ProtocolError):
    """A signature does not verify, or no key was valid for it."""

    reason = "bad-signature"


class EntryError(ProtocolError):
    """A feed entry or a page of entries is refused; ``reason`` says why."""

    reason = "bad-entry"


class BodyError(EntryError):
    """An entry body does not match its type's schema."""

    reason = "bad-body"


class ForkProofError(ProtocolError):
    """A fork proof does not prove an equivocation."""

    reason = "bad-fork-proof"


class AgreementError(ProtocolError):
    """A twinning agreement is malformed or its signatures do not verify."""

    reason = "bad-agreement"


class PassError(ProtocolError):
    """A guest pass is refused; ``reason`` is what the front desk shows."""

    reason = "bad-pass"


class MessageError(ProtocolError):
    """An inbox message does not have the shape of its type (``bad-message``), or its type is not
    one of protocol.md §Inbox (``unknown-message-type``)."""

    reason = "bad-message"


class HttpSignatureError(ProtocolError):
    """An RFC 9421 signed request is refused."""

    reason = "bad-http-signature"


class TransportError(ProtocolError):
    """An outbound call to a peer failed or was refused by the safety rules."""

    reason = "transport-error"
